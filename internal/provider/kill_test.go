package provider

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// kill -9 of terraform after the order was placed, before any state was
// written: the next apply adopts the orphan instead of ordering again.
func TestAccCertificate_KillDashNineThenApply(t *testing.T) {
	for _, tc := range []struct {
		name string
		// when to kill: right after the order exists, or once its DCV
		// records are published
		afterDCV bool
	}{{"after-order", false}, {"after-dcv-records", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour})
			csr, key := csrHCL(t, "www.example.com", "api.example.com")
			w := newWorkspace(t, e)
			w.write(e.config(certConfig("RapidSSL", "www.example.com", []string{"api.example.com"}, csr, "") + `
output "id" {
  value = regfish_tls_certificate.www.id
}
`))
			if !tc.afterDCV {
				// hold the order so that the kill lands before DCV publication
				e.whenOrder(func(simulator.OrderInfo) bool { return true }, func(id string) error { return e.sim.Hold(id, true) })
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := w.command(ctx, "apply", "-auto-approve", "-no-color")
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			var orphan string
			for deadline := time.Now().Add(time.Minute); orphan == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				select {
				case <-exited:
					t.Fatalf("terraform apply ended before an order appeared:\n%s", out.String())
				default:
				}
				os := e.sim.Orders()
				if len(os) == 0 {
					continue
				}
				if tc.afterDCV {
					n := 0
					for _, r := range e.sim.Records() {
						if strings.HasPrefix(r.Name, "_dnsauth.") && (strings.Contains(r.Annotation, os[0].ID) || (e.annotationsDropped() && r.Type == "CNAME")) {
							n++
						}
					}
					if n < e.dcvRecordCount("www.example.com", "api.example.com") {
						continue
					}
				}
				orphan = os[0].ID
			}
			if orphan == "" {
				t.Fatal("no order appeared")
			}
			if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-exited
			if ids := w.stateIDs(); ids["regfish_tls_certificate.www"] != nil {
				t.Fatalf("the killed apply wrote a state: %v", ids)
			}
			_ = e.sim.Hold(orphan, false)
			e.sim.SetIssueDelay(0)

			planOut, err := w.run("plan", "-no-color")
			if err != nil || !strings.Contains(planOut, "Resuming Certificate Order "+orphan) {
				t.Fatalf("the plan does not say it resumes %s: %v\n%s", orphan, err, planOut)
			}
			applyOut, err := w.apply()
			if err != nil {
				t.Fatalf("apply after kill -9: %v\n%s", err, applyOut)
			}
			ids := w.stateIDs()
			got := fmt.Sprint(ids["regfish_tls_certificate.www"]["id"])
			if got != orphan {
				t.Fatalf("state holds %s, want the orphan %s\n%s", got, orphan, applyOut)
			}
			if n := len(e.sim.Orders()); n != 1 {
				t.Fatalf("%d orders after kill -9 and re-apply, want 1: %+v", n, e.sim.Orders())
			}
			if err := e.checkChain("regfish_tls_certificate.www", key, "www.example.com", "api.example.com")(stateOf(ids)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
