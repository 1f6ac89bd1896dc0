package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// External DCV: regfish_tls_certificate with dcv_publisher = "external",
// its records published by another resource in the same apply (for_each
// over dcv_records), and regfish_tls_certificate_validation waiting for the
// certificate.
//
// terraform-plugin-testing cannot hold for_each resources in its state shim
// (hashicorp/terraform-plugin-sdk#536), so these tests drive the terraform
// CLI themselves: plan into a file, run plancheck checks on its JSON, apply
// exactly that plan, read the state with terraform show -json.

const validationAddr = "regfish_tls_certificate_validation.www"

// scopeCase is one DCV scope the simulator offers: its options and the
// provider's matching dcv_scope. Every external-mode test runs under each.
type scopeCase struct {
	scope string
	opts  func(*simulator.Options)
}

// allScopeCases lists the DCV scopes of the simulator.
func allScopeCases() []scopeCase {
	return []scopeCase{
		{scope: order.ScopeRegistrableDomain, opts: func(o *simulator.Options) { o.DCVScope = simulator.DCVScopeRegistrableDomain }},
		{scope: order.ScopePerName, opts: func(o *simulator.Options) { o.DCVScope = simulator.DCVScopePerName }},
	}
}

// scopeCases are the DCV scopes a test that runs under each scope runs
// under in this process: both, or only the one REGFISH_SIM_DCV_SCOPE names
// (make test's per-name rerun, which adds the dropped annotation to them:
// the registrable-domain half ran in the suite already).
func scopeCases() []scopeCase {
	env := os.Getenv(simulator.DCVScopeEnv)
	if env == "" {
		return allScopeCases()
	}
	var out []scopeCase
	for _, sc := range allScopeCases() {
		var o simulator.Options
		sc.opts(&o)
		if o.DCVScope == env {
			out = append(out, sc)
		}
	}
	if len(out) == 0 { // a test under no scope would pass without running
		panic(fmt.Sprintf("%s=%q names no DCV scope of the simulator", simulator.DCVScopeEnv, env))
	}
	return out
}

// registrableDomainScope is the registrable-domain case, for a test about
// two orders of one domain sharing a record, whatever the process's scope.
func registrableDomainScope() scopeCase { return allScopeCases()[0] }

// keys are the DCV record names a scope asks for, written out here
// independently of PredictDCVNames (the names in these tests sit directly
// below example.com, example.org or example.net).
func (sc scopeCase) keys(names ...string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimPrefix(n, "*.")
		if sc.scope == order.ScopeRegistrableDomain {
			labels := strings.Split(n, ".")
			n = strings.Join(labels[len(labels)-2:], ".")
		}
		if k := "_dnsauth." + n; !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func (sc scopeCase) other() scopeCase {
	if sc.scope == order.ScopeRegistrableDomain {
		return scopeCase{scope: order.ScopePerName}
	}
	return scopeCase{scope: order.ScopeRegistrableDomain}
}

// forEachScope runs fn in a subtest per DCV scope, with an acceptance
// environment whose simulator uses that scope.
func forEachScope(t *testing.T, opts simulator.Options, fn func(t *testing.T, e *accEnv, sc scopeCase)) {
	for _, sc := range scopeCases() {
		t.Run(sc.scope, func(t *testing.T) {
			o := opts
			sc.opts(&o)
			fn(t, newAccEnv(t, o), sc)
		})
	}
}

// configScope is e.config with the provider's dcv_scope.
func (e *accEnv) configScope(scope, cfg string) string {
	return strings.Replace(e.config(cfg), "provider \"regfish\" {\n", fmt.Sprintf("provider \"regfish\" {\n  dcv_scope         = %q\n", scope), 1)
}

func extCert(product, cn string, sans []string, csr, extra string) string {
	return certConfig(product, cn, sans, csr, "  dcv_publisher = \"external\"\n"+extra)
}

// dnsPublisher publishes the records with regfish_dns_record, standing in
// for another DNS provider's record resource.
const dnsPublisher = `
resource "regfish_dns_record" "dcv" {
  for_each = regfish_tls_certificate.www.dcv_records
  name     = each.value.name
  type     = each.value.type
  data     = each.value.value
  ttl      = 60
}
`

func validationConfig(dependsOn, extra string) string {
	return fmt.Sprintf(`
resource "regfish_tls_certificate_validation" "www" {
  certificate_id = regfish_tls_certificate.www.id
  dcv_records    = regfish_tls_certificate.www.dcv_records
  depends_on     = [%s]
%s
}
`, dependsOn, extra)
}

// pinConfig is a dependent of the validated certificate.
const pinConfig = `
resource "regfish_dns_record" "pin" {
  name = "pin.example.com"
  type = "TXT"
  data = regfish_tls_certificate_validation.www.sha256_fingerprint
}
`

// ----- the CLI harness ---------------------------------------------------

type cli struct {
	t *testing.T
	e *accEnv
	w *tfWorkspace
}

func newCLI(t *testing.T, e *accEnv) *cli { return &cli{t: t, e: e, w: newWorkspace(t, e)} }

// plan writes cfg, plans into a file, runs checks on the plan's JSON and
// returns the plan's text.
func (c *cli) plan(cfg string, checks ...plancheck.PlanCheck) string {
	c.t.Helper()
	c.w.write(cfg)
	out, err := c.w.run("plan", "-out=tfplan", "-no-color")
	if err != nil {
		c.t.Fatalf("terraform plan: %v\n%s", err, out)
	}
	js, err := c.w.run("show", "-json", "tfplan")
	if err != nil {
		c.t.Fatalf("terraform show: %v\n%s", err, js)
	}
	if i := strings.Index(js, "{"); i > 0 {
		js = js[i:]
	}
	var p tfjson.Plan
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		c.t.Fatalf("terraform show -json: %v", err)
	}
	for _, chk := range checks {
		var resp plancheck.CheckPlanResponse
		chk.CheckPlan(context.Background(), plancheck.CheckPlanRequest{Plan: &p}, &resp)
		if resp.Error != nil {
			c.t.Errorf("plan check: %v\n%s", resp.Error, out)
		}
	}
	if c.t.Failed() {
		c.t.FailNow()
	}
	return out
}

