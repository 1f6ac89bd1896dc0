package simulator_test

import (
	"time"

	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// recordNames lists the names of validation records.
func recordNames(v *regfish.Validation) []string {
	var out []string
	if v != nil {
		for _, r := range v.DNSRecords {
			out = append(out, r.Name)
		}
	}
	return out
}

func sameList(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// cname creates one CNAME (no replacement: the name must be free).
func cname(t *testing.T, cl *regfish.Client, name, target string) {
	t.Helper()
	_, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: name, Data: target, TTL: 60})
	mustOK(t, err)
}

var coUKZones = []string{"example.com", "example.org", "example.co.uk"}

// TestDCVScopeRegistrableDomain: one record per registrable domain, and DCV
// passes only when each of them points to the order's token.
func TestDCVScopeRegistrableDomain(t *testing.T) {
	// strict: every order and reissue proves its records (no reuse)
	sim := testutil.StartSim(t, simulator.Options{Zones: coUKZones, DCVScope: simulator.DCVScopeRegistrableDomain, DCVReuse: -1})
	if sim.DCVScope() != simulator.DCVScopeRegistrableDomain {
		t.Fatalf("scope %q", sim.DCVScope())
	}
	cl := sim.Client(t)
	names := []string{"www.example.com", "api.example.com", "shop.example.co.uk", "example.org"}
	csr := testutil.NewCSR(t, names[0], names[1:]...)
	c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: names[0], DNSNames: names[1:], CSR: csr.PEM})
	want := []string{"_dnsauth.example.com.", "_dnsauth.example.co.uk.", "_dnsauth.example.org."}
	if got := recordNames(c.Validation); !sameList(got, want) {
		t.Fatalf("validation records %v, want %v", got, want)
	}
	target := c.Validation.DNSRecords[0].Value
	for _, r := range c.Validation.DNSRecords {
		if r.Value != target || r.Type != "CNAME" || !strings.HasSuffix(target, ".dcv.digicert.com.") {
			t.Fatalf("records must all point to the order's token: %+v", c.Validation.DNSRecords)
		}
	}
	// per-name records with the right token do not count in this scope
	cname(t, cl, "_dnsauth.www.example.com.", target)
	cname(t, cl, "_dnsauth.api.example.com.", target)
	cname(t, cl, "_dnsauth.shop.example.co.uk.", target)
	cname(t, cl, "_dnsauth.example.org.", target)
	// a record at the right name with another target does not count either
	cname(t, cl, "_dnsauth.example.com.", "0000.dcv.digicert.com.")
	cname(t, cl, "_dnsauth.example.co.uk.", target)
	if g := get(t, cl, c.ID); g.Status != "pending" {
		t.Fatalf("issued without _dnsauth.example.com pointing to the token: %+v", g)
	}
	publish(t, cl, c.Validation, c.ID) // replaces the wrong target
	g := get(t, cl, c.ID)
	if !g.Ready() {
		t.Fatalf("not issued with every registrable-domain record: %+v", g)
	}
	p, err := cl.DownloadCertificate(ctx, c.ID, "pem")
	mustOK(t, err)
	verifyChain(t, sim, p, csr, names, sim.Clock().Now())

	// a reissue lists the same scope with a new token and needs DCV again
	r, err := cl.ReissueCertificate(ctx, c.ID, regfish.ReissueRequest{CSR: csr.PEM, DCVMethod: regfish.DCVMethodCNAME})
	mustOK(t, err)
	if got := recordNames(r.Reissue.Validation); !sameList(got, want) {
		t.Fatalf("reissue records %v, want %v", got, want)
	}
	if r.Reissue.Validation.DNSRecords[0].Value == target {
		t.Fatal("reissue kept the order's token")
	}
	if g := get(t, cl, c.ID); g.Reissue.Status != "pending" {
		t.Fatalf("reissue passed DCV with the old token: %+v", g.Reissue)
	}
	publish(t, cl, r.Reissue.Validation, c.ID)
	if g := get(t, cl, c.ID); g.Reissue.Status != "issued" {
		t.Fatalf("reissue after DCV: %+v", g.Reissue)
	}
}

