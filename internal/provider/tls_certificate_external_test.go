// Acceptance tests of regfish_tls_certificate with dcv_publisher = "external":
// the certificate publishes nothing, another resource publishes its
// dcv_records (regfish_tls_certificate_validation waits; its own tests are in
// tls_certificate_validation_resource*_test.go).

package provider

import (
	"fmt"
	"regexp"
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

// Across workspaces the provider sees no other DNS resource, only the
// account's orders: the plan of a new external-mode order names a pending
// order (another workspace's) that waits for a DCV record the new order
// will need too — for a new object, and for a names change that orders
// anew (its own pending order, which the apply cancels, is not named).
// Under the per-name scope the orders need different records, and nothing
// is said.
func TestAccCertificate_ExternalPlanNamesAnotherOrdersDCVRecord(t *testing.T) {
	forEachScope(t, simulator.Options{}, func(t *testing.T, e *accEnv, sc scopeCase) {
		cfg := func(cn string) string {
			csr, _ := csrHCL(t, cn)
			return e.configScope(sc.scope, extCert("RapidSSL", cn, nil, csr, ""))
		}
		warns := func(out, waiting, waitingCN, placed string) bool {
			out = strings.Join(strings.Fields(out), " ")
			return errRe(`Warning: Order ` + waiting + ` Waits for DCV Record _dnsauth\.example\.net.*Certificate order ` + waiting +
				` \(` + regexp.QuoteMeta(waitingCN) + `, status pending\) waits for the DCV record _dnsauth\.example\.net, and the order this plan places for ` +
				regexp.QuoteMeta(placed) + ` will need it too.*Let the validation of ` + waiting + ` finish before this certificate is ordered`).MatchString(out)
		}
		check := func(what, out string, warned bool) {
			t.Helper()
			switch {
			case sc.scope == order.ScopeRegistrableDomain && !warned:
				t.Fatalf("%s: the plan does not name the order that waits for _dnsauth.example.net:\n%s", what, out)
			case sc.scope == order.ScopePerName && strings.Contains(out, "Waits for DCV Record"):
				t.Fatalf("%s: per name the orders need different records, but the plan warns:\n%s", what, out)
			}
		}
		ws1 := newCLI(t, e) // its order stays pending: nobody publishes
		ws1.step(cfg("www.example.net"), nil, nil)
		a := ws1.state().get(certAddr, "id")

		ws2 := newCLI(t, e)
		out := ws2.plan(cfg("api.example.net"))
		check("a new object", out, warns(out, a, "www.example.net", "api.example.net"))
		ws2.apply(nil)
		b := ws2.state().get(certAddr, "id")

		out = ws1.plan(cfg("shop.example.net")) // a names change: a new order instead of a
		check("a names change", out, warns(out, b, "api.example.net", "shop.example.net"))
		if strings.Contains(out, "Warning: Order "+a+" Waits") {
			t.Fatalf("the plan names the resource's own order %s, which the apply cancels before it orders:\n%s", a, out)
		}

		// -replace with a new key and create_before_destroy: the new
		// object is created while the replaced one's order is pending, and
		// takes it over (no order is placed, so no DCV record is shared);
		// the destroy of the replaced object then leaves it alone
		cbd := "  lifecycle {\n    create_before_destroy = true\n  }\n"
		csr, _ := csrHCL(t, "www.example.net")
		ws1.w.write(e.configScope(sc.scope, extCert("RapidSSL", "www.example.net", nil, csr, cbd)))
		out, err := ws1.w.run("apply", "-auto-approve", "-no-color", "-replace="+certAddr)
		if err != nil {
			t.Fatalf("terraform apply -replace: %v\n%s", err, out)
		}
		if id := ws1.state().get(certAddr, "id"); id != a {
			t.Fatalf("after -replace the state holds %s, want the resumed order %s", id, a)
		}
		if o, _ := e.sim.Order(a); o.Status != "pending" {
			t.Fatalf("the destroy of the replaced object cancelled order %s, which its replacement holds: %+v", a, o)
		}
		if strings.Contains(out, "Waits for DCV Record") {
			t.Fatalf("the apply of -replace places no order, but warns of a shared DCV record:\n%s", out)
		}
	})
}
