package provider

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func TestAccDNSRecord_basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	var id string
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
				// another spelling of the same name is an in-place update, never a replacement
				Config: cfg("www.example.com", "target.example.org.", 300),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("regfish_dns_record.www", plancheck.ResourceActionUpdate),
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
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrWith("regfish_dns_record.www", "id", func(v string) error {
						if v != id {
							return fmt.Errorf("id changed from %s to %s", id, v)
						}
						return nil
					}),
					resource.TestCheckResourceAttr("regfish_dns_record.www", "ttl", "120"),
				),
			},
			{
				ResourceName:      "regfish_dns_record.www",
				ImportState:       true,
				ImportStateVerify: true,
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

func TestAccDNSRecord_validation(t *testing.T) {
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

func TestAccDNSRecord_errorsNameTheProblem(t *testing.T) {
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