// TestDCVScopeWildcard: a leading "*." is stripped before the registrable
// domain (or the name itself) is taken.
func TestDCVScopeWildcard(t *testing.T) {
	for scope, want := range map[string][]string{
		simulator.DCVScopeRegistrableDomain: {"_dnsauth.example.co.uk."},
		simulator.DCVScopePerName:           {"_dnsauth.shop.example.co.uk."},
	} {
		t.Run(scope, func(t *testing.T) {
			sim := testutil.StartSim(t, simulator.Options{Zones: coUKZones, DCVScope: scope})
			cl := sim.Client(t)
			csr := testutil.NewCSR(t, "*.shop.example.co.uk", "shop.example.co.uk")
			c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSLWildcard", CommonName: "*.shop.example.co.uk", DNSNames: []string{"shop.example.co.uk"}, CSR: csr.PEM})
			if got := recordNames(c.Validation); !sameList(got, want) {
				t.Fatalf("records %v, want %v", got, want)
			}
			publish(t, cl, c.Validation, c.ID)
			if g := get(t, cl, c.ID); !g.Ready() {
				t.Fatalf("not issued: %+v", g)
			}
		})
	}
}

// TestDCVScopePerName: one record per distinct name; each is needed.
func TestDCVScopePerName(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{Zones: coUKZones, DCVScope: simulator.DCVScopePerName})
	cl := sim.Client(t)
	names := []string{"www.example.com", "api.example.com", "shop.example.co.uk"}
	c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: names[0], DNSNames: names[1:], CSR: testutil.NewCSR(t, names[0], names[1:]...).PEM})
	want := []string{"_dnsauth.www.example.com.", "_dnsauth.api.example.com.", "_dnsauth.shop.example.co.uk."}
	if got := recordNames(c.Validation); !sameList(got, want) {
		t.Fatalf("validation records %v, want %v", got, want)
	}
	target := c.Validation.DNSRecords[0].Value
	// the registrable domains' records do not count in this scope
	cname(t, cl, "_dnsauth.example.com.", target)
	cname(t, cl, "_dnsauth.example.co.uk.", target)
	cname(t, cl, want[0], target)
	cname(t, cl, want[1], target)
	if g := get(t, cl, c.ID); g.Status != "pending" {
		t.Fatalf("issued with a record missing: %+v", g)
	}
	cname(t, cl, want[2], target)
	if g := get(t, cl, c.ID); !g.Ready() {
		t.Fatalf("not issued: %+v", g)
	}
	r, err := cl.ReissueCertificate(ctx, c.ID, regfish.ReissueRequest{CSR: testutil.NewCSR(t, names[0], names[1:]...).PEM, DCVMethod: regfish.DCVMethodCNAME})
	mustOK(t, err)
	if got := recordNames(r.Reissue.Validation); !sameList(got, want) {
		t.Fatalf("reissue records %v, want %v", got, want)
	}
}

// TestDCVScopeSubdomainZone: with the registrable-domain scope an account
// holding only a subdomain zone cannot publish the record; per-name can.
func TestDCVScopeSubdomainZone(t *testing.T) {
	for scope, wantName := range map[string]string{
		simulator.DCVScopeRegistrableDomain: "_dnsauth.example.net.",
		simulator.DCVScopePerName:           "_dnsauth.www.shop.example.net.",
	} {
		t.Run(scope, func(t *testing.T) {
			sim := testutil.StartSim(t, simulator.Options{Zones: []string{"shop.example.net"}, DCVScope: scope})
			cl := sim.Client(t)
			c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.shop.example.net", CSR: testutil.NewCSR(t, "www.shop.example.net").PEM})
			if got := recordNames(c.Validation); !sameList(got, []string{wantName}) {
				t.Fatalf("records %v, want %s", got, wantName)
			}
			r := c.Validation.DNSRecords[0]
			_, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: r.Name, Data: r.Value, TTL: 60})
			if scope == simulator.DCVScopePerName {
				mustOK(t, err)
				if g := get(t, cl, c.ID); !g.Ready() {
					t.Fatalf("not issued: %+v", g)
				}
				return
			}
			if !regfish.IsNotFound(err) {
				t.Fatalf("record outside the account's zones: %v, want zone not found", err)
			}
			if g := get(t, cl, c.ID); g.Status != "pending" {
				t.Fatalf("issued without DCV: %+v", g)
			}
		})
	}
}

