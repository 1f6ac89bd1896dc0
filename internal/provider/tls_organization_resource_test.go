package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func testAccOrganizationConfig(name, city string) string {
	return fmt.Sprintf(`
resource "regfish_tls_organization" "acme" {
  organization = %q
  first_name   = "Ada"
  last_name    = "Admin"
  address      = "Musterstrasse 1"
  postal_code  = "10115"
  city         = %q
  country_code = "DE"
  phone        = "+49 30 1234567"
  email        = "admin@example.com"
}
`, name, city)
}

func TestAccOrganization_Basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	var firstID string
	sameID := statecheck.CompareValue(compare.ValuesSame())
	e.test(resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			// regfish cannot delete organizations: destroy only forgets them.
			if _, err := e.sim.Client(t).GetOrganization(ctxBG, firstID); err != nil {
				return fmt.Errorf("organization %s should stay in the account: %v", firstID, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: e.config(testAccOrganizationConfig("Example GmbH", "Berlin")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^hdl_[0-9A-Z]{13}$`))),
					statecheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("status"), knownvalue.StringExact("ready")),
					statecheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("usable_for_ordering"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("name"), knownvalue.StringExact("Example GmbH")),
					sameID.AddStateValue("regfish_tls_organization.acme", tfjsonpath.New("id")),
				},
				Check: resource.TestCheckResourceAttrWith("regfish_tls_organization.acme", "id", func(v string) error { firstID = v; return nil }),
			},
			{
				ResourceName:      "regfish_tls_organization.acme",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// a change is an edit in place (PATCH): same id, no new
				// organization
				Config: e.config(testAccOrganizationConfig("Example GmbH", "Hamburg")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("regfish_tls_organization.acme", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("id"), knownvalue.NotNull()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue("regfish_tls_organization.acme", tfjsonpath.New("id"))},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("regfish_tls_organization.acme", "city", "Hamburg"),
					e.orgsInAccount(1, "Hamburg"),
				),
			},
			{
				// the legal name too: the display name follows it
				Config: e.config(testAccOrganizationConfig("Example Holding GmbH", "Hamburg")),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("regfish_tls_organization.acme", "name", "Example Holding GmbH"),
					e.orgsInAccount(1, "Hamburg")),
			},
		},
	})
}

// orgsInAccount checks the number of organizations in the account and the
// city of the last one.
func (e *accEnv) orgsInAccount(n int, city string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		orgs, err := e.sim.Client(e.t).ListOrganizations(ctxBG)
		if err != nil {
			return err
		}
		if len(orgs) != n || orgs[len(orgs)-1].City != city {
			return fmt.Errorf("want %d organizations, the last in %s; the account holds %+v", n, city, orgs)
		}
		return nil
	}
}

// patches counts the PATCH /tls/organization/{id} requests.
func (e *accEnv) patches(want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if n := e.sim.Stats().Requests["PATCH /tls/organization/{id}"]; n != want {
			return fmt.Errorf("%d PATCH requests, want %d", n, want)
		}
		return nil
	}
}

// An edit of an organization bound to a certificate: the organization is
// updated in place, the certificate is untouched; edit_mode alone calls no
// API; with edit_mode = "create_replacement" the plan says the id may
// change, regfish answers with a replacement, the state follows it and the
// certificate records the new org_id without a new order.
func TestAccOrganization_EditBoundToCertificate(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "shop.example.com")
	org := func(city, phone, editMode string) string {
		cfg := strings.Replace(testAccOrganizationConfig("Example GmbH", city), `"+49 30 1234567"`, fmt.Sprintf("%q", phone), 1)
		if editMode != "" {
			cfg = strings.Replace(cfg, "  email", fmt.Sprintf("  edit_mode    = %q\n  email", editMode), 1)
		}
		return e.config(cfg + certConfig("SecureSite", "shop.example.com", nil, csr, `  org_id = regfish_tls_organization.acme.id`))
	}
	sameCertID := statecheck.CompareValue(compare.ValuesSame())
	newOrgID := statecheck.CompareValue(compare.ValuesDiffer())
	orgAddr := "regfish_tls_organization.acme"
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config: org("Berlin", "+49 30 1234567", ""),
			ConfigStateChecks: []statecheck.StateCheck{
				sameCertID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newOrgID.AddStateValue(orgAddr, tfjsonpath.New("id")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrSet(certAddr, "id"), resource.TestCheckResourceAttrSet(orgAddr, "id")),
		},
		{
			Config: org("Hamburg", "+49 30 1234567", ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(orgAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionNoop),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(e.orgsInAccount(1, "Hamburg"), e.patches(1), e.orderCount(1),
				resource.TestCheckResourceAttrPair(certAddr, "org_id", orgAddr, "id")),
		},
		{
			// edit_mode alone: recorded, no API call
			Config: org("Hamburg", "+49 30 1234567", "create_replacement"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(orgAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(orgAddr, tfjsonpath.New("id"), knownvalue.NotNull()),
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionNoop),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(e.patches(1), resource.TestCheckResourceAttr(orgAddr, "edit_mode", "create_replacement")),
		},
		{
			// with edit_mode = "create_replacement" the id is known after
			// apply; regfish hands back a replacement, the certificate
			// records it without an order
			Config: org("Hamburg", "+49 40 7654321", "create_replacement"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(orgAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(orgAddr, tfjsonpath.New("id")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				sameCertID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newOrgID.AddStateValue(orgAddr, tfjsonpath.New("id")), // the replacement has its own id
			},
			Check: resource.ComposeAggregateTestCheckFunc(e.patches(2), e.orgsInAccount(2, "Hamburg"), e.orderCount(1),
				resource.TestCheckResourceAttrSet(orgAddr, "id"),
				resource.TestCheckResourceAttrPair(certAddr, "org_id", orgAddr, "id"),
				resource.TestCheckResourceAttr(orgAddr, "phone", "+49 40 7654321")),
		},
		{Config: org("Hamburg", "+49 40 7654321", "create_replacement"), PlanOnly: true},
	}})
}

// regfish answers a plain edit with a replacement organization (the
// org-edit=replace variant): the apply fails naming both ids and what to
// set, the state follows the new id, and the next plan is empty.
func TestAccOrganization_ReplacedWithoutEditMode(t *testing.T) {
	e := newAccEnv(t, simulator.Options{Variants: simulator.Variants{OrgEdit: "replace"}})
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: e.config(testAccOrganizationConfig("Example GmbH", "Berlin"))},
		{
			Config:      e.config(testAccOrganizationConfig("Example GmbH", "Hamburg")),
			ExpectError: errRe(`TLS Organization hdl_\w+ Replaced by hdl_\w+.*no edit_mode asked for a replacement.*edit_mode = "create_replacement"`),
		},
		{
			Config:           e.config(testAccOrganizationConfig("Example GmbH", "Hamburg")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			Check:            e.orgsInAccount(2, "Hamburg"),
		},
	}})
}

// The plan's words for an edit that may hand back a replacement.
func TestAccOrganization_ReplacementPlanWords(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	w := newWorkspace(t, e)
	w.write(e.config(testAccOrganizationConfig("Example GmbH", "Berlin")))
	if out, err := w.apply(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	w.write(e.config(strings.Replace(testAccOrganizationConfig("Example GmbH", "Hamburg"), "  email", "  edit_mode    = \"create_replacement\"\n  email", 1)))
	changes, out := w.plan()
	out = strings.Join(strings.Fields(out), " ") // terraform wraps the warning's lines
	if len(changes) != 1 || strings.Join(changes[0].Change.Actions, ",") != "update" {
		t.Fatalf("plan: %+v\n%s", changes, out)
	}
	for _, want := range []string{"May Be Replaced", "The change of city is sent with", "replacement organization with a new id", "id", "(known after apply)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the plan does not say %q:\n%s", want, out)
		}
	}
}

func TestAccOrganization_Validation(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	bad := func(field, value, want string) resource.TestStep {
		fields := map[string]string{"organization": "X", "first_name": "A", "last_name": "B", "address": "C", "postal_code": "1",
			"city": "D", "country_code": "DE", "phone": "+49 30 1234567", "email": "a@example.com"}
		fields[field] = value
		body := ""
		for k, v := range fields {
			body += fmt.Sprintf("  %s = %q\n", k, v)
		}
		return resource.TestStep{
			Config:      e.config("resource \"regfish_tls_organization\" \"x\" {\n" + body + "}"),
			PlanOnly:    true,
			ExpectError: errRe(want),
		}
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		bad("country_code", "Germany", `(?s)country_code.*ISO 3166-1`),
		bad("email", "nobody", `(?s)email.*e-mail address`),
		bad("phone", "call me", `(?s)phone.*phone number`),
	}})
}

func TestAccOrganization_ImportInvalidID(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config:        e.config(testAccOrganizationConfig("Example GmbH", "Berlin")),
		ResourceName:  "regfish_tls_organization.acme",
		ImportState:   true,
		ImportStateId: "42",
		ExpectError:   errRe(`Import a TLS organization by its public id`),
	}}})
}

// An edit regfish accepted (a replacement, with a new id) whose read-back
// fails: the state takes the id regfish answered with, so the next apply
// does not edit (and replace) again.
func TestAccOrganization_EditAcceptedReadBackFails(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	var patched atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			patched.Store(true)
		}
		if patched.Load() && r.Method == http.MethodGet && r.URL.Path == "/tls/organization" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"success":false,"message":"Invalid request","error":"Invalid request"}`))
			return
		}
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.mu.Lock()
	e.baseURL = srv.URL
	e.mu.Unlock()
	cfg := func(city string) string {
		return e.config(strings.Replace(testAccOrganizationConfig("Example GmbH", city), "  email", "  edit_mode    = \"create_replacement\"\n  email", 1))
	}
	var firstID string
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: cfg("Berlin"), Check: resource.TestCheckResourceAttrWith("regfish_tls_organization.acme", "id", func(v string) error { firstID = v; return nil })},
		{
			Config: cfg("Hamburg"),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith("regfish_tls_organization.acme", "id", func(v string) error {
					if v == firstID {
						return fmt.Errorf("the state kept the old id %s after regfish answered with a replacement", v)
					}
					// not a CompareValue: this check also lets the API read again
					patched.Store(false)
					return nil
				}),
				e.orgsInAccount(2, "Hamburg")),
		},
		{Config: cfg("Hamburg"), ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}, Check: e.orgsInAccount(2, "Hamburg")},
	}})
}