// apply applies the planned file; wantErr, when set, must match the
// failure.
func (c *cli) apply(wantErr *regexp.Regexp) string {
	c.t.Helper()
	out, err := c.w.run("apply", "-no-color", "tfplan")
	switch {
	case strings.Contains(out, "panic:") || strings.Contains(out, "inconsistent") || strings.Contains(out, "invalid new value"):
		c.t.Fatalf("terraform apply:\n%s", out)
	case wantErr == nil && err != nil:
		c.t.Fatalf("terraform apply: %v\n%s", err, out)
	case wantErr != nil && err == nil:
		c.t.Fatalf("terraform apply succeeded, want an error matching %s\n%s", wantErr, out)
	case wantErr != nil && !wantErr.MatchString(out):
		c.t.Fatalf("terraform apply failed, but not with %s:\n%s", wantErr, out)
	}
	return out
}

// step plans cfg with checks, applies it, and runs the state checks.
func (c *cli) step(cfg string, planChecks []plancheck.PlanCheck, wantErr *regexp.Regexp, checks ...func(st cliState) error) string {
	c.t.Helper()
	c.plan(cfg, planChecks...)
	out := c.apply(wantErr)
	st := c.state()
	for _, chk := range checks {
		if err := chk(st); err != nil {
			c.t.Fatalf("%v\n%s", err, out)
		}
	}
	return out
}

// noChanges checks that a plan of cfg (after a refresh) changes nothing.
func (c *cli) noChanges(cfg string) {
	c.t.Helper()
	c.w.write(cfg)
	out, err := c.w.run("plan", "-detailed-exitcode", "-no-color")
	var ee *exec.ExitError
	if err != nil && errors.As(err, &ee) && ee.ExitCode() == 2 {
		c.t.Fatalf("the plan is not empty:\n%s", out)
	}
	if err != nil {
		c.t.Fatalf("terraform plan: %v\n%s", err, out)
	}
}

// cliState is `terraform show -json`'s resources by address.
type cliState map[string]map[string]any

func (c *cli) state() cliState { return c.w.stateIDs() }

func (st cliState) get(addr, attr string) string {
	v, _ := st[addr][attr].(string)
	return v
}

// dcvRecords returns the certificate's dcv_records: key -> value.
func (st cliState) dcvRecords() map[string]string {
	out := map[string]string{}
	recs, _ := st[certAddr]["dcv_records"].(map[string]any)
	for k, v := range recs {
		o, _ := v.(map[string]any)
		val, _ := o["value"].(string)
		out[k] = val
	}
	return out
}

// ----- checks ------------------------------------------------------------

