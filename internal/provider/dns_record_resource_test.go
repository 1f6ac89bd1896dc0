package provider

import (
	"fmt"
	"strconv"
	"strings"
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

func TestAccDNSRecord_Basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	var id string
	sameID := statecheck.CompareValue(compare.ValuesSame())
	cfg := func(name, data string, ttl int) string {
		return e.config(fmt.Sprintf(`
resource "regfish_dns_record" "www" {
  name       = %q
  type       = "CNAME"
  data       = %q
  ttl        = %d
  annotation = "managed by terraform"
}
resource "regfish_dns_record" "mx" {
  name     = "example.org"
  type     = "MX"
  data     = "mx1.example.org"
  priority = 10
}
`, name, data, ttl))
	}
	e.test(resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			for _, r := range e.sim.Records() {
				if strconv.FormatInt(r.ID, 10) == id {
					return fmt.Errorf("record %s still exists", id)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				// upper case and a trailing dot are the same name and target
				Config: cfg("WWW.Example.com.", "Target.example.ORG", 300),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("regfish_dns_record.www", tfjsonpath.New("fqdn"), knownvalue.StringExact("www.example.com.")),
					statecheck.ExpectKnownValue("regfish_dns_record.www", tfjsonpath.New("zone"), knownvalue.StringExact("example.com")),
					statecheck.ExpectKnownValue("regfish_dns_record.www", tfjsonpath.New("name"), knownvalue.StringExact("WWW.Example.com.")),
					statecheck.ExpectKnownValue("regfish_dns_record.mx", tfjsonpath.New("ttl"), knownvalue.Int64Exact(3600)),
					sameID.AddStateValue("regfish_dns_record.www", tfjsonpath.New("id")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrWith("regfish_dns_record.www", "id", func(v string) error { id = v; return nil }),
					func(*terraform.State) error {
						for _, r := range e.sim.Records() {
							if r.Name == "www.example.com." && r.Data == "target.example.org." && r.TTL == 300 && r.Annotation == "managed by terraform" {
								return nil
							}
						}
						return fmt.Errorf("record not in the simulator: %+v", e.sim.Records())
					},
				),
			},
			{
				// another spelling of the same name and target is no change at all
				Config: cfg("www.example.com", "target.example.org.", 300),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("regfish_dns_record.www", plancheck.ResourceActionNoop),
				}},
			},
			{
				Config:   cfg("www.example.com", "target.example.org.", 300),
				PlanOnly: true,
			},
			{
				// a changed TTL and target are applied in place, same id
				Config: cfg("www.example.com", "other.example.org", 120),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("regfish_dns_record.www", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue("regfish_dns_record.www", tfjsonpath.New("id"))},
				Check:             resource.TestCheckResourceAttr("regfish_dns_record.www", "ttl", "120"),
			},
			{
				// the state keeps the configuration's spelling of the name
				// (WWW.Example.com.); an import writes the API's
				ResourceName:            "regfish_dns_record.www",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"name"},
			},
			{
				// deleted outside Terraform: the plan re-creates it
				PreConfig: func() {
					n, _ := strconv.ParseInt(id, 10, 64)
					if !e.sim.DeleteRecordByID(n) {
						t.Fatalf("record %s not found", id)
					}
				},
				Config:             cfg("www.example.com", "other.example.org", 120),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg("www.example.com", "other.example.org", 120),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("regfish_dns_record.www", plancheck.ResourceActionCreate),
				}},
				Check: resource.TestCheckResourceAttrWith("regfish_dns_record.www", "id", func(v string) error { id = v; return nil }),
			},
		},
	})
}