// TestDCVScopeSetting: the scope is set by option, environment and control
// API; an order keeps the scope it was requested under, a reissue takes
// the one in force when it is requested.
func TestDCVScopeSetting(t *testing.T) {
	t.Setenv(simulator.DCVScopeEnv, simulator.DCVScopePerName)
	if s, err := simulator.New(simulator.Options{}); err != nil || s.DCVScope() != simulator.DCVScopePerName {
		t.Fatalf("environment: %v %v", s, err)
	}
	if s, err := simulator.New(simulator.Options{DCVScope: simulator.DCVScopeRegistrableDomain}); err != nil || s.DCVScope() != simulator.DCVScopeRegistrableDomain {
		t.Fatalf("option over environment: %v", err)
	}
	t.Setenv(simulator.DCVScopeEnv, "")
	if s, err := simulator.New(simulator.Options{}); err != nil || s.DCVScope() != simulator.DCVScopeRegistrableDomain {
		t.Fatalf("default: %v", err)
	}
	t.Setenv(simulator.DCVScopeEnv, "per-zone")
	if _, err := simulator.New(simulator.Options{}); err == nil || !strings.Contains(err.Error(), "per-zone") {
		t.Fatalf("bad environment value: %v", err)
	}
	if _, err := simulator.New(simulator.Options{DCVScope: "nope"}); err == nil {
		t.Fatal("bad option accepted")
	}
	t.Setenv(simulator.DCVScopeEnv, "")

	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	settings := func(method, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, sim.URL+"/_sim/settings", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		mustOK(t, err)
		defer func() { _ = resp.Body.Close() }()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if st, out := settings(http.MethodGet, ""); st != 200 || out["dcv_scope"] != simulator.DCVScopeRegistrableDomain {
		t.Fatalf("GET settings: %d %v", st, out)
	}
	names := []string{"www.example.com", "api.example.com"}
	csr := testutil.NewCSR(t, names[0], names[1])
	a := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: names[0], DNSNames: names[1:], CSR: csr.PEM})
	if st, out := settings(http.MethodPost, `{"dcv_scope":"per-name"}`); st != 200 || out["dcv_scope"] != simulator.DCVScopePerName || sim.DCVScope() != simulator.DCVScopePerName {
		t.Fatalf("POST settings: %d %v", st, out)
	}
	if st, _ := settings(http.MethodPost, `{"dcv_scope":"everything","contract_days":5}`); st != 400 || sim.DCVScope() != simulator.DCVScopePerName {
		t.Fatalf("bad scope: %d, scope now %s", st, sim.DCVScope())
	}
	if _, out := settings(http.MethodGet, ""); out["contract_days"] != float64(0) {
		t.Fatalf("a refused POST changed other settings: %v", out)
	}
	b := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: names[0], DNSNames: names[1:], CSR: csr.PEM})
	if got := recordNames(get(t, cl, a.ID).Validation); !sameList(got, []string{"_dnsauth.example.com."}) {
		t.Fatalf("older order changed its records: %v", got)
	}
	perName := []string{"_dnsauth.www.example.com.", "_dnsauth.api.example.com."}
	if got := recordNames(b.Validation); !sameList(got, perName) {
		t.Fatalf("order after the switch: %v", got)
	}
	if ia, _ := sim.Order(a.ID); ia.DCVScope != simulator.DCVScopeRegistrableDomain {
		t.Fatalf("order info of a: %+v", ia)
	}
	if ib, _ := sim.Order(b.ID); ib.DCVScope != simulator.DCVScopePerName {
		t.Fatalf("order info of b: %+v", ib)
	}
	// a is validated by its own (registrable-domain) record
	publish(t, cl, a.Validation, a.ID)
	if !get(t, cl, a.ID).Ready() {
		t.Fatal("order not issued by the records it lists")
	}
	r, err := cl.ReissueCertificate(ctx, a.ID, regfish.ReissueRequest{CSR: csr.PEM, DCVMethod: regfish.DCVMethodCNAME})
	mustOK(t, err)
	if got := recordNames(r.Reissue.Validation); !sameList(got, perName) {
		t.Fatalf("reissue requested under per-name: %v", got)
	}
	mustOK(t, sim.SetDCVScope(simulator.DCVScopeRegistrableDomain))
	if err := sim.SetDCVScope("bogus"); err == nil || sim.DCVScope() != simulator.DCVScopeRegistrableDomain {
		t.Fatalf("SetDCVScope(bogus): %v", err)
	}
}