// dcvKeysPlanned checks that the plan knows every dcv_records key (and
// name) before apply, with the value known after apply, and that the DNS
// resource instance of each key is planned with action.
func dcvKeysPlanned(addr string, keys []string, action plancheck.ResourceActionType) []plancheck.PlanCheck {
	var out []plancheck.PlanCheck
	for _, k := range keys {
		rec := tfjsonpath.New("dcv_records").AtMapKey(k)
		out = append(out,
			plancheck.ExpectKnownValue(certAddr, rec.AtMapKey("name"), knownvalue.StringExact(k)),
			plancheck.ExpectKnownValue(certAddr, rec.AtMapKey("type"), knownvalue.StringExact("CNAME")),
			plancheck.ExpectUnknownValue(certAddr, rec.AtMapKey("value")),
			plancheck.ExpectResourceAction(fmt.Sprintf("%s[%q]", addr, k), action))
	}
	return out
}

// dcvPublished checks the simulated DNS: exactly the keys' _dnsauth
// records, none published by the provider itself, each holding the value
// the certificate exports.
func (e *accEnv) dcvPublished(keys []string) func(cliState) error {
	return func(st cliState) error {
		got := map[string]string{}
		for _, r := range e.sim.Records() {
			if !strings.HasPrefix(r.Name, "_dnsauth.") {
				continue
			}
			if strings.HasPrefix(r.Annotation, order.DCVAnnotationPrefix) {
				return fmt.Errorf("the provider published DCV record %s (%q) with dcv_publisher = external", r.Name, r.Annotation)
			}
			got[regfish.Hostname(r.Name)] = regfish.Hostname(r.Data)
		}
		if !slices.Equal(order.SortedKeys(got), keys) {
			return fmt.Errorf("DCV records in DNS %v, want %v", order.SortedKeys(got), keys)
		}
		recs := st.dcvRecords()
		if !slices.Equal(order.SortedKeys(recs), keys) {
			return fmt.Errorf("dcv_records %v, want %v", recs, keys)
		}
		for _, k := range keys {
			if recs[k] == "" || recs[k] != got[k] {
				return fmt.Errorf("dcv_records[%s].value %q, DNS holds %q", k, recs[k], got[k])
			}
		}
		return nil
	}
}

// validated checks the chain the validation resource hands out (against
// the simulator's root, for the names and the key), that a dependent got
// it, and that it is the certificate's order's.
func (e *accEnv) validated(key testutil.CSR, names ...string) func(cliState) error {
	return func(st cliState) error {
		if err := e.checkChain(validationAddr, key, names...)(stateOf(st)); err != nil {
			return err
		}
		if got, want := st.get("regfish_dns_record.pin", "data"), st.get(validationAddr, "sha256_fingerprint"); got != want {
			return fmt.Errorf("the dependent holds %q, the validation %q", got, want)
		}
		if got, want := st.get(validationAddr, "certificate_id"), st.get(certAddr, "id"); got != want || got == "" {
			return fmt.Errorf("validation of certificate %q, the certificate is %q", got, want)
		}
		return nil
	}
}

func (e *accEnv) orders(n int) func(cliState) error {
	return func(cliState) error { return e.orderCount(n)(nil) }
}

func attrIs(addr, attr, want string) func(cliState) error {
	return func(st cliState) error {
		if got := st.get(addr, attr); got != want {
			return fmt.Errorf("%s.%s is %q, want %q", addr, attr, got, want)
		}
		return nil
	}
}

func attrChanged(addr, attr, old string) func(cliState) error {
	return func(st cliState) error {
		if got := st.get(addr, attr); got == "" || got == old {
			return fmt.Errorf("%s.%s is %q, want a new value (was %q)", addr, attr, got, old)
		}
		return nil
	}
}

// expectPrior checks a value of the state the plan starts from.
type expectPrior struct {
	addr, attr, want string
}

