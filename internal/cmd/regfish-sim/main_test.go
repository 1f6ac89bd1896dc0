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
