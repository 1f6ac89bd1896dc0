package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// stateCert is the certificate of addr in the workspace's state.
func (w *tfWorkspace) stateCert(addr string) map[string]any {
	w.t.Helper()
	return w.stateIDs()[addr]
}

// apiWrites counts the simulator's non-GET API requests.
func (e *accEnv) apiWrites() int {
	n := 0
	for route, v := range e.sim.Stats().Requests {
		if !strings.HasPrefix(route, "GET ") {
			n += v
		}
	}
	return n
}

// Reissuing with the action: with the same key, the refresh takes the new
// certificate and nothing is left to do; with a new key, the next plan
// shows the reissue back to the configured key, or — once the resource's
// csr is the new CSR — only records it. No new order at any point.
func TestAccCertificateReissueAction_Basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	w := newWorkspace(t, e)
	w.skipBelowTerraform(1, 14)
	csr1, key1 := csrHCL(t, "www.example.com")
	csr2, key2 := csrHCL(t, "www.example.com")
	_, other := csrHCL(t, "other.example.com")
	actions := fmt.Sprintf(`
action "regfish_tls_certificate_reissue" "same_key" {
  config {
    certificate_id = regfish_tls_certificate.www.id
    csr            = regfish_tls_certificate.www.csr
    timeout        = "2m"
  }
}
action "regfish_tls_certificate_reissue" "new_key" {
  config {
    certificate_id = regfish_tls_certificate.www.id
    csr            = %s
    reason         = "key rotation"
  }
}
action "regfish_tls_certificate_reissue" "wrong_names" {
  config {
    certificate_id = regfish_tls_certificate.www.id
    csr            = %q
  }
}
`, csr2, other.PEM)
	w.write(e.config(certWithActions(csr1, actions)))
	w.mustRun("apply", "-auto-approve", "-no-color")
	first := w.stateCert(certAddr)
	id := fmt.Sprint(first["id"])
	leafKey := func() string { return order.LeafKeyFingerprint(fmt.Sprint(w.stateCert(certAddr)["certificate_pem"])) }
	keyOf := func(c testutil.CSR) string { return order.KeyFingerprint(c.Key.Public()) }

	// a CSR for other names fails at plan time, naming csr
	out, err := w.run("plan", "-no-color", "-invoke=action.regfish_tls_certificate_reissue.wrong_names")
	if err == nil || !errRe(`Invalid CSR.*csr does not fit certificate `+id).MatchString(out) {
		t.Errorf("plan -invoke with a CSR for other names: err %v:\n%s", err, out)
	}

	// the same key: the refresh takes the new certificate; nothing else to do
	out = w.mustRun("apply", "-auto-approve", "-no-color", "-invoke=action.regfish_tls_certificate_reissue.same_key")
	if !errRe(`Reissuing certificate ` + id + ` \(www.example.com\) on its order, with the same key.*Certificate ` + id + ` reissued: serial`).MatchString(out) {
		t.Errorf("progress lines of the reissue:\n%s", out)
	}
	if err := e.noDCVRecordsLeft(nil); err != nil {
		t.Error(err)
	}
	w.mustRun("apply", "-refresh-only", "-auto-approve", "-no-color")
	second := w.stateCert(certAddr)
	if second["serial_number"] == first["serial_number"] || second["id"] != id || leafKey() != keyOf(key1) {
		t.Fatalf("after the same-key reissue: serial %v (was %v), id %v, key changed %v", second["serial_number"], first["serial_number"], second["id"], leafKey() != keyOf(key1))
	}
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
		t.Fatalf("plan not empty after a same-key reissue (%v):\n%s", err, out)
	}

	// a new key: the next plan shows the reissue back to the configured key
	w.mustRun("apply", "-auto-approve", "-no-color", "-invoke=action.regfish_tls_certificate_reissue.new_key")
	w.mustRun("apply", "-refresh-only", "-auto-approve", "-no-color")
	if leafKey() != keyOf(key2) {
		t.Fatalf("the refresh after a new-key reissue did not take the new key")
	}
	changes, planOut := w.plan()
	c := changeOf(t, changes, certAddr)
	if !slices.Equal(c.Change.Actions, []string{"update"}) || c.Change.After["id"] != id {
		t.Errorf("after a new-key reissue: actions %v, planned id %v; want an update of %s", c.Change.Actions, c.Change.After["id"], id)
	}
	if !errRe(`Reissuing Certificate ` + id + `.*no new order`).MatchString(planOut) {
		t.Errorf("the plan does not say it reissues back to the configured key:\n%s", planOut)
	}

	// with the new CSR in the configuration the plan only records it
	w.write(e.config(certWithActions(csr2, actions)))
	changes, planOut = w.plan()
	c = changeOf(t, changes, certAddr)
	if !slices.Equal(c.Change.Actions, []string{"update"}) || c.Change.After["certificate_pem"] == nil || strings.Contains(planOut, "Reissuing") {
		t.Errorf("with the new CSR: actions %v, certificate_pem known %v; want only the csr recorded:\n%s", c.Change.Actions, c.Change.After["certificate_pem"] != nil, planOut)
	}
	writes := e.apiWrites()
	w.mustRun("apply", "-no-color", "tfplan")
	if n := e.apiWrites() - writes; n != 0 {
		t.Errorf("recording the csr made %d API write calls", n)
	}
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
		t.Fatalf("plan not empty after recording the csr (%v):\n%s", err, out)
	}
	if n := len(e.sim.Orders()); n != 1 {
		t.Fatalf("%d orders, want the one order reissued in place", n)
	}
}
