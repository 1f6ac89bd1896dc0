// Command regfish-contract-check reads a real regfish account and reports
// whether the API answers the way terraform-provider-regfish expects
// (CONTRACT.md §1-§3): the status, the envelope, the fields and the headers
// of ten GET requests, and which of the simulator's variants (CONTRACT.md §6)
// the account matches. Run it before the first terraform apply against a new
// account.
//
//	REGFISH_API_KEY=... go run ./internal/cmd/regfish-contract-check
//	go run ./internal/cmd/regfish-contract-check -api-key-file ~/.regfish-key -json
//
// It sends only GET requests (never a write), at most ten, 200 ms apart, and
// never prints the API key (where a server sends it back, it is redacted).
// The key comes from REGFISH_API_KEY or a file (-api-key-file), never from a
// flag, so that it stays out of shell history. When regfish refuses the key
// (401 on the first request and on the DNS zone list), it stops there and
// says so. When the key lacks the role for the TLS or the DNS endpoints
// (every request of that part refused with 403, or with 401 while the other
// part takes the key), the steps of that part are reported as not checked,
// not as mismatches.
//
// Exit status: 0 when every answer matches the contract; 1 when any answer
// that could be checked does not; 2 when the check could not be made: a
// usage error, the API not reachable, the key refused (401), or a key that
// lacks the role for the TLS or the DNS endpoints (the steps of that part
// unchecked, the others matching).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

const defaultBaseURL = "https://api.regfish.com"

// requestPace is the pause between two requests.
const requestPace = 200 * time.Millisecond

// Exit statuses.
const (
	exitOK       = 0
	exitMismatch = 1
	// exitUsage: a usage error or the API not reachable.
	exitUsage = 2
	// exitNotChecked: the key was refused, or lacks a role, so that (part
	// of) the contract could not be checked.
	exitNotChecked = 2
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr, requestPace))
}

// run is the command: it parses args, reads the key from getenv or a file,
// runs the check with pace between two requests and writes the report to
// stdout (errors to stderr). The key is never printed: the check redacts it
// from whatever the server sends. It returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, pace time.Duration) int {
	var out, errOut bytes.Buffer
	defer func() {
		_, _ = stdout.Write(out.Bytes())
		_, _ = stderr.Write(errOut.Bytes())
	}()

	fs := flag.NewFlagSet("regfish-contract-check", flag.ContinueOnError)
	fs.SetOutput(&errOut)
	base := defaultBaseURL
	if v := getenv("REGFISH_BASE_URL"); v != "" {
		base = v
	}
	baseURL := fs.String("base-url", base, "the regfish API (env REGFISH_BASE_URL); plain http:// only to a loopback host")
	keyFile := fs.String("api-key-file", "", "read the API key from this file instead of the environment variable REGFISH_API_KEY")
	timeout := fs.Duration("timeout", 30*time.Second, "limit of each request")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintf(&errOut, "usage: REGFISH_API_KEY=... regfish-contract-check [flags]\n\n"+
			"Reads the account with GET requests only and reports whether regfish answers as the provider expects.\n"+
			"Exit status:\n"+
			"  0  every answer matches the contract\n"+
			"  1  an answer that could be checked does not match\n"+
			"  2  the check could not be made: a usage error, the API not reachable, the API key refused (401),\n"+
			"     or a key without the role for the TLS or the DNS endpoints (those steps unchecked, the rest matching)\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		// The argument is not repeated: it may be the key.
		fmt.Fprintf(&errOut, "regfish-contract-check: %s (the API key is never a flag or an argument: use REGFISH_API_KEY or -api-key-file)\n",
			count(fs.NArg(), "unexpected argument"))
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintln(&errOut, "regfish-contract-check: -timeout must be positive")
		return exitUsage
	}
	key, source := "", "REGFISH_API_KEY"
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			// The error names the path, never the content.
			fmt.Fprintf(&errOut, "regfish-contract-check: reading the API key: %v\n", err)
			return exitUsage
		}
		key, source = strings.TrimSpace(string(b)), "the file "+*keyFile
	} else {
		key = strings.TrimSpace(getenv("REGFISH_API_KEY"))
	}
	if key == "" {
		fmt.Fprintf(&errOut, "regfish-contract-check: no API key: %s is empty (set REGFISH_API_KEY, or name a file with -api-key-file)\n", source)
		return exitUsage
	}

	rep, err := Check(ctx, Config{BaseURL: *baseURL, APIKey: key, Timeout: *timeout, Pace: pace, KeySource: source})
	if err != nil {
		fmt.Fprintf(&errOut, "regfish-contract-check: %v\n", err)
		return exitUsage
	}
	if *asJSON {
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.WriteText(&out)
	}
	return exitStatus(rep)
}

// exitStatus is the command's exit status for a report.
func exitStatus(rep *Report) int {
	switch rep.Outcome {
	case OutcomeMatch:
		return exitOK
	case OutcomeIncomplete, OutcomeKeyRefused:
		return exitNotChecked
	}
	return exitMismatch
}