// The answer to a plain edit is lost, and regfish (org-edit=replace) had
// created a replacement: the edit is not sent again; the replacement it
// created is found (it was not there before the edit) and the state
// follows it, with the error of a replacement nobody asked for.
func TestAccOrganization_EditAnswerLost(t *testing.T) {
	e := newAccEnv(t, simulator.Options{Variants: simulator.Variants{OrgEdit: "replace"}})
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: e.config(testAccOrganizationConfig("Example GmbH", "Berlin"))},
		{
			PreConfig: func() {
				mustSim(t, e.sim.SetFaults(simulator.Fault{Method: "PATCH", Path: "/tls/organization/*", Kind: simulator.FaultReset, After: true, Count: 1}))
			},
			Config:      e.config(testAccOrganizationConfig("Example GmbH", "Hamburg")),
			ExpectError: errRe(`Replaced by hdl_`),
			Check:       e.patches(1),
		},
		{Config: e.config(testAccOrganizationConfig("Example GmbH", "Hamburg")), ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}, Check: resource.ComposeAggregateTestCheckFunc(e.patches(1), e.orgsInAccount(2, "Hamburg"))},
	}})
}

func TestAccOrganization_IdentityImport(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	const addr = "regfish_tls_organization.acme"
	e.test(resource.TestCase{TerraformVersionChecks: needsIdentity, Steps: []resource.TestStep{
		{
			Config:            e.config(testAccOrganizationConfig("Example GmbH", "Berlin")),
			ConfigStateChecks: []statecheck.StateCheck{identityIsID(addr)},
		},
		{
			ResourceName:    addr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
			ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("ready")),
			}},
		},
		{
			Config: e.config(testAccOrganizationConfig("Example GmbH", "Berlin") + `
resource "regfish_tls_organization" "other" {
  organization = "Other GmbH"
  first_name   = "Bo"
  last_name    = "Other"
  address      = "Musterstrasse 2"
  postal_code  = "10115"
  city         = "Berlin"
  country_code = "DE"
  phone        = "+49 30 7654321"
  email        = "bo@example.com"
}
` + importByIdentity("regfish_tls_organization.other", "hdl_NOT/AN/ID")),
			PlanOnly:    true,
			ExpectError: errRe(`Invalid Import ID.*hdl_NOT/AN/ID`),
		},
	}})
}

// An odd answer (an empty body) to creating an organization: the
// organization is found and taken over, not created twice, and no id "" is
// stored.
func TestAccOrganization_OddAnswerToCreate(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	e.proxy(&proxyRule{Method: "POST", Path: "/tls/organization", Kind: corruptEmpty, Times: 1})
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(orgConfig()),
		Check: func(s *terraform.State) error {
			orgs, err := e.sim.Client(t).ListOrganizations(ctxBG)
			if err != nil {
				return err
			}
			if len(orgs) != 1 {
				return fmt.Errorf("%d organizations, want 1", len(orgs))
			}
			if id, _ := stateAttr(s, "regfish_tls_organization.acme", "id"); id != string(orgs[0].ID) {
				return fmt.Errorf("organization id in state %q, want %s", id, orgs[0].ID)
			}
			return nil
		},
	}}})
}
