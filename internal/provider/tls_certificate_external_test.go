// Acceptance tests of regfish_tls_certificate with dcv_publisher = "external":
// the certificate publishes nothing, another resource publishes its
// dcv_records (regfish_tls_certificate_validation waits; its own tests are in
// tls_certificate_validation_resource*_test.go).

package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// When regfish asks for other records than dcv_scope predicted, the apply
// fails naming both sets and the scope to set; the order is kept, and
// with the right dcv_scope the next apply resumes it.
func TestAccCertificate_ExternalScopeMismatch(t *testing.T) {
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		names := []string{"www.example.com", "api.example.com"}
		csr, key := csrHCL(t, names[0], names[1])
		base := extCert("RapidSSL", names[0], names[1:], csr, "") + dnsPublisher + validationConfig("regfish_dns_record.dcv", "") + pinConfig
		c := newCLI(t, e)
		c.step(e.configScope(sc.other().scope, base), nil,
			errRe(fmt.Sprintf(`DCV Records of Certificate \w+ Differ From dcv_scope.*asks for the DCV records %s.*planned from the provider's dcv_scope = "%s" as %s.*regfish uses dcv_scope = "%s".*is kept`,
				strings.Join(sc.keys(names...), ", "), sc.other().scope, strings.Join(sc.other().keys(names...), ", "), sc.scope)))
		if o := e.sim.Orders(); len(o) != 1 || o[0].Status != "pending" {
			t.Fatalf("after the mismatch: %+v", o)
		}
		c.step(e.configScope(sc.scope, base), nil, nil, e.validated(key, names...), e.dcvPublished(sc.keys(names...)), e.orders(1))
	})
}

// Nobody publishes the records: Create returns with the order pending and
// its records known — also for a name outside the account's DNS zones,
// which external DCV allows — and the next plan is empty (no perpetual
// "Resuming"). Destroying the certificate cancels the pending order.
func TestAccCertificate_ExternalPendingIsSteady(t *testing.T) {
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		csr, _ := csrHCL(t, "www.example.net")
		keys := sc.keys("www.example.net")
		cfg := e.configScope(sc.scope, extCert("RapidSSL", "www.example.net", nil, csr, ""))
		var id string
		e.test(resource.TestCase{
			CheckDestroy: e.orderStatus(&id, "cancelled"),
			Steps: []resource.TestStep{
				{
					Config: cfg,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("dcv_records").AtMapKey(keys[0]).AtMapKey("name"), knownvalue.StringExact(keys[0])),
					}},
					Check: resource.ComposeAggregateTestCheckFunc(
						capture(&id, "id"),
						resource.TestCheckResourceAttr(certAddr, "status", "pending"),
						resource.TestCheckNoResourceAttr(certAddr, "certificate_pem"),
						resource.TestCheckResourceAttr(certAddr, "dcv_records.%", "1"),
						func(s *terraform.State) error {
							c, err := e.sim.Client(t).GetCertificate(ctxBG, id)
							if err != nil {
								return err
							}
							want := order.DCVRecordSet(c.Validation.DNSRecords)
							if !slices.Equal(order.SortedKeys(want), keys) {
								return fmt.Errorf("the simulator asks for %v, the test expects %v", order.SortedKeys(want), keys)
							}
							got, _ := stateAttr(s, certAddr, "dcv_records."+keys[0]+".value")
							if got != want[keys[0]] {
								return fmt.Errorf("dcv_records value %q, the order's token is %q", got, want[keys[0]])
							}
							return nil
						},
						e.orderCount(1),
					),
				},
				{Config: cfg, PlanOnly: true},
			},
		})
	})
}

// Changing dcv_publisher places no order: the plan says it is recorded;
// switching to external exports the order's records.
func TestAccCertificate_DCVPublisherChangeIsRecorded(t *testing.T) {
	forEachScope(t, simulator.Options{}, testDCVPublisherChangeIsRecorded)
}

// Bad input fails at plan time, naming the field.
func TestAccCertificate_DCVPublisherValidation(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "www.example.com")
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      e.config(extCert("RapidSSL", "www.example.com", nil, csr, `  dcv_method = "email"`)),
			PlanOnly:    true,
			ExpectError: errRe(`dcv_publisher Needs DNS Validation`),
		},
		{
			Config:      e.config(certConfig("RapidSSL", "www.example.com", nil, csr, `  dcv_publisher = "route53"`)),
			PlanOnly:    true,
			ExpectError: errRe(`dcv_publisher.*value must be one of`),
		},
		{
			Config:      e.configScope("zone", certConfig("RapidSSL", "www.example.com", nil, csr, "")),
			PlanOnly:    true,
			ExpectError: errRe(`dcv_scope.*value must be one of`),
		},
	}})
}

// With external DCV another DNS provider (another workspace, say) owns the
// _dnsauth records: destroying the certificate never removes them.
func TestAccCertificate_ExternalDestroyLeavesTheRecords(t *testing.T) {
	e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour, DCVScope: simulator.DCVScopeRegistrableDomain})
	csr, _ := csrHCL(t, "www.example.com")
	cfg := e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  dcv_publisher = \"external\"\n"))
	e.test(resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			if n := len(e.sim.Records()); n != 1 {
				return fmt.Errorf("%d records after the destroy, want the other workspace's one", n)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: func(s *terraform.State) error {
				id, _ := stateAttr(s, certAddr, "id")
				c, err := e.sim.Client(t).GetCertificate(ctxBG, id)
				if err != nil {
					return err
				}
				v := c.Validation.DNSRecords[0]
				// the other workspace publishes it, without this provider's annotation
				_, err = e.sim.Client(t).CreateRecord(ctxBG, regfish.RecordRequest{Type: "CNAME", Name: v.Name, Data: v.Value, TTL: 60})
				return err
			},
		}},
	})
}
