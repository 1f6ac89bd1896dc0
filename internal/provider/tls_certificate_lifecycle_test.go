package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

const day = 24 * time.Hour

// notSame fails when the certificate's attribute what equals *a. Steps that
// run ConfigStateChecks compare across steps with statecheck.CompareValue;
// a RefreshState step runs none, so it compares with this.
func notSame(a *string, what string) resource.TestCheckFunc {
	return resource.TestCheckResourceAttrWith(certAddr, what, func(v string) error {
		if v == *a {
			return fmt.Errorf("%s did not change (%s)", what, v)
		}
		return nil
	})
}

// capture copies the certificate's attribute attr (which must be set) into
// dst, for checks outside the state (simulator lookups, PreConfig,
// CheckDestroy, plan checks) and for a RefreshState step's comparisons.
func capture(dst *string, attr string) resource.TestCheckFunc {
	return resource.TestCheckResourceAttrWith(certAddr, attr, func(v string) error { *dst = v; return nil })
}

// Renewal by a renewal order (the contract ends with the certificate): the
// plan shows an in-place update once inside the window; the new order gets
// a new id and the remaining days; the old certificate stays issued.
func TestAccCertificate_RenewalOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, key := csrHCL(t, "www.example.com")
	cfg := e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  validity_days = 30\n  renew_before_days = 10"))
	var oldID, newID, oldNotAfter string
	newOrder := statecheck.CompareValue(compare.ValuesDiffer())
	newSerial := statecheck.CompareValue(compare.ValuesDiffer())
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				newOrder.AddStateValue(certAddr, tfjsonpath.New("id")),
				newSerial.AddStateValue(certAddr, tfjsonpath.New("serial_number")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(capture(&oldID, "id"), resource.TestCheckResourceAttrSet(certAddr, "serial_number"), capture(&oldNotAfter, "not_after"),
				func(s *terraform.State) error {
					na, _ := stateAttr(s, certAddr, "not_after")
					ra, _ := stateAttr(s, certAddr, "renew_after")
					t1, _ := time.Parse(time.RFC3339, na)
					t2, _ := time.Parse(time.RFC3339, ra)
					if t1.Sub(t2) != 10*day {
						return fmt.Errorf("renew_after %s is not not_after %s - 10 days", ra, na)
					}
					return nil
				}),
		},
		{
			// day 19: not yet inside the window
			PreConfig: func() { e.advance(19 * day) },
			Config:    cfg,
			PlanOnly:  true,
		},
		{
			// day 21: inside the window
			PreConfig: func() { e.advance(2 * day) },
			Config:    cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("id")),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("full_chain_pem")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				newOrder.AddStateValue(certAddr, tfjsonpath.New("id")),
				newSerial.AddStateValue(certAddr, tfjsonpath.New("serial_number")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				capture(&newID, "id"), resource.TestCheckResourceAttrSet(certAddr, "serial_number"),
				e.checkChain(certAddr, key, "www.example.com"),
				resource.TestCheckNoResourceAttr(certAddr, "renewal_order_id"),
				e.orderCount(2),
				e.orderStatus(&oldID, "issued"),
				func(s *terraform.State) error {
					o, _ := e.sim.Order(newID)
					if o.RenewalOfCertificateID != oldID {
						return fmt.Errorf("order %s renews %q, want %s", newID, o.RenewalOfCertificateID, oldID)
					}
					// 30 purchased + the whole days left on the old certificate (9 minus seconds: 8)
					nb, _ := stateAttr(s, certAddr, "not_before")
					t0, _ := time.Parse(time.RFC3339, nb)
					t1, _ := time.Parse(time.RFC3339, oldNotAfter)
					bonus := int(t1.Sub(t0) / day)
					if bonus < 8 || bonus > 9 {
						return fmt.Errorf("remaining days %d, want 8 or 9", bonus)
					}
					return checkLeafAttrs(certAddr, 30+bonus)(s)
				},
				e.noDCVRecordsLeft,
			),
		},
		{Config: cfg, PlanOnly: true},
	}})
}