func TestAccDNSRecord_Validation(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	step := func(body, want string) resource.TestStep {
		return resource.TestStep{Config: e.config("resource \"regfish_dns_record\" \"x\" {\n" + strings.ReplaceAll(body, "  ", "\n") + "\n}"), PlanOnly: true, ExpectError: errRe(want)}
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		step(`name = "example.com"  type = "MX"  data = "mx.example.com"`, `(?s)priority.*MX records need a priority`),
		step(`name = "example.com"  type = "TXT"  data = "x"  priority = 1`, `(?s)priority is only used by MX and SRV`),
		step(`name = "a.example.com"  type = "A"  data = "2001:db8::1"`, `A records need an IPv4 address`),
		step(`name = "a.example.com"  type = "AAAA"  data = "192.0.2.1"`, `AAAA records need an IPv6 address`),
		step(`name = "a.example.com"  type = "A"  data = "192.0.2.1"  ttl = 30`, `(?s)ttl.*between 60 and 604800`),
		step(`name = "a.example.com"  type = "SPF"  data = "x"`, `(?s)type.*value must be one of`),
		step(`name = "example.com"  type = "CAA"  data = "issue digicert.com"`, `CAA data is`),
		step(`name = "_sip._tcp.example.com"  type = "SRV"  data = "10 5060"  priority = 1`, `SRV data is`),
		step(`name = "not a name"  type = "A"  data = "192.0.2.1"`, `must be a fully qualified domain name`),
		step(`name = "a.example.com"  type = "CNAME"  data = "not a host"`, `CNAME records need a host name`),
	}})
}

func TestAccDNSRecord_ErrorsNameTheProblem(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      e.config("resource \"regfish_dns_record\" \"x\" {\nname = \"host.not-my-zone.test\"\ntype = \"A\"\ndata = \"192.0.2.1\"\n}"),
			ExpectError: errRe(`No DNS zone of the regfish account holds host.not-my-zone.test`),
		},
		{
			PreConfig: func() {
				if _, err := e.sim.Client(t).CreateRecord(ctxBG, recordReq("dup.example.com", "A", "192.0.2.7")); err != nil {
					t.Fatal(err)
				}
			},
			Config:      e.config("resource \"regfish_dns_record\" \"x\" {\nname = \"dup.example.com\"\ntype = \"A\"\ndata = \"192.0.2.7\"\n}"),
			ExpectError: errRe(`exists already.*terraform import <address> \d+`),
		},
	}})
}

// Spelling never shows up as a change, also after an import; a new name in
// another zone replaces the record; system records cannot be imported.
func TestAccDNSRecord_SpellingZonesAndImport(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cl := e.sim.Client(t)
	cname, err := cl.CreateRecord(ctxBG, recordReq("alias.example.com", "CNAME", "target.example.org"))
	if err != nil {
		t.Fatal(err)
	}
	aaaa, err := cl.CreateRecord(ctxBG, recordReq("v6.example.com", "AAAA", "2001:db8::1"))
	if err != nil {
		t.Fatal(err)
	}
	// a system record, should a listing show one
	nsID := e.sim.AddSystemRecord("example.com", "NS", "ns1.regfish.de")
	imported := func(name, data string) string {
		return e.config(fmt.Sprintf(`
resource "regfish_dns_record" "alias" {
  name = %q
  type = "CNAME"
  data = %q
  ttl  = 300
}
resource "regfish_dns_record" "v6" {
  name = "V6.EXAMPLE.COM."
  type = "AAAA"
  data = "2001:0DB8:0:0::1"
  ttl  = 300
}
`, name, data))
	}
	sameAliasID := statecheck.CompareValue(compare.ValuesSame())
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:             imported("Alias.Example.COM.", "TARGET.example.org."),
			ResourceName:       "regfish_dns_record.alias",
			ImportState:        true,
			ImportStateId:      strconv.FormatInt(int64(cname.ID), 10),
			ImportStatePersist: true,
		},
		{
			Config:             imported("Alias.Example.COM.", "TARGET.example.org."),
			ResourceName:       "regfish_dns_record.v6",
			ImportState:        true,
			ImportStateId:      strconv.FormatInt(int64(aaaa.ID), 10),
			ImportStatePersist: true,
		},
		{
			// upper case, trailing dots and another IPv6 notation: nothing to do
			Config: imported("Alias.Example.COM.", "TARGET.example.org."),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
			Check:             resource.TestCheckResourceAttrSet("regfish_dns_record.alias", "id"),
			ConfigStateChecks: []statecheck.StateCheck{sameAliasID.AddStateValue("regfish_dns_record.alias", tfjsonpath.New("id"))},
		},
		{
			// a name in the same zone: in place
			Config: imported("alias2.example.com", "target.example.org"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("regfish_dns_record.alias", plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue("regfish_dns_record.alias", tfjsonpath.New("zone"), knownvalue.StringExact("example.com")),
			}},
			// the id stays on an in-zone rename
			ConfigStateChecks: []statecheck.StateCheck{sameAliasID.AddStateValue("regfish_dns_record.alias", tfjsonpath.New("id"))},
		},
		{
			// a name in another zone: a new record, and the old one goes
			Config: imported("alias.example.org", "target.example.org"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("regfish_dns_record.alias", plancheck.ResourceActionDestroyBeforeCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("regfish_dns_record.alias", "zone", "example.org"),
				func(*terraform.State) error {
					for _, r := range e.sim.Records() {
						if r.Name == "alias2.example.com." {
							return fmt.Errorf("the record in the old zone is still there")
						}
					}
					return nil
				}),
		},
		{
			Config: imported("alias.example.org", "target.example.org") + `
resource "regfish_dns_record" "ns" {
  name = "example.com"
  type = "NS"
  data = "ns1.regfish.de"
  ttl  = 86400
}
`,
			ResourceName:  "regfish_dns_record.ns",
			ImportState:   true,
			ImportStateId: strconv.FormatInt(nsID, 10),
			ExpectError:   errRe(`System-Managed DNS Record Cannot Be Imported.*managed by regfish itself`),
		},
	}})
}