func (c expectPrior) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		if got := before[c.attr]; got != c.want {
			resp.Error = fmt.Errorf("%s.%s in the state is %v, want %q", c.addr, c.attr, got, c.want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the plan", c.addr)
}

func plannedString(addr, attr, want string) plancheck.PlanCheck {
	return plancheck.ExpectKnownValue(addr, tfjsonpath.New(attr), knownvalue.StringExact(want))
}

// ----- the tests ---------------------------------------------------------

// The user story: a certificate whose DCV records another DNS provider
// publishes (regfish_dns_record standing in for it) in the same apply —
// for_each over dcv_records, with the keys known at plan time — and the
// validation resource hands the chain to a dependent. Afterwards the
// order is a steady state: the next plan is empty.
func TestAccCertificateValidation_UserStory(t *testing.T) {
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr, key := csrHCL(t, "www.example.com", "api.example.com")
		keys := sc.keys("www.example.com", "api.example.com")
		cfg := e.configScope(sc.scope, extCert("RapidSSL", "www.example.com", []string{"api.example.com"}, csr, "")+dnsPublisher+
			validationConfig("regfish_dns_record.dcv", "")+pinConfig)
		c := newCLI(t, e)
		plan := c.plan(cfg, append(dcvKeysPlanned("regfish_dns_record.dcv", keys, plancheck.ResourceActionCreate),
			plancheck.ExpectResourceAction(validationAddr, plancheck.ResourceActionCreate),
			plancheck.ExpectUnknownValue(validationAddr, tfjsonpath.New("full_chain_pem")))...)
		out := c.apply(nil)
		t.Logf("terraform plan:\n%s\nterraform apply:\n%s", plan, out)
		for _, chk := range []func(cliState) error{
			attrIs(certAddr, "dcv_publisher", "external"),
			e.validated(key, "www.example.com", "api.example.com"),
			e.dcvPublished(keys),
			e.orders(1),
		} {
			if err := chk(c.state()); err != nil {
				t.Fatal(err)
			}
		}
		c.noChanges(cfg)
		if out, err := c.w.run("apply", "-refresh-only", "-auto-approve", "-no-color"); err != nil {
			t.Fatalf("refresh: %v\n%s", err, out)
		}
		st := c.state()
		if err := checkLeafAttrs(validationAddr, 199)(stateOf(st)); err != nil {
			t.Error(err)
		}
		// the refresh downloaded the certificate into the certificate resource too
		if st.get(certAddr, "status") != "issued" || st.get(certAddr, "serial_number") != st.get(validationAddr, "serial_number") {
			t.Errorf("after refresh the certificate is %q with serial %q, the validation has %q", st.get(certAddr, "status"),
				st.get(certAddr, "serial_number"), st.get(validationAddr, "serial_number"))
		}
	})
}

// The records are published by something that is not regfish_dns_record:
// a terraform_data whose local-exec calls the simulator's DNS API with curl.
func TestAccCertificateValidation_PublishedByCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("this test publishes the DCV records with curl, which is not on PATH")
	}
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr, key := csrHCL(t, "shop.example.org", "www.example.org")
		keys := sc.keys("shop.example.org", "www.example.org")
		cfg := e.configScope(sc.scope, extCert("RapidSSL", "shop.example.org", []string{"www.example.org"}, csr, "")+fmt.Sprintf(`
resource "terraform_data" "dcv" {
  for_each = regfish_tls_certificate.www.dcv_records
  input    = each.value

  provisioner "local-exec" {
    command = "curl -fsS -X POST \"$URL/dns/rr\" -H \"x-api-key: $KEY\" -H 'Content-Type: application/json' -d \"$BODY\""
    environment = {
      URL  = %q
      KEY  = %q
      BODY = jsonencode({ type = each.value.type, name = each.value.name, data = each.value.value, ttl = 60 })
    }
  }
}
`, e.sim.URL, e.sim.APIKey())+validationConfig("terraform_data.dcv", "")+pinConfig)
		var checks []plancheck.PlanCheck
		for _, k := range keys {
			checks = append(checks, plancheck.ExpectResourceAction(fmt.Sprintf("terraform_data.dcv[%q]", k), plancheck.ResourceActionCreate))
		}
		c := newCLI(t, e)
		c.step(cfg, checks, nil, e.validated(key, "shop.example.org", "www.example.org"), e.dcvPublished(keys), e.orders(1))
		c.noChanges(cfg)
	})
}

// The validation resource's wait times out: nothing is saved for it and
// its dependents are not applied. The next apply waits again for the same
// order (the certificate plans nothing) and succeeds.
func TestAccCertificateValidation_InterruptedWaitResumes(t *testing.T) {
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr, key := csrHCL(t, "www.example.com")
		cfg := func(timeout string) string {
			return e.configScope(sc.scope, extCert("RapidSSL", "www.example.com", nil, csr, "")+dnsPublisher+
				validationConfig("regfish_dns_record.dcv", fmt.Sprintf("  timeouts {\n    create = %q\n  }", timeout))+pinConfig)
		}
		e.sim.SetIssueDelay(time.Hour) // the CA is slow
		c := newCLI(t, e)
		c.step(cfg("1s"), nil, errRe(`Certificate \w+ Not Issued.*timed out.*Certificate order \w+ is kept; the next terraform apply waits for it again \(no order is placed\)`))
		id := c.state().get(certAddr, "id")
		for _, r := range e.sim.Records() {
			if r.Name == "pin.example.com." {
				t.Fatalf("a dependent was applied without a certificate: %+v", r)
			}
		}
		e.advance(2 * time.Hour)
		c.step(cfg("1m"), []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionNoop),
			plancheck.ExpectResourceAction(validationAddr, plancheck.ResourceActionCreate),
		}, nil, attrIs(certAddr, "id", id), e.validated(key, "www.example.com"), e.orders(1))
		c.noChanges(cfg("1m"))
	})
}

