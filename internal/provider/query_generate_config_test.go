package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// These tests drive terraform the way a user does (tfcli_test.go) for what
// the testing framework cannot express: config generation by `terraform
// query` and `terraform apply -invoke` of actions.

// writeFile writes a file into the workspace.
func (w *tfWorkspace) writeFile(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *tfWorkspace) readFile(name string) string {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.dir, name))
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

// mustRun runs terraform and fails the test when it fails.
func (w *tfWorkspace) mustRun(args ...string) string {
	w.t.Helper()
	out, err := w.run(args...)
	if err != nil {
		w.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

var tfVersionRe = regexp.MustCompile(`v(\d+)\.(\d+)\.\d+`)

// skipBelowTerraform skips the test when the terraform binary is older than
// major.minor (OpenTofu has neither query nor actions: it skips too).
func (w *tfWorkspace) skipBelowTerraform(major, minor int) {
	w.t.Helper()
	out := w.mustRun("version")
	m := tfVersionRe.FindStringSubmatch(out)
	if m == nil || !strings.HasPrefix(out, "Terraform ") {
		w.t.Skipf("needs Terraform %d.%d or later, got %q", major, minor, strings.SplitN(out, "\n", 2)[0])
	}
	ma, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if ma < major || (ma == major && mi < minor) {
		w.t.Skipf("needs Terraform %d.%d or later, got %s", major, minor, m[0])
	}
}

// planChange is one resource change of a saved plan.
type planChange struct {
	Address string `json:"address"`
	Change  struct {
		Actions   []string        `json:"actions"`
		Importing json.RawMessage `json:"importing"`
		After     map[string]any  `json:"after"`
	} `json:"change"`
}

// plan runs terraform plan into a plan file and returns its changes and the
// human-readable output.
func (w *tfWorkspace) plan(args ...string) ([]planChange, string) {
	w.t.Helper()
	out := w.mustRun(append([]string{"plan", "-no-color", "-out=tfplan"}, args...)...)
	js := w.mustRun("show", "-json", "tfplan")
	if i := strings.Index(js, "{"); i > 0 {
		js = js[i:]
	}
	var p struct {
		ResourceChanges []planChange `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		w.t.Fatalf("terraform show -json: %v\n%s", err, js)
	}
	return p.ResourceChanges, out
}

// The way an existing fleet comes under Terraform: `terraform query
// -generate-config-out` writes resource and import blocks for every live
// certificate order and DNS record; the plan of that configuration only
// imports (no change, no order), and after the import the plan is empty.
func TestAccQuery_GenerateConfigPlansCleanly(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	w := newWorkspace(t, e)
	w.skipBelowTerraform(1, 14)
	cl := e.sim.Client(t)
	dv := e.issuedOrder(t, "RapidSSL", "www.example.com", "api.example.com")
	org, err := cl.CreateOrganization(ctxBG, regfish.OrganizationRequest{Organization: "Example GmbH", FirstName: "Ada", LastName: "Admin",
		Address: "Musterstrasse 1", PostalCode: "10115", City: "Berlin", CountryCode: "DE", Phone: "+49 30 1234567", Email: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ov, err := cl.CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "SecureSite", CommonName: "shop.example.org",
		CSR: csrPEM(t, "shop.example.org"), DCVMethod: regfish.DCVMethodCNAME, OrgID: string(org.ID), ValidityDays: 90})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.ForceValidate(ov.ID); err != nil {
		t.Fatal(err)
	}
	if c, err := cl.GetCertificate(ctxBG, ov.ID); err != nil || c.Status != regfish.StatusIssued {
		t.Fatalf("OV order not issued: %v %+v", err, c)
	}
	prio := 10
	for _, r := range []regfish.RecordRequest{
		recordReq("www.example.com", "A", "192.0.2.1"),
		{Name: "example.com", Type: "MX", Data: "mx1.example.org", TTL: 300, Priority: &prio},
		{Name: "example.com", Type: "TXT", Data: "v=spf1 -all", TTL: 600, Annotation: "spf"},
	} {
		if _, err := cl.CreateRecord(ctxBG, r); err != nil {
			t.Fatal(err)
		}
	}

	w.write(e.config(""))
	w.writeFile("fleet.tfquery.hcl", `
list "regfish_tls_certificate" "fleet" {
  provider = regfish
}
list "regfish_dns_record" "example_com" {
  provider = regfish
  config {
    zone = "example.com"
  }
}
`)
	out := w.mustRun("query", "-no-color", "-generate-config-out=generated.tf")
	for _, id := range []string{dv.ID, ov.ID} {
		if !strings.Contains(out, "id="+id) {
			t.Errorf("terraform query does not list certificate %s:\n%s", id, out)
		}
	}
	gen := w.readFile("generated.tf")
	// terraform aligns the "=" of a block by its longest name
	for _, want := range []string{
		`resource "regfish_tls_certificate" "fleet_0"`, `resource "regfish_tls_certificate" "fleet_1"`,
		`resource "regfish_dns_record" "example_com_2"`,
		`org_id +=  "` + string(org.ID) + `"`, `validity_days +=  90`, `private_key_wo +=  null`,
		`id =  "` + dv.ID + `"`, `id =  "` + ov.ID + `"`,
	} {
		// " +=  " in want: any run of spaces, then "= "
		pattern := strings.ReplaceAll(regexp.QuoteMeta(want), ` \+=  `, ` += `)
		pattern = strings.ReplaceAll(pattern, ` =  `, ` = `)
		if !regexp.MustCompile(pattern).MatchString(gen) {
			t.Errorf("generated.tf lacks %q:\n%s", want, gen)
		}
	}
	if t.Failed() {
		return
	}

	changes, planOut := w.plan()
	var imported []string
	for _, c := range changes {
		if len(c.Change.Importing) == 0 || string(c.Change.Importing) == "null" || !slices.Equal(c.Change.Actions, []string{"no-op"}) {
			t.Errorf("%s: actions %v, importing %s; want a no-op import\n%s", c.Address, c.Change.Actions, c.Change.Importing, planOut)
		}
		imported = append(imported, c.Address)
	}
	if len(imported) != 5 {
		t.Errorf("the plan imports %v, want 2 certificates and 3 records\n%s", imported, planOut)
	}
	if !strings.Contains(planOut, "Plan: 5 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Errorf("plan summary:\n%s", planOut)
	}
	if t.Failed() {
		return
	}
	orders := len(e.sim.Orders())
	w.mustRun("apply", "-no-color", "tfplan")
	if out, err := w.run("plan", "-no-color", "-detailed-exitcode"); err != nil {
		t.Fatalf("the plan after the import is not empty (%v):\n%s", err, out)
	}
	if n := len(e.sim.Orders()); n != orders {
		t.Fatalf("importing placed %d orders", n-orders)
	}
	if ids := w.stateIDs(); fmt.Sprint(ids["regfish_tls_certificate.fleet_0"]["status"]) != "issued" {
		t.Fatalf("imported certificate: %v", ids["regfish_tls_certificate.fleet_0"])
	}
}

func csrPEM(t *testing.T, cn string, sans ...string) string {
	_, c := csrHCL(t, cn, sans...)
	return c.PEM
}
