package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// certWithActions is a certificate resource plus action blocks.
func certWithActions(csr, actions string) string {
	return certConfig("RapidSSL", "www.example.com", nil, csr, "") + actions
}

// changeOf returns the plan's change of addr.
func changeOf(t *testing.T, changes []planChange, addr string) planChange {
	t.Helper()
	for _, c := range changes {
		if c.Address == addr {
			return c
		}
	}
	t.Fatalf("the plan has no change for %s: %+v", addr, changes)
	return planChange{}
}

// Revoking a certificate with the action: plan-time checks on the id,
// the revocation with its reason, a repeated invocation that changes
// nothing, and a next plan that tells the truth: the certificate is revoked
// and its resource places a new order in its place.
func TestAccCertificateRevokeAction_Basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	w := newWorkspace(t, e)
	w.skipBelowTerraform(1, 14)
	csr, _ := csrHCL(t, "www.example.com")
	pending := e.order(t, "RapidSSL", "pending.example.com")
	// held: with DCV reuse the validated example.com would issue it
	if err := e.sim.Hold(pending.ID, true); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(certWithActions(csr, `
action "regfish_tls_certificate_revoke" "www" {
  config {
    certificate_id = regfish_tls_certificate.www.id
    reason         = "key compromise"
  }
}
`))
	w.write(cfg)
	w.mustRun("apply", "-auto-approve", "-no-color")
	id := fmt.Sprint(w.stateIDs()[certAddr]["id"])

	// bad input fails at plan time, naming the field
	for _, tc := range []struct{ id, reason, want string }{
		{"NOSUCHCERT42", "test", `Certificate Not Found.*certificate_id NOSUCHCERT42: the regfish account has no such certificate`},
		{pending.ID, "test", `Certificate Not Issued.*certificate_id ` + pending.ID + `: the order is still pending`},
		{"not/an/id", "test", `certificate_id must be a certificate id`},
		{id, "", `reason string length must be between 1 and 255`},
	} {
		w.write(cfg + fmt.Sprintf(`
action "regfish_tls_certificate_revoke" "bad" {
  config {
    certificate_id = %q
    reason         = %q
  }
}
`, tc.id, tc.reason))
		out, err := w.run("plan", "-no-color", "-invoke=action.regfish_tls_certificate_revoke.bad")
		if err == nil || !errRe(tc.want).MatchString(out) {
			t.Errorf("plan -invoke with certificate_id %q, reason %q: err %v, want an error matching %q:\n%s", tc.id, tc.reason, err, tc.want, out)
		}
	}
	w.write(cfg)
	if o, _ := e.sim.Order(id); o.Status != "issued" {
		t.Fatalf("certificate %s has status %s before the action ran", id, o.Status)
	}

	out := w.mustRun("apply", "-auto-approve", "-no-color", "-invoke=action.regfish_tls_certificate_revoke.www")
	if !errRe(`Certificate ` + id + ` \(serial \w+\) revoked: key compromise`).MatchString(out) {
		t.Errorf("no progress line for the revocation:\n%s", out)
	}
	if o, _ := e.sim.Order(id); o.Status != "revoked" {
		t.Fatalf("certificate %s has status %s after the revoke action", id, o.Status)
	}
	out = w.mustRun("apply", "-auto-approve", "-no-color", "-invoke=action.regfish_tls_certificate_revoke.www")
	if !strings.Contains(out, "is revoked already") {
		t.Errorf("a second revoke should change nothing and say so:\n%s", out)
	}

	// the next plan: the refresh reads "revoked", the decision places a new order
	changes, planOut := w.plan()
	c := changeOf(t, changes, certAddr)
	if !slices.Equal(c.Change.Actions, []string{"update"}) || c.Change.After["id"] != nil {
		t.Errorf("after the revoke: actions %v, planned id %v; want an in-place update with a new id", c.Change.Actions, c.Change.After["id"])
	}
	if !errRe(`New Certificate Order Instead of ` + id + `.*order ` + id + ` has status "revoked"`).MatchString(planOut) {
		t.Errorf("the plan does not say why it orders:\n%s", planOut)
	}
	w.mustRun("apply", "-no-color", "tfplan")
	after := w.stateIDs()[certAddr]
	if after["id"] == id || after["status"] != "issued" {
		t.Fatalf("after applying the plan: id %v (was %s), status %v", after["id"], id, after["status"])
	}
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
		t.Fatalf("plan not empty after the new order (%v):\n%s", err, out)
	}
}