// Renewal by reissue while the contract outlives the certificate.
func TestAccCertificate_RenewalByReissue(t *testing.T) {
	e := newAccEnv(t, simulator.Options{ContractDays: 365})
	csr, key := csrHCL(t, "www.example.org")
	cfg := e.config(certConfig("RapidSSL", "www.example.org", nil, csr, "  validity_days = 90"))
	sameID := statecheck.CompareValue(compare.ValuesSame())
	newSerial := statecheck.CompareValue(compare.ValuesDiffer())
	sameContract := statecheck.CompareValue(compare.ValuesSame())
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("renew_before_days"), knownvalue.Int64Exact(30)),
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newSerial.AddStateValue(certAddr, tfjsonpath.New("serial_number")),
				sameContract.AddStateValue(certAddr, tfjsonpath.New("contract_valid_until")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrSet(certAddr, "id"), resource.TestCheckResourceAttrSet(certAddr, "serial_number"),
				resource.TestCheckResourceAttrSet(certAddr, "contract_valid_until")),
		},
		{
			PreConfig: func() { e.advance(61 * day) },
			Config:    cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("id"), knownvalue.NotNull()),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("certificate_pem")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newSerial.AddStateValue(certAddr, tfjsonpath.New("serial_number")),
				sameContract.AddStateValue(certAddr, tfjsonpath.New("contract_valid_until")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrSet(certAddr, "serial_number"),
				e.checkChain(certAddr, key, "www.example.org"), e.orderCount(1), checkLeafAttrs(certAddr, 90),
			),
		},
		{Config: cfg, PlanOnly: true},
	}})
}

// A renewal that does not finish in time keeps the old certificate in the
// state and the renewal order id; the next apply resumes that order.
func TestAccCertificate_RenewalInterruptedAndResumed(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, key := csrHCL(t, "www.example.com")
	cfg := func(timeout string) string {
		return e.config(certConfig("RapidSSL", "www.example.com", nil, csr, fmt.Sprintf("  validity_days = 30\n  timeouts {\n    update = %q\n  }", timeout)) + `
resource "regfish_dns_record" "pin" {
  name = "pin.example.com"
  type = "TXT"
  data = regfish_tls_certificate.www.sha256_fingerprint
}
`)
	}
	var oldID, oldFP, renewalID string
	e.test(resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			// the renewed certificate is left alone (revoke_on_destroy is false)
			// and nothing stays pending
			for _, o := range e.sim.Orders() {
				if o.Status == "pending" {
					return fmt.Errorf("order %s left pending", o.ID)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{
			{Config: cfg("1m"), Check: resource.ComposeAggregateTestCheckFunc(capture(&oldID, "id"), capture(&oldFP, "sha256_fingerprint"))},
			{
				PreConfig: func() {
					e.advance(21 * day)
					e.sim.SetIssueDelay(time.Hour) // the CA is slow now
				},
				Config:      cfg("2s"),
				ExpectError: errRe(`Certificate \w+ Not Renewed.*stays valid and stays in the state.*renewal order \w+ is kept`),
			},
			{
				// the old certificate is still the one in the state and in use
				Config:             cfg("2s"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() {
					orders := e.sim.Orders()
					if len(orders) != 2 || orders[1].Status != "pending" || orders[1].RenewalOfCertificateID != oldID {
						t.Fatalf("after the interrupted renewal: %+v", orders)
					}
					renewalID = orders[1].ID
					for _, r := range e.sim.Records() {
						if r.Name == "pin.example.com." && r.Data != oldFP {
							t.Fatalf("the dependent saw %q instead of the old fingerprint", r.Data)
						}
					}
					e.advance(2 * time.Hour)
				},
				Config: cfg("1m"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrWith(certAddr, "id", func(v string) error {
						if v != renewalID {
							return fmt.Errorf("id %s, want the resumed renewal order %s", v, renewalID)
						}
						return nil
					}),
					e.orderCount(2), e.checkChain(certAddr, key, "www.example.com"),
					resource.TestCheckResourceAttrPair("regfish_dns_record.pin", "data", certAddr, "sha256_fingerprint"),
				),
			},
		}})
}

// Destroying a certificate whose renewal is still pending cancels the
// renewal order as well.
func TestAccCertificate_DestroyCancelsPendingRenewal(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "www.example.org")
	cfg := e.config(certConfig("RapidSSL", "www.example.org", nil, csr, "  validity_days = 30\n  timeouts {\n    update = \"1s\"\n  }"))
	e.test(resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			orders := e.sim.Orders()
			if len(orders) != 2 || orders[0].Status != "issued" || orders[1].Status != "cancelled" {
				return fmt.Errorf("after destroy: %+v", orders)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{Config: cfg, Check: resource.TestCheckResourceAttrSet(certAddr, "id")},
			{
				PreConfig: func() {
					e.advance(21 * day)
					e.sim.SetIssueDelay(time.Hour)
				},
				Config:      cfg,
				ExpectError: errRe(`Not Renewed`),
			},
		},
	})
}