// MX and SRV values with or without the priority in front are the same
// value: no diff after create, after import, or when switching forms.
func TestAccDNSRecord_MXAndSRVForms(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cfg := func(mx, srv string) string {
		return e.config(fmt.Sprintf(`
resource "regfish_dns_record" "mx" {
  name     = "example.com"
  type     = "MX"
  data     = %q
  priority = 10
}
resource "regfish_dns_record" "srv" {
  name     = "_sip._tcp.example.com"
  type     = "SRV"
  data     = %q
  priority = 20
}
`, mx, srv))
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: cfg("mx1.example.com", "20 5 5060 sip.example.com")},
		{Config: cfg("mx1.example.com", "20 5 5060 sip.example.com"), PlanOnly: true},
		{Config: cfg("10 mx1.example.com.", "5 5060 sip.example.com."), PlanOnly: true},
		{
			Config:      cfg("11 mx1.example.com", "5 5060 sip.example.com"),
			PlanOnly:    true,
			ExpectError: errRe(`data starts with 11, which must equal priority`),
		},
		{ResourceName: "regfish_dns_record.mx", ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"data"}},
		{Config: cfg("10 mx1.example.com.", "5 5060 sip.example.com."), PlanOnly: true},
	}})
}

// DNS records are imported by identity; a system-managed record cannot be,
// whichever way it is imported.
func TestAccDNSRecord_IdentityImport(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	const addr = "regfish_dns_record.www"
	nsID := e.sim.AddSystemRecord("example.com", "NS", "ns1.regfish.de")
	cfg := e.config(`
resource "regfish_dns_record" "www" {
  name = "www.example.com"
  type = "A"
  data = "192.0.2.10"
}
`)
	e.test(resource.TestCase{TerraformVersionChecks: needsIdentity, Steps: []resource.TestStep{
		{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{identityIsID(addr)}},
		{
			ResourceName:    addr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
		},
		{
			Config: cfg + `
resource "regfish_dns_record" "ns" {
  name = "example.com"
  type = "NS"
  data = "ns1.regfish.de"
  ttl  = 86400
}
` + importByIdentity("regfish_dns_record.ns", strconv.FormatInt(nsID, 10)),
			PlanOnly:    true,
			ExpectError: errRe(`System-Managed DNS Record Cannot Be Imported`),
		},
	}})
}

// An odd answer (a null body) to creating a DNS record: the record is found
// and taken over, not created twice, and no id 0 is stored.
func TestAccDNSRecord_OddAnswerToCreate(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	e.proxy(&proxyRule{Method: "POST", Path: "/dns/rr", Kind: corruptNull, Times: 1})
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(`
resource "regfish_dns_record" "txt" {
  name = "odd.example.com"
  type = "TXT"
  data = "hello"
}
`),
		Check: func(s *terraform.State) error {
			n := 0
			for _, r := range e.sim.Records() {
				if r.Name == "odd.example.com." {
					n++
					if id, _ := stateAttr(s, "regfish_dns_record.txt", "id"); id != fmt.Sprint(r.ID) {
						return fmt.Errorf("record id in state %q, want %d", id, r.ID)
					}
				}
			}
			if n != 1 {
				return fmt.Errorf("%d records, want 1", n)
			}
			return nil
		},
	}}})
}