// TestDCVScopePersists: orders keep their scope across a restart under
// another scope, and orders from state files written before scopes existed
// are per-name.
func TestDCVScopePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	sim := testutil.StartSim(t, simulator.Options{StatePath: path, DCVScope: simulator.DCVScopePerName})
	names := []string{"www.example.com", "api.example.com"}
	csr := testutil.NewCSR(t, names[0], names[1])
	req := regfish.CertificateRequest{SKU: "RapidSSL", CommonName: names[0], DNSNames: names[1:], CSR: csr.PEM}
	a := order(t, sim.Client(t), req)
	sim.Server.Close()

	again := testutil.StartSim(t, simulator.Options{StatePath: path, DCVScope: simulator.DCVScopeRegistrableDomain})
	cl := again.Client(t)
	perName := []string{"_dnsauth.www.example.com.", "_dnsauth.api.example.com."}
	if got := recordNames(get(t, cl, a.ID).Validation); !sameList(got, perName) {
		t.Fatalf("after restart: %v, want %v", got, perName)
	}
	b := order(t, cl, req)
	if got := recordNames(b.Validation); !sameList(got, []string{"_dnsauth.example.com."}) {
		t.Fatalf("new order after restart: %v", got)
	}
	publish(t, cl, a.Validation, a.ID)
	if !get(t, cl, a.ID).Ready() {
		t.Fatal("restored order not validated by its per-name records")
	}
	again.Server.Close()

	// an older state file: orders without a scope
	raw, err := os.ReadFile(path)
	mustOK(t, err)
	var st map[string]any
	mustOK(t, json.Unmarshal(raw, &st))
	orders, _ := st["orders"].([]any)
	stripped := 0
	for _, o := range orders {
		if m, ok := o.(map[string]any); ok && m["dcv_scope"] != nil {
			delete(m, "dcv_scope")
			stripped++
		}
	}
	if stripped != 2 {
		t.Fatalf("state file holds %d orders with a scope, want 2", stripped)
	}
	raw, err = json.Marshal(st)
	mustOK(t, err)
	mustOK(t, os.WriteFile(path, raw, 0o600))
	old := testutil.StartSim(t, simulator.Options{StatePath: path})
	if got := recordNames(get(t, old.Client(t), b.ID).Validation); !sameList(got, perName) {
		t.Fatalf("order from an old state file: %v, want per-name %v", got, perName)
	}
	if i, _ := old.Order(b.ID); i.DCVScope != simulator.DCVScopePerName {
		t.Fatalf("order info from an old state file: %+v", i)
	}
}

// TestDCVTwoOrdersOneName: a CNAME is the only record at its name, so two
// orders needing the same _dnsauth record cannot publish it at once; the
// second validates once the first one's record is gone.
func TestDCVTwoOrdersOneName(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{DCVReuse: -1, Variants: fullEnvelope})
	cl := sim.Client(t)
	a := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "a.example.com", CSR: testutil.NewCSR(t, "a.example.com").PEM})
	b := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "a.example.com", CSR: testutil.NewCSR(t, "a.example.com").PEM})
	ra, rb := a.Validation.DNSRecords[0], b.Validation.DNSRecords[0]
	if ra.Name != rb.Name || ra.Value == rb.Value {
		t.Fatalf("two orders: %+v %+v", ra, rb)
	}
	first, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: ra.Name, Data: ra.Value, TTL: 60})
	mustOK(t, err)
	_, err = cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: rb.Name, Data: rb.Value, TTL: 60})
	var ae *regfish.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 409 || ae.Code != 15005 {
		t.Fatalf("second _dnsauth CNAME: %v, want 409 code 15005", err)
	}
	if !get(t, cl, a.ID).Ready() || get(t, cl, b.ID).Status != "pending" {
		t.Fatal("only the first order may validate")
	}
	mustOK(t, cl.DeleteRecord(ctx, int64(first.ID)))
	cname(t, cl, rb.Name, rb.Value)
	if !get(t, cl, b.ID).Ready() {
		t.Fatal("second order not issued once its record could be published")
	}
}

// Under the registrable-domain scope a domain validated by one order's
// record counts for the account's later orders until Options.DCVReuse
// passes, as DigiCert reuses a domain validation; under per-name every
// order proves its own records.
func TestDCVReuse(t *testing.T) {
	for _, tc := range []struct {
		scope string
		reuse bool
	}{{simulator.DCVScopeRegistrableDomain, true}, {simulator.DCVScopePerName, false}} {
		t.Run(tc.scope, func(t *testing.T) {
			sim := testutil.StartSim(t, simulator.Options{DCVScope: tc.scope})
			cl := sim.Client(t)
			a := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "a.example.com", CSR: testutil.NewCSR(t, "a.example.com").PEM})
			for _, r := range a.Validation.DNSRecords {
				cname(t, cl, r.Name, r.Value)
			}
			if !get(t, cl, a.ID).Ready() {
				t.Fatal("first order not issued with its record")
			}
			b := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "b.example.com", CSR: testutil.NewCSR(t, "b.example.com").PEM})
			if got := get(t, cl, b.ID).Ready(); got != tc.reuse {
				t.Fatalf("second order for the same domain, no record: issued %v, want %v", got, tc.reuse)
			}
			if !tc.reuse {
				return
			}
			sim.Clock().Advance(201 * 24 * time.Hour)
			c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "c.example.com", CSR: testutil.NewCSR(t, "c.example.com").PEM})
			if get(t, cl, c.ID).Ready() {
				t.Fatal("the validation was reused after 200 days")
			}
		})
	}
}
