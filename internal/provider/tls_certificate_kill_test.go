package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
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

// The same with a write-only key from an ephemeral variable that holds
// another key in every run (as an ephemeral tls_private_key does): the
// orphan's CSR key is no longer anyone's, so the next apply recognises its
// order by private_key_wo_version in the DCV records' annotation, adopts it
// (never a second order) and reissues it on the same order for the key of
// its own run.
func TestAccCertificate_KillDashNineWriteOnlyKey(t *testing.T) {
	e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour})
	if e.annotationsDropped() {
		t.Log("annotation=dropped: the orphan's records carry no version; the plan and apply refuse to guess (TestAccCertificate_DCVUnknownOwner*), which this test does not cover")
		return
	}
	w := newWorkspace(t, e)
	w.write(e.config(`
variable "key" {
  type      = string
  ephemeral = true
  sensitive = true
}

resource "regfish_tls_certificate" "www" {
  product                = "RapidSSL"
  common_name            = "www.example.com"
  dns_names              = ["api.example.com"]
  private_key_wo         = var.key
  private_key_wo_version = 1
}
`))
	newKey := func() (string, string) {
		c := testutilKey(t)
		w.env = append(w.env, "TF_VAR_key="+c.pem)
		return c.pem, c.fp
	}
	newKey()
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
		n := 0
		for _, r := range e.sim.Records() {
			if strings.HasPrefix(r.Name, "_dnsauth.") && strings.Contains(r.Annotation, os[0].ID) {
				n++
			}
		}
		if n >= e.dcvRecordCount("www.example.com", "api.example.com") {
			orphan = os[0].ID
		}
	}
	if orphan == "" {
		t.Fatal("no order with published DCV records appeared")
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	// pending while the plan looks (the annotation's version tells), issued
	// by the time the apply looks (the same, with an issued order)
	mustSim(t, e.sim.Hold(orphan, true))
	e.sim.SetIssueDelay(0)
	newKey() // the plan's run holds another key
	planOut, err := w.run("plan", "-no-color")
	if err != nil || !strings.Contains(planOut, "Resuming Certificate Order "+orphan) {
		t.Fatalf("the plan does not say it resumes %s: %v\n%s", orphan, err, planOut)
	}
	mustSim(t, e.sim.Hold(orphan, false))
	mustSim(t, e.sim.ForceValidate(orphan)) // advances it: issued now
	if o, _ := e.sim.Order(orphan); o.Status != "issued" {
		t.Fatalf("the orphan is %s, want issued before the apply", o.Status)
	}
	_, fp := newKey() // and the apply's another again
	applyOut, err := w.apply()
	if err != nil {
		t.Fatalf("apply after kill -9: %v\n%s", err, applyOut)
	}
	ids := w.stateIDs()
	if got := fmt.Sprint(ids["regfish_tls_certificate.www"]["id"]); got != orphan {
		t.Fatalf("state holds %s, want the orphan %s\n%s", got, orphan, applyOut)
	}
	if n := len(e.sim.Orders()); n != 1 {
		t.Fatalf("%d orders after kill -9 and re-apply, want 1", n)
	}
	st := stateOf(ids)
	pemText, _ := stateAttr(st, certAddr, "certificate_pem")
	ic, err := order.ParseChain("", []byte(pemText))
	if err != nil {
		t.Fatal(err)
	}
	if got := publicKeySHA256(ic.Leaf.PublicKey); got != fp {
		t.Fatalf("the certificate carries key %s, want the key of the resuming apply %s", got, fp)
	}
	if s, _ := w.run("show", "-json", "-no-color"); strings.Contains(s, "PRIVATE KEY") {
		t.Fatal("the state holds a private key")
	}
}

type testKeyPEM struct{ pem, fp string }

// testutilKey makes an ECDSA P-256 key as PEM and its public_key_sha256.
func testutilKey(t *testing.T) testKeyPEM {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return testKeyPEM{pem: string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})), fp: publicKeySHA256(k.Public())}
}
