package provider

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// A state written before cancel_on_destroy existed (schema version 0,
// without the attribute) plans no change after the upgrade: the upgrader
// fills in what version 0 did (cancel a pending order on destroy).
func TestAccCertificate_UpgradeFromVersion0PlansNothing(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	w := newWorkspace(t, e)
	csr, _ := csrHCL(t, "www.example.com")
	w.write(e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "")))
	if out, err := w.apply(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	path := filepath.Join(w.dir, "terraform.tfstate")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range st["resources"].([]any) {
		res := r.(map[string]any)
		if res["type"] != "regfish_tls_certificate" {
			continue
		}
		for _, inst := range res["instances"].([]any) {
			in := inst.(map[string]any)
			in["schema_version"] = 0
			attrs := in["attributes"].(map[string]any)
			delete(attrs, "cancel_on_destroy")
			found = true
		}
	}
	if !found {
		t.Fatal("no certificate in the state")
	}
	st["serial"] = st["serial"].(float64) + 1
	if b, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
		t.Fatalf("the plan after the upgrade is not empty (%v):\n%s", err, out)
	}
	// an apply writes the upgraded state: cancel_on_destroy = true
	if out, err := w.run("apply", "-refresh-only", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("apply -refresh-only: %v\n%s", err, out)
	}
	if v := w.stateIDs()["regfish_tls_certificate.www"]["cancel_on_destroy"]; v != true {
		t.Fatalf("cancel_on_destroy after the upgrade: %v", v)
	}
}