// Renewal by a reissue on the same order (the contract outlives the
// certificate): the plan shows new DCV values (unknown) under the same
// keys, the DNS records and the wait updated, the same id.
func TestAccCertificateValidation_RenewalByReissue(t *testing.T) {
	forEachScope(t, simulator.Options{ContractDays: 365}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr, key := csrHCL(t, "www.example.org", "api.example.org")
		keys := sc.keys("www.example.org", "api.example.org")
		cfg := e.configScope(sc.scope, extCert("RapidSSL", "www.example.org", []string{"api.example.org"}, csr, "  validity_days = 90")+dnsPublisher+
			validationConfig("regfish_dns_record.dcv", "")+pinConfig)
		c := newCLI(t, e)
		c.step(cfg, nil, nil, e.dcvPublished(keys))
		st := c.state()
		id, serial, token := st.get(certAddr, "id"), st.get(validationAddr, "serial_number"), st.dcvRecords()[keys[0]]
		e.advance(61 * day)
		out := c.step(cfg, append(dcvKeysPlanned("regfish_dns_record.dcv", keys, plancheck.ResourceActionUpdate),
			plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
			plannedString(certAddr, "id", id),
			plancheck.ExpectResourceAction(validationAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectUnknownValue(validationAddr, tfjsonpath.New("full_chain_pem")),
			plancheck.ExpectResourceAction("regfish_dns_record.pin", plancheck.ResourceActionUpdate),
		), nil,
			attrIs(certAddr, "id", id),
			attrChanged(validationAddr, "serial_number", serial),
			func(st cliState) error {
				if st.dcvRecords()[keys[0]] == token {
					return fmt.Errorf("the DCV value stayed %s", token)
				}
				return checkLeafAttrs(validationAddr, 90)(stateOf(st))
			},
			e.validated(key, "www.example.org", "api.example.org"),
			e.dcvPublished(keys),
			e.orders(1),
		)
		if !strings.Contains(out, "reissue") {
			t.Logf("apply output:\n%s", out)
		}
		c.noChanges(cfg)
	})
}

// Renewal by a renewal order: the certificate takes the new order's id at
// once; the plan shows the DNS records (new values) and the wait (a new
// certificate_id) change; the old certificate stays issued.
func TestAccCertificateValidation_RenewalOrder(t *testing.T) {
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr, key := csrHCL(t, "www.example.com")
		keys := sc.keys("www.example.com")
		cfg := e.configScope(sc.scope, extCert("RapidSSL", "www.example.com", nil, csr, "  validity_days     = 30\n  renew_before_days = 10")+dnsPublisher+
			validationConfig("regfish_dns_record.dcv", "")+pinConfig)
		c := newCLI(t, e)
		c.step(cfg, nil, nil, e.dcvPublished(keys))
		st := c.state()
		oldID, serial, token := st.get(certAddr, "id"), st.get(validationAddr, "serial_number"), st.dcvRecords()[keys[0]]
		e.advance(21 * day)
		planOut := c.plan(cfg, append(dcvKeysPlanned("regfish_dns_record.dcv", keys, plancheck.ResourceActionUpdate),
			plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("id")),
			plancheck.ExpectResourceAction(validationAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectUnknownValue(validationAddr, tfjsonpath.New("certificate_id")),
			plancheck.ExpectUnknownValue(validationAddr, tfjsonpath.New("full_chain_pem")),
			expectPrior{validationAddr, "serial_number", serial},
		)...)
		if !errRe(`Renewing Certificate ` + oldID + `.*renewal order.*id changes to the renewal order at once.*regfish_tls_certificate_validation keeps the current certificate`).MatchString(planOut) {
			t.Errorf("plan words:\n%s", planOut)
		}
		c.apply(nil)
		st = c.state()
		for _, chk := range []func(cliState) error{
			attrChanged(certAddr, "id", oldID),
			attrIs(certAddr, "renewal_order_id", ""),
			// the certificate resource describes the new order, which had
			// no certificate when it took the id; the refresh fetches it
			attrIs(certAddr, "status", "pending"),
			attrIs(certAddr, "certificate_pem", ""),
			attrChanged(validationAddr, "serial_number", serial),
			e.validated(key, "www.example.com"),
			e.dcvPublished(keys),
			e.orders(2),
		} {
			if err := chk(st); err != nil {
				t.Fatal(err)
			}
		}
		if st.dcvRecords()[keys[0]] == token {
			t.Errorf("the DCV value stayed %s", token)
		}
		newID := st.get(certAddr, "id")
		if o, _ := e.sim.Order(newID); o.RenewalOfCertificateID != oldID {
			t.Errorf("order %s renews %q, want %s", newID, o.RenewalOfCertificateID, oldID)
		}
		if o, _ := e.sim.Order(oldID); o.Status != "issued" {
			t.Errorf("the renewed certificate %s is %s", oldID, o.Status)
		}
		c.noChanges(cfg)
	})
}

