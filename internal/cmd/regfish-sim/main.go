// Command regfish-sim serves the regfish API simulator (see package
// internal/simulator) on a local address.
//
//	go run ./internal/cmd/regfish-sim -listen 127.0.0.1:8080 -api-key sim-key
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "regfish-sim:", err)
		os.Exit(1)
	}
}

// variantHelp lists every variant with its values, the default first.
func variantHelp() string {
	var out []string
	for _, v := range simulator.VariantList() {
		out = append(out, v.Key+"="+strings.Join(v.Values, "|"))
	}
	return strings.Join(out, ", ")
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("regfish-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", env("REGFISH_SIM_LISTEN", "127.0.0.1:8080"), "address to listen on (env REGFISH_SIM_LISTEN); port 0 picks a free port")
	key := fs.String("api-key", env("REGFISH_SIM_API_KEY", "sim-key"), "the API key clients must send (env REGFISH_SIM_API_KEY)")
	zones := fs.String("zones", "example.com,example.org", "comma-separated DNS zones of the simulated account")
	approval := fs.Duration("approval-delay", 3*time.Second, "how long OV/EV orders stay in PENDING_APPROVAL after DCV")
	issue := fs.Duration("issue-delay", 0, "how long after DCV a DV order or a reissue is issued")
	dnssecDelay := fs.Duration("dnssec-delay", 0, "how long a DNSSEC change stays a pending job before it is live")
	orgDelay := fs.Duration("org-ready-delay", 0, "how long a new organization stays pending before it is usable for ordering")
	contract := fs.Int("contract-days", 0, "contract length in days when longer than the certificate (reissue cycle)")
	rate := fs.Int("rate-limit", 500, "requests per 60 s window and key (negative: no limit)")
	state := fs.String("state", "", "file that keeps orders, DNS, the CA and the clock across restarts")
	seed := fs.Uint64("seed", 1, "seed of probabilistic faults")
	addrFile := fs.String("addr-file", "", "write the base URL to this file once listening")
	caFile := fs.String("ca-file", "", "write the root CA certificate (PEM) to this file")
	quiet := fs.Bool("quiet", false, "do not log requests")
	dcvScope := fs.String("dcv-scope", env(simulator.DCVScopeEnv, simulator.DCVScopeRegistrableDomain),
		"which _dnsauth records orders ask for: "+simulator.DCVScopeRegistrableDomain+" (one per registrable domain) or "+
			simulator.DCVScopePerName+" (one per name) (env "+simulator.DCVScopeEnv+")")
	dnsListen := fs.String("dns-listen", env("REGFISH_SIM_DNS_LISTEN", ""),
		"serve the account's zones as an authoritative DNS server on this address, UDP and TCP, e.g. 127.0.0.1:5353 (port 0 picks a free port; env REGFISH_SIM_DNS_LISTEN; default: off)")
	dnsUpstream := fs.String("dns-upstream", env("REGFISH_SIM_DNS_UPSTREAM", ""),
		"DNS server (host:port) the CA asks for DCV records outside the account's zones, e.g. your own test DNS server 127.0.0.1:5300 (env REGFISH_SIM_DNS_UPSTREAM; default: none, only regfish DNS counts)")
	var variants simulator.Variants
	if err := variants.Set(os.Getenv(simulator.VariantsEnv)); err != nil {
		return fmt.Errorf("%s: %w", simulator.VariantsEnv, err)
	}
	fs.Func("variant", "answer like regfish might where its behaviour is not documented: key=value[,key=value] (repeatable; env "+
		simulator.VariantsEnv+"): "+variantHelp(), variants.Set)
	keys := map[string][]string{}
	fs.Func("key", "a further API key limited to parts of the API: KEY=tls, KEY=dns or KEY=tls+dns (repeatable)", func(v string) error {
		k, roles, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return errors.New("want KEY=tls, KEY=dns or KEY=tls+dns")
		}
		for _, r := range strings.Split(roles, "+") {
			if r != "tls" && r != "dns" {
				return fmt.Errorf("unknown role %q (want tls or dns)", r)
			}
			keys[k] = append(keys[k], r)
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	logw := stderr
	if *quiet {
		logw = io.Discard
	}
	var zs []string
	for _, z := range strings.Split(*zones, ",") {
		if z = strings.TrimSpace(z); z != "" {
			zs = append(zs, z)
		}
	}
	if *approval == 0 {
		*approval = -1
	}
	sim, err := simulator.New(simulator.Options{
		APIKey: *key, Zones: zs, ApprovalDelay: *approval, IssueDelay: *issue, DNSSECDelay: *dnssecDelay, ContractDays: *contract,
		RateLimit: *rate, StatePath: *state, Log: logw, Seed: *seed, OrgReadyDelay: *orgDelay, DCVScope: *dcvScope,
		Variants: variants, Keys: keys, DNSListen: *dnsListen, DNSUpstream: *dnsUpstream,
	})
	if err != nil {
		return err
	}
	defer func() { _ = sim.Close() }()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if *caFile != "" {
		if err := os.WriteFile(*caFile, sim.CA().RootPEM, 0o644); err != nil {
			return err
		}
	}
	keyHint := "the key given with -api-key or REGFISH_SIM_API_KEY"
	if *key == "sim-key" {
		keyHint = `the default key "sim-key"` // a test key; any other is never printed
	}
	_, _ = fmt.Fprintf(stdout, "regfish API simulator listening on %s (zones %s; DCV scope %s; clients send %s)\n",
		base, strings.Join(zs, ", "), sim.DCVScope(), keyHint)
	if v := sim.Variants().String(); v != "" {
		_, _ = fmt.Fprintf(stdout, "variants: %s\n", v)
	}
	_, _ = fmt.Fprintf(stdout, "root CA certificate: %s%sca.pem\n", base, simulator.ControlPrefix)
	if a := sim.DNSAddr(); a != "" {
		_, _ = fmt.Fprintf(stdout, "authoritative DNS for the account's zones: %s (UDP and TCP)\n", a)
	}
	if u := sim.DNSUpstream(); u != "" {
		_, _ = fmt.Fprintf(stdout, "the CA resolves DCV records outside the account's zones at %s\n", u)
	}

	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(base+"\n"), 0o644); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	return nil
}
