package main

import (
	"io"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// An unknown DCV scope, by flag or environment, stops the simulator before
// it listens. (The listen address is invalid too, so a scope that is not
// checked ends the run with a listen error instead of serving forever.)
func TestDCVScopeFlagAndEnv(t *testing.T) {
	err := run([]string{"-listen", "127.0.0.1:99999", "-quiet", "-dcv-scope", "by-zone"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"by-zone"`) {
		t.Fatalf("flag: %v", err)
	}
	t.Setenv(simulator.DCVScopeEnv, "by-label")
	err = run([]string{"-listen", "127.0.0.1:99999", "-quiet"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"by-label"`) {
		t.Fatalf("environment: %v", err)
	}
	// the flag wins over the environment
	err = run([]string{"-listen", "127.0.0.1:99999", "-quiet", "-dcv-scope", "by-flag"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"by-flag"`) {
		t.Fatalf("flag over environment: %v", err)
	}
}

// -dns-listen (and its variable) reach the simulator: an address that
// cannot be served stops it with the DNS server's error, before the API
// listens.
func TestDNSListenFlagAndEnv(t *testing.T) {
	err := run([]string{"-listen", "127.0.0.1:99999", "-quiet", "-dns-listen", "127.0.0.1:99998"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DNS server") {
		t.Fatalf("flag: %v", err)
	}
	t.Setenv("REGFISH_SIM_DNS_LISTEN", "127.0.0.1:99997")
	err = run([]string{"-listen", "127.0.0.1:99999", "-quiet"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DNS server") || !strings.Contains(err.Error(), "99997") {
		t.Fatalf("environment: %v", err)
	}
}