// Key rotation: a CSR with a new key reissues on the same order; the DNS
// records and the wait change in the same apply; the validated certificate
// carries the new key.
func TestAccCertificateValidation_KeyRotation(t *testing.T) {
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr1, _ := csrHCL(t, "www.example.com")
		csr2, key2 := csrHCL(t, "www.example.com")
		keys := sc.keys("www.example.com")
		cfg := func(csr string) string {
			return e.configScope(sc.scope, extCert("RapidSSL", "www.example.com", nil, csr, "")+dnsPublisher+validationConfig("regfish_dns_record.dcv", "")+pinConfig)
		}
		c := newCLI(t, e)
		c.step(cfg(csr1), nil, nil)
		st := c.state()
		id, serial := st.get(certAddr, "id"), st.get(validationAddr, "serial_number")
		// A CA that takes a moment: the validation must not take the
		// certificate regfish still serves while the reissue runs.
		e.sim.SetIssueDelay(500 * time.Millisecond)
		c.step(cfg(csr2), append(dcvKeysPlanned("regfish_dns_record.dcv", keys, plancheck.ResourceActionUpdate),
			plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectResourceAction(validationAddr, plancheck.ResourceActionUpdate),
		), nil,
			attrIs(certAddr, "id", id),
			attrChanged(validationAddr, "serial_number", serial),
			e.validated(key2, "www.example.com"),
			e.dcvPublished(keys),
			e.orders(1),
		)
		c.noChanges(cfg(csr2))
	})
}

// Changed names place a new order, in place: the apply returns once its
// records are known; the plan shows the new record's DNS resource created
// and the wait for the new certificate id; the old certificate stays issued.
func TestAccCertificateValidation_NewOrderForNewNames(t *testing.T) {
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr1, _ := csrHCL(t, "www.example.com")
		csr2, key2 := csrHCL(t, "www.example.com", "shop.example.org")
		cfg := func(csr string, sans ...string) string {
			return e.configScope(sc.scope, extCert("RapidSSL", "www.example.com", sans, csr, "")+dnsPublisher+validationConfig("regfish_dns_record.dcv", "")+pinConfig)
		}
		c := newCLI(t, e)
		c.step(cfg(csr1), nil, nil, e.dcvPublished(sc.keys("www.example.com")))
		oldID := c.state().get(certAddr, "id")
		added := sc.keys("shop.example.org")
		out := c.plan(cfg(csr2, "shop.example.org"), append(dcvKeysPlanned("regfish_dns_record.dcv", added, plancheck.ResourceActionCreate),
			plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("id")),
			plancheck.ExpectResourceAction(validationAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectUnknownValue(validationAddr, tfjsonpath.New("certificate_id")),
		)...)
		if !errRe(`New Certificate Order Instead of ` + oldID + `.*places a new order for shop.example.org, www.example.com.*starts the new order and returns once its new DCV records are known`).MatchString(out) {
			t.Errorf("plan words:\n%s", out)
		}
		c.apply(nil)
		st := c.state()
		for _, chk := range []func(cliState) error{
			attrChanged(certAddr, "id", oldID),
			e.validated(key2, "www.example.com", "shop.example.org"),
			e.dcvPublished(sc.keys("www.example.com", "shop.example.org")),
			e.orders(2),
		} {
			if err := chk(st); err != nil {
				t.Fatal(err)
			}
		}
		if o, _ := e.sim.Order(oldID); o.Status != "issued" {
			t.Errorf("the replaced certificate %s is %s, want issued (revoke_on_destroy is false)", oldID, o.Status)
		}
		c.noChanges(cfg(csr2, "shop.example.org"))
	})
}