func TestAccCertificate_RenewBeforeDaysValidation(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "www.example.com")
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  validity_days = 30\n  renew_before_days = 30")),
			PlanOnly:    true,
			ExpectError: errRe(`renew_before_days \(30\) must be smaller than the certificate's validity of 30 days`),
		},
		{
			Config:      e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  renew_before_days = 199")),
			PlanOnly:    true,
			ExpectError: errRe(`renew_before_days`),
		},
	}})
}

// Import of an issued certificate: the only difference is the csr the API
// never returns, recorded by the next apply without any API write.
func TestAccCertificate_ImportIssued(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	c := testutil.NewCSR(t, "legacy.example.com")
	cl := e.sim.Client(t)
	o, err := cl.CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "legacy.example.com", CSR: c.PEM, DCVMethod: "dns-cname-token", ValidityDays: 60})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.ForceValidate(o.ID); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(certConfig("RapidSSL", "legacy.example.com", nil, fmt.Sprintf("%q", c.PEM), "  validity_days = 60"))
	var writes int
	countWrites := func() int {
		n := 0
		for route, v := range e.sim.Stats().Requests {
			if !strings.HasPrefix(route, "GET ") {
				n += v
			}
		}
		return n
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:             cfg,
			ResourceName:       certAddr,
			ImportState:        true,
			ImportStateId:      o.ID,
			ImportStatePersist: true,
			ImportStateCheck: func(s []*terraform.InstanceState) error {
				a := s[0].Attributes
				if a["status"] != "issued" || a["common_name"] != "legacy.example.com" || a["validity_days"] != "60" || a["certificate_pem"] == "" || a["csr"] != "" {
					return fmt.Errorf("imported: %v", a)
				}
				return nil
			},
		},
		{
			PreConfig: func() { writes = countWrites() },
			Config:    cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("certificate_pem"), knownvalue.NotNull()),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("id"), knownvalue.StringExact(o.ID)),
			}},
			Check: func(*terraform.State) error {
				if n := countWrites() - writes; n != 0 {
					return fmt.Errorf("recording the csr after import made %d API write calls", n)
				}
				return nil
			},
		},
		{Config: cfg, PlanOnly: true},
	}})
}

// An imported certificate may stay without csr until something needs one:
// the plan is empty, and once the renewal window opens the plan fails on
// csr, saying why, instead of ordering.
func TestAccCertificate_ImportWithoutCSR(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	c := testutil.NewCSR(t, "legacy.example.com")
	o, err := e.sim.Client(t).CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "legacy.example.com", CSR: c.PEM, DCVMethod: "dns-cname-token", ValidityDays: 60})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.ForceValidate(o.ID); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(`
resource "regfish_tls_certificate" "www" {
  product       = "RapidSSL"
  common_name   = "legacy.example.com"
  validity_days = 60
}
`)
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: cfg, ResourceName: certAddr, ImportState: true, ImportStateId: o.ID, ImportStatePersist: true},
		{Config: cfg, PlanOnly: true},
		{
			PreConfig:   func() { e.advance(45 * day) },
			Config:      cfg,
			PlanOnly:    true,
			ExpectError: errRe(`(?s)Missing csr.*Renewing Certificate ` + o.ID + `.*needs a CSR`),
		},
		{
			Config:      e.config(certConfig("RapidSSL", "new.example.com", nil, `null`, "")),
			ExpectError: errRe(`(?s)Missing csr`),
		},
	}})
	if n := len(e.sim.Orders()); n != 1 {
		t.Fatalf("%d orders, want only the imported one", n)
	}
}

