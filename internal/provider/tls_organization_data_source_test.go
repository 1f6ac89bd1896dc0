package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// newTestOrg creates a complete organization and gives it status/usable.
func newTestOrg(t *testing.T, e *accEnv, name, status string, usable bool) string {
	t.Helper()
	o, err := e.sim.Client(t).CreateOrganization(ctxBG, regfish.OrganizationRequest{
		Organization: name, FirstName: "Ada", LastName: "Admin", Address: "Musterstrasse 1", PostalCode: "10115",
		City: "Berlin", CountryCode: "DE", Phone: "+49 30 1234567", Email: "admin@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetOrganization(string(o.ID), status, usable); err != nil {
		t.Fatal(err)
	}
	return string(o.ID)
}

func TestAccOrganizationDataSource_Basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	ready := newTestOrg(t, e, "Example GmbH", "ready", true)
	vettingTwin := newTestOrg(t, e, "Example GmbH", "pending", false)
	vetting := newTestOrg(t, e, "Vetting AG", "pending", false)
	twin1 := newTestOrg(t, e, "Twin KG", "ready", true)
	twin2 := newTestOrg(t, e, "Twin KG", "validated", true)
	incomplete, err := e.sim.Client(t).CreateOrganization(ctxBG, regfish.OrganizationRequest{Organization: "Sparse Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	str := knownvalue.StringExact
	e.test(resource.TestCase{Steps: []resource.TestStep{
		// Not found by id: the error names the id and lists the account's organizations.
		{
			Config:      e.config(`data "regfish_tls_organization" "x" { id = "hdl_NOSUCHORG0000" }`),
			ExpectError: errRe(`TLS Organization Not Found.*no TLS organization with id hdl_NOSUCHORG0000\. Its organizations:.*` + regexp.QuoteMeta(ready)),
		},
		// Not found by name.
		{
			Config:      e.config(`data "regfish_tls_organization" "x" { name = "Nobody GmbH" }`),
			ExpectError: errRe(`TLS Organization Not Found.*named "Nobody GmbH"`),
		},
		// Only organizations that are not usable carry the name.
		{
			Config:      e.config(`data "regfish_tls_organization" "x" { name = "Vetting AG" }`),
			ExpectError: errRe(`No Usable TLS Organization Matches.*` + vetting + ` \(name "Vetting AG", status pending, usable_for_ordering false\).*usable_only = false`),
		},
		// Ambiguous: both candidates with id and status, in id order.
		{
			Config:      e.config(`data "regfish_tls_organization" "x" { name = "Twin KG" }`),
			ExpectError: errRe(`Several TLS Organizations Match.*2 TLS organizations of the account are named "Twin KG" and usable for ordering: ` + twinsPattern(twin1, twin2) + `.*by id`),
		},
		// Plan-time validation, naming the arguments.
		{
			Config: e.config(fmt.Sprintf(`
data "regfish_tls_organization" "x" {
  id   = %q
  name = "Example GmbH"
}`, ready)),
			ExpectError: errRe(`Invalid Attribute Combination.*Exactly one of these attributes must be configured: \[id,name\]`),
		},
		{
			Config:      e.config(`data "regfish_tls_organization" "x" {}`),
			ExpectError: errRe(`Missing Attribute Configuration.*Exactly one of these attributes must be configured: \[id,name\]`),
		},
		{
			Config: e.config(fmt.Sprintf(`
data "regfish_tls_organization" "x" {
  id          = %q
  usable_only = false
}`, ready)),
			ExpectError: errRe(`Attribute "id" cannot be specified when "usable_only" is specified`),
		},
		{
			Config:      e.config(`data "regfish_tls_organization" "x" { id = "42; drop" }`),
			ExpectError: errRe(`Attribute id must be a TLS organization id`),
		},
		// Found: by name (only the usable one of two namesakes, case and
		// spaces ignored), by id whatever the status, and by name with
		// usable_only = false.
		{
			Config: e.config(fmt.Sprintf(`
data "regfish_tls_organization" "by_name" { name = "  example gmbh " }
data "regfish_tls_organization" "by_id" { id = %q }
data "regfish_tls_organization" "vetting" {
  name        = "Vetting AG"
  usable_only = false
}
data "regfish_tls_organization" "sparse" { id = %q }
`, vettingTwin, incomplete.ID)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_name", tfjsonpath.New("id"), str(ready)),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_name", tfjsonpath.New("organization"), str("Example GmbH")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_name", tfjsonpath.New("status"), str("ready")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_name", tfjsonpath.New("usable_for_ordering"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_name", tfjsonpath.New("country_code"), str("DE")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_name", tfjsonpath.New("email"), str("admin@example.com")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_name", tfjsonpath.New("phone"), str("+49 30 1234567")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_id", tfjsonpath.New("name"), str("Example GmbH")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_id", tfjsonpath.New("status"), str("pending")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.by_id", tfjsonpath.New("usable_for_ordering"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.vetting", tfjsonpath.New("id"), str(vetting)),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.vetting", tfjsonpath.New("status"), str("pending")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.sparse", tfjsonpath.New("status"), str("incomplete")),
				statecheck.ExpectKnownValue("data.regfish_tls_organization.sparse", tfjsonpath.New("city"), knownvalue.Null()),
			},
		},
	}})
}

// twinsPattern matches two candidates listed in id order.
func twinsPattern(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return regexp.QuoteMeta(a) + ` \(name "Twin KG", status \w+, usable_for_ordering true\); ` + regexp.QuoteMeta(b) + ` \(`
}

// The selection rule on its own, for API answers the simulator never gives
// (no display name, legacy numeric ids).
func TestSelectOrganization(t *testing.T) {
	orgs := []regfish.Organization{
		{ID: "42", Organization: "Legacy GmbH", Status: "validated", UsableForOrdering: true},
		{ID: "hdl_A", Name: "Shown", Organization: "Legal Name GmbH", Status: "ready", UsableForOrdering: true},
	}
	for _, tc := range []struct {
		name   string
		m      organizationDataModel
		wantID string
		wantAt string
	}{
		{"legal name when no display name", organizationDataModel{Name: strOrNull("legacy gmbh")}, "42", ""},
		{"display name wins over legal name", organizationDataModel{Name: strOrNull("Legal Name GmbH")}, "", "name"},
		{"numeric id", organizationDataModel{ID: strOrNull("42")}, "42", ""},
		{"unknown id", organizationDataModel{ID: strOrNull("43")}, "", "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, at, summary, _ := selectOrganization(orgs, tc.m)
			switch {
			case tc.wantID != "" && (got == nil || string(got.ID) != tc.wantID):
				t.Fatalf("got %v (%s), want %s", got, summary, tc.wantID)
			case tc.wantID == "" && (got != nil || at.String() != tc.wantAt):
				t.Fatalf("got %v at %q, want an error at %q", got, at, tc.wantAt)
			}
		})
	}
}

func TestOrgCandidates(t *testing.T) {
	var orgs []regfish.Organization
	for i := range maxListedOrgs + 5 {
		orgs = append(orgs, regfish.Organization{ID: regfish.FlexString(fmt.Sprintf("hdl_%02d", i)), Name: "N", Status: "ready"})
	}
	got := orgCandidates(orgs)
	if !strings.HasPrefix(got, `hdl_00 (name "N", status ready, usable_for_ordering false); hdl_01 `) || !strings.HasSuffix(got, "; and 5 more") {
		t.Fatalf("orgCandidates = %s", got)
	}
	if got := orgCandidates(nil); got != "none" {
		t.Fatalf("orgCandidates(nil) = %q", got)
	}
}