// A wait for a new certificate that fails keeps the current one in the
// validation resource's state (and its dependents unchanged). The renewal
// by reissue the apply started is a steady state for the certificate: the
// next plan starts no second one, and the next apply resumes the wait.
func TestAccCertificateValidation_FailedWaitKeepsCurrentCertificate(t *testing.T) {
	forEachScope(t, simulator.Options{ContractDays: 365}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr, key := csrHCL(t, "www.example.com")
		cfg := func(timeout string) string {
			return e.configScope(sc.scope, extCert("RapidSSL", "www.example.com", nil, csr, "  validity_days = 90")+dnsPublisher+
				validationConfig("regfish_dns_record.dcv", fmt.Sprintf("  timeouts {\n    update = %q\n  }", timeout))+pinConfig)
		}
		c := newCLI(t, e)
		c.step(cfg("1m"), nil, nil)
		st := c.state()
		id, serial, fp := st.get(certAddr, "id"), st.get(validationAddr, "serial_number"), st.get(validationAddr, "sha256_fingerprint")
		e.advance(61 * day) // inside the renewal window
		e.sim.SetIssueDelay(time.Hour)
		c.step(cfg("1s"), []plancheck.PlanCheck{plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate)},
			errRe(`Certificate \w+ Not Issued.*timed out.*The current certificate \(serial `+serial+` of certificate `+id+`\) stays in the state`),
			attrIs(validationAddr, "serial_number", serial), attrIs(validationAddr, "sha256_fingerprint", fp), attrIs("regfish_dns_record.pin", "data", fp))
		if o, _ := e.sim.Order(id); o.ReissueStatus != "pending" && o.ReissueStatus != "processing" {
			t.Fatalf("the renewal's reissue is %q", o.ReissueStatus)
		}
		reissues := e.sim.Stats().Requests["POST /tls/certificate/{id}/reissue"]
		// The next plan (the reissue still running, the window still open)
		// resumes the wait from the current certificate and starts nothing.
		resume := []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionNoop),
			plancheck.ExpectResourceAction(validationAddr, plancheck.ResourceActionUpdate),
		}
		c.plan(cfg("1m"), append(resume, expectPrior{validationAddr, "serial_number", serial})...)
		e.advance(2 * time.Hour)
		c.step(cfg("1m"), resume, nil,
			attrIs(certAddr, "id", id),
			attrChanged(validationAddr, "serial_number", serial),
			e.validated(key, "www.example.com"),
			e.orders(1),
		)
		if n := e.sim.Stats().Requests["POST /tls/certificate/{id}/reissue"]; n != reissues {
			t.Errorf("%d more reissue requests after the failed wait", n-reissues)
		}
		c.noChanges(cfg("1m"))
	})
}

// An OV order without org_id is staged: Create waits for the organization
// and fails at its timeout with the order kept. Setting org_id completes
// the same order; its records are published and it is validated.
func TestAccCertificateValidation_OVStagedUntilOrgID(t *testing.T) {
	forEachScope(t, simulator.Options{ApprovalDelay: 300 * time.Millisecond}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr, key := csrHCL(t, "shop.example.com")
		keys := sc.keys("shop.example.com")
		cfg := func(org string) string {
			return e.configScope(sc.scope, orgConfig()+extCert("SecureSite", "shop.example.com", nil, csr, org+"\n  timeouts {\n    create = \"2s\"\n  }")+
				dnsPublisher+validationConfig("regfish_dns_record.dcv", "")+pinConfig)
		}
		c := newCLI(t, e)
		c.step(cfg(""), nil, errRe(`Certificate \w+ Not Issued.*waiting for the DCV records of certificate \w+ stopped.*ACTION_REQUIRED.*complete it at https://`))
		id := c.state().get(certAddr, "id")
		c.step(cfg("  org_id = regfish_tls_organization.acme.id"), append(dcvKeysPlanned("regfish_dns_record.dcv", keys, plancheck.ResourceActionCreate),
			plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionDestroyBeforeCreate),
		), nil,
			attrIs(certAddr, "id", id),
			func(st cliState) error {
				if st.get(certAddr, "organization_id") != st.get("regfish_tls_organization.acme", "id") {
					return fmt.Errorf("the order is bound to %q", st.get(certAddr, "organization_id"))
				}
				return nil
			},
			e.validated(key, "shop.example.com"),
			e.dcvPublished(keys),
			e.orders(1),
		)
		c.noChanges(cfg("  org_id = regfish_tls_organization.acme.id"))
	})
}

