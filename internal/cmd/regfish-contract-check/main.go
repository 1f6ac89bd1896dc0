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
// never prints the API key. The key comes from REGFISH_API_KEY or a file
// (-api-key-file), never from a flag, so that it stays out of shell history.
//
// Exit status: 0 when every answer matches the contract, 1 when any does
// not, 2 for a usage error or when the API could not be reached at all.
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
	exitUsage    = 2
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr, requestPace))
}

// run is the command: it parses args, reads the key from getenv or a file,
// runs the check with pace between two requests and writes the report to
// stdout (errors to stderr), both with the key redacted. It returns the exit
// status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, pace time.Duration) int {
	var out, errOut bytes.Buffer
	key := ""
	// Whatever happens, nothing is written before the key is redacted.
	defer func() {
		_, _ = stdout.Write(redact(out.Bytes(), key))
		_, _ = stderr.Write(redact(errOut.Bytes(), key))
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
			"Exit status: 0 all answers match, 1 a mismatch, 2 usage error or API not reachable.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(&errOut, "regfish-contract-check: unexpected argument %q (the API key is never a flag or an argument: use REGFISH_API_KEY or -api-key-file)\n", fs.Arg(0))
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintln(&errOut, "regfish-contract-check: -timeout must be positive")
		return exitUsage
	}
	source := "REGFISH_API_KEY"
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
	if rep.Mismatches > 0 {
		return exitMismatch
	}
	return exitOK
}

// redact replaces every occurrence of key in b (the key is never printed,
// even when a server echoes it back).
func redact(b []byte, key string) []byte {
	if key == "" {
		return b
	}
	return bytes.ReplaceAll(b, []byte(key), []byte("[api key redacted]"))
}