// Import of a pending order, followed by an apply that resumes it.
func TestAccCertificate_ImportPendingResumes(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csrHCLs, key := csrHCL(t, "pending.example.org")
	o, err := e.sim.Client(t).CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "pending.example.org", CSR: key.PEM, DCVMethod: "dns-cname-token"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config(certConfig("RapidSSL", "pending.example.org", nil, csrHCLs, ""))
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: cfg, ResourceName: certAddr, ImportState: true, ImportStateId: o.ID, ImportStatePersist: true},
		{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttr(certAddr, "id", o.ID), e.orderCount(1),
				resource.TestCheckResourceAttr(certAddr, "status", "issued"), e.checkChain(certAddr, key, "pending.example.org")),
		},
		{Config: cfg, PlanOnly: true},
	}})
}

// Orphans: orders that exist in regfish but in no state (the terraform
// process was killed after placing them).
func TestAccCertificate_AdoptsOrphan(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dcvKey     string // "" none, "own", "other"
		orphans    int
		wantAdopt  bool
		wantOrders int
	}{
		{"own-key", "own", 1, true, 1},
		{"no-dcv-records", "", 1, true, 1},
		{"other-workspace-key", "other", 1, false, 2},
		{"ambiguous", "", 2, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour})
			csrLit, key := csrHCL(t, "www.example.com")
			cl := e.sim.Client(t)
			var orphanIDs []string
			for i := 0; i < tc.orphans; i++ {
				// another workspace orders with its own key
				orderKey := key
				if tc.dcvKey == "other" {
					orderKey = testutil.NewCSR(t, "www.example.com")
				}
				o, err := cl.CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.com", CSR: orderKey.PEM, DCVMethod: "dns-cname-token"})
				if err != nil {
					t.Fatal(err)
				}
				orphanIDs = append(orphanIDs, o.ID)
				if tc.dcvKey != "" {
					fp := order.KeyFingerprint(orderKey.Key.Public())
					for _, r := range o.Validation.DNSRecords {
						if _, err := cl.CreateRecord(ctxBG, regfish.RecordRequest{Type: "CNAME", Name: r.Name, Data: r.Value, TTL: 60,
							Annotation: order.DCVAnnotation{CertificateID: o.ID, Key: fp}.String()}); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			e.advance(2 * time.Hour)
			e.sim.SetIssueDelay(0)
			e.test(resource.TestCase{Steps: []resource.TestStep{{
				Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csrLit, "")),
				Check: resource.ComposeAggregateTestCheckFunc(
					e.orderCount(tc.wantOrders),
					e.checkChain(certAddr, key, "www.example.com"),
					resource.TestCheckResourceAttrWith(certAddr, "id", func(v string) error {
						adopted := v == orphanIDs[0]
						if adopted != tc.wantAdopt {
							return fmt.Errorf("id %s, orphans %v: adopted %v, want %v", v, orphanIDs, adopted, tc.wantAdopt)
						}
						return nil
					}),
				),
			}}})
		})
	}
}

// A certificate is imported by identity; its identity follows the id when
// a names change places a new order in place (a mutable identity).
func TestAccCertificate_IdentityImportAndNewOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr1, _ := csrHCL(t, "id.example.com")
	csr2, _ := csrHCL(t, "id.example.com", "www.id.example.com")
	newOrder := statecheck.CompareValue(compare.ValuesDiffer())
	e.test(resource.TestCase{TerraformVersionChecks: needsIdentity, Steps: []resource.TestStep{
		{
			Config:            e.config(certConfig("RapidSSL", "id.example.com", nil, csr1, "")),
			ConfigStateChecks: []statecheck.StateCheck{identityIsID(certAddr), newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))},
			Check:             resource.TestCheckResourceAttrSet(certAddr, "id"),
		},
		{
			// an import block with identity = { id = ... }; without csr the
			// import is a no-op (the API never returns the CSR)
			Config: e.config(`
resource "regfish_tls_certificate" "www" {
  product     = "RapidSSL"
  common_name = "id.example.com"
}
`),
			ResourceName:    certAddr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
			ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("status"), knownvalue.StringExact("issued")),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("common_name"), knownvalue.StringExact("id.example.com")),
			}},
		},
		{
			// new names: a new order in place, a new id, and the identity with it
			Config: e.config(certConfig("RapidSSL", "id.example.com", []string{"www.id.example.com"}, csr2, "")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{identityIsID(certAddr), newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))},
			Check:             resource.TestCheckResourceAttrSet(certAddr, "id"),
		},
	}})
}