func testDCVPublisherChangeIsRecorded(t *testing.T, e *accEnv, sc scopeCase) {
	csr := testutil.NewCSR(t, "www.example.com")
	c := newCLI(t, e)
	c.step(e.configScope(sc.scope, certConfig("RapidSSL", "www.example.com", nil, fmt.Sprintf("%q", csr.PEM), "")), nil, nil,
		attrIs(certAddr, "dcv_publisher", "regfish"), e.orders(1))
	st := c.state()
	id, serial := st.get(certAddr, "id"), st.get(certAddr, "serial_number")
	ext := e.configScope(sc.scope, extCert("RapidSSL", "www.example.com", nil, fmt.Sprintf("%q", csr.PEM), ""))
	out := c.plan(ext,
		plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
		plannedString(certAddr, "id", id),
		plannedString(certAddr, "serial_number", serial),
		plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("dcv_records").AtMapKey(sc.keys("www.example.com")[0]).AtMapKey("value")))
	if !errRe(`Warning: Certificate `+id+`: Change Recorded.*dcv_publisher changes from regfish to external`).MatchString(out) || strings.Contains(out, "new order") {
		t.Errorf("plan words:\n%s", out)
	}
	c.apply(nil)
	st = c.state()
	for _, chk := range []func(cliState) error{attrIs(certAddr, "id", id), attrIs(certAddr, "serial_number", serial), e.orders(1)} {
		if err := chk(st); err != nil {
			t.Fatal(err)
		}
	}
	if recs := st.dcvRecords(); !slices.Equal(order.SortedKeys(recs), sc.keys("www.example.com")) || !strings.HasSuffix(recs[sc.keys("www.example.com")[0]], ".dcv.digicert.com") {
		t.Errorf("dcv_records after the switch: %v", recs)
	}
	c.noChanges(ext)
}

// The wait for a new certificate never hands on the one regfish still
// serves after the reissue it waited for failed; a reissue that failed
// before another certificate was issued is no failure. (The simulator
// cannot fail a reissue: a fake API answers here.)
func TestValidationWaitRefusesFailedReissue(t *testing.T) {
	var downloads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/tls/certificate/C1":
			_, _ = fmt.Fprint(w, `{"success":true,"code":0,"response":{"id":"C1","status":"issued","order_state":"ISSUED","certificate_pem_available":true,
				"serial_number":"AB12","reissue":{"id":7,"status":"rejected"}}}`)
		case "/tls/certificate/C2":
			_, _ = fmt.Fprint(w, `{"success":true,"code":0,"response":{"id":"C2","status":"rejected","order_state":"REJECTED","pending_message":"domain not allowed"}}`)
		default:
			downloads.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprint(w, `{"success":false,"code":0,"message":"no","error":"no"}`)
		}
	}))
	t.Cleanup(srv.Close)
	client, err := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	engine := order.NewEngine(client)
	engine.PollMin, engine.PollMax = time.Millisecond, time.Millisecond
	r := &certificateValidationResource{data: &providerData{client: client, Engine: engine}}
	_, _, _, err = r.waitIssued(ctxBG, "C1", nil, "AB12")
	if err == nil || !strings.Contains(err.Error(), `reissue 7 of certificate C1 ended with status "rejected"`) || !strings.Contains(err.Error(), "serial AB12") || downloads.Load() != 0 {
		t.Errorf("waiting for a new certificate after a failed reissue: %v (%d downloads)", err, downloads.Load())
	}
	// a certificate other than the one the wait started from: downloaded
	if _, _, _, err = r.waitIssued(ctxBG, "C1", nil, "OLD"); err == nil || !strings.Contains(err.Error(), "downloading certificate C1") || downloads.Load() != 1 {
		t.Errorf("another serial after a failed reissue: %v (%d downloads)", err, downloads.Load())
	}
	if _, _, _, err = r.waitIssued(ctxBG, "C2", nil, ""); err == nil || !strings.Contains(err.Error(), `ended with status "rejected"`) || !strings.Contains(err.Error(), "domain not allowed") {
		t.Errorf("a rejected order: %v", err)
	}
}
