package provider

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
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

const certAddr = "regfish_tls_certificate.www"

func certConfig(product, cn string, sans []string, csr, extra string) string {
	q := make([]string, len(sans))
	for i, s := range sans {
		q[i] = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf(`
resource "regfish_tls_certificate" "www" {
  product     = %q
  common_name = %q
  dns_names   = [%s]
  csr         = %s
%s
}
`, product, cn, strings.Join(q, ", "), csr, extra)
}

func (e *accEnv) orderStatus(id *string, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		o, ok := e.sim.Order(*id)
		if !ok {
			return fmt.Errorf("order %s not in the simulator", *id)
		}
		if o.Status != want {
			return fmt.Errorf("order %s has status %s, want %s", *id, o.Status, want)
		}
		return nil
	}
}

// noDCVRecordsLeft checks that the provider removed the _dnsauth records.
func (e *accEnv) noDCVRecordsLeft(*terraform.State) error {
	for _, r := range e.sim.Records() {
		if strings.HasPrefix(r.Name, "_dnsauth.") {
			return fmt.Errorf("DCV record %s left in DNS", r.Name)
		}
	}
	return nil
}

func TestAccCertificate_DV(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, key := csrHCL(t, "www.example.com", "api.example.com")
	var id string
	sameID := statecheck.CompareValue(compare.ValuesSame())
	cfg := func(extra string) string {
		return e.config(certConfig("RapidSSL", "www.example.com", []string{"api.example.com"}, csr, `  validity_days = 90`+"\n"+extra))
	}
	e.test(resource.TestCase{
		CheckDestroy: e.orderStatus(&id, "revoked"),
		Steps: []resource.TestStep{
			{
				Config: cfg(""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("status"), knownvalue.StringExact("issued")),
					statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("order_state"), knownvalue.StringExact("ISSUED")),
					statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("dcv_method"), knownvalue.StringExact("dns-cname-token")),
					statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("validity_days"), knownvalue.Int64Exact(90)),
					statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("revoke_on_destroy"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("validation_records"), knownvalue.ListSizeExact(e.dcvRecordCount("www.example.com", "api.example.com"))),
					statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("serial_number"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9A-F]+$`))),
					sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					capture(&id, "id"),
					e.checkChain(certAddr, key, "www.example.com", "api.example.com"),
					e.orderCount(1),
					e.noDCVRecordsLeft,
					checkLeafAttrs(certAddr, 90),
				),
			},
			{
				ResourceName:            certAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"csr", "public_key_sha256"}, // an import knows no CSR, so neither its key
			},
			{
				// revoke_on_destroy needs no API call: an in-place update
				Config: cfg(`  revoke_on_destroy = true`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("certificate_pem"), knownvalue.NotNull()),
				}},
				Check:             e.orderCount(1),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(certAddr, tfjsonpath.New("id"))},
			},
			{
				// only the timeouts change: no API call, nothing unknown
				Config: cfg("  revoke_on_destroy = true\n  timeouts {\n    create = \"45m\"\n  }"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("full_chain_pem"), knownvalue.NotNull()),
				}},
				Check:             e.orderCount(1),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(certAddr, tfjsonpath.New("id"))},
			},
			{
				Config:   cfg("  revoke_on_destroy = true\n  timeouts {\n    create = \"45m\"\n  }"),
				PlanOnly: true,
			},
		},
	})
}

// checkLeafAttrs compares not_before/not_after/fingerprint with the leaf.
func checkLeafAttrs(name string, days int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		leafPEM, _ := stateAttr(s, name, "certificate_pem")
		b, _ := pem.Decode([]byte(leafPEM))
		if b == nil {
			return fmt.Errorf("certificate_pem is not PEM")
		}
		leaf, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return err
		}
		nb, _ := stateAttr(s, name, "not_before")
		na, _ := stateAttr(s, name, "not_after")
		fp, _ := stateAttr(s, name, "sha256_fingerprint")
		sum := sha256.Sum256(leaf.Raw)
		if nb != leaf.NotBefore.UTC().Format(time.RFC3339) || na != leaf.NotAfter.UTC().Format(time.RFC3339) || fp != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("not_before %s not_after %s fingerprint %s do not describe the leaf", nb, na, fp)
		}
		if got := leaf.NotAfter.Sub(leaf.NotBefore); days > 0 && got != time.Duration(days)*24*time.Hour {
			return fmt.Errorf("lifetime %v, want %d days", got, days)
		}
		return nil
	}
}

func orgConfig() string {
	return `
resource "regfish_tls_organization" "acme" {
  organization = "Example GmbH"
  first_name   = "Ada"
  last_name    = "Admin"
  address      = "Musterstrasse 1"
  postal_code  = "10115"
  city         = "Berlin"
  country_code = "DE"
  phone        = "+49 30 1234567"
  email        = "admin@example.com"
}
`
}

func TestAccCertificate_OVOneStep(t *testing.T) {
	e := newAccEnv(t, simulator.Options{ApprovalDelay: 300 * time.Millisecond})
	csr, key := csrHCL(t, "shop.example.com")
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(orgConfig() + certConfig("SecureSite", "shop.example.com", nil, csr, `  org_id = regfish_tls_organization.acme.id`)),
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttrSet(certAddr, "id"),
			resource.TestCheckResourceAttrPair(certAddr, "organization_id", "regfish_tls_organization.acme", "id"),
			resource.TestCheckResourceAttr(certAddr, "status", "issued"),
			resource.TestCheckResourceAttr(certAddr, "completion_url", ""),
			e.checkChain(certAddr, key, "shop.example.com"),
			e.orderCount(1),
			func(s *terraform.State) error {
				leafPEM, _ := stateAttr(s, certAddr, "certificate_pem")
				b, _ := pem.Decode([]byte(leafPEM))
				leaf, _ := x509.ParseCertificate(b.Bytes)
				if len(leaf.Subject.Organization) != 1 || leaf.Subject.Organization[0] != "Example GmbH" {
					return fmt.Errorf("OV subject %v", leaf.Subject)
				}
				if n := e.sim.Stats().Requests["POST /tls/certificate/{id}/complete"]; n != 0 {
					return fmt.Errorf("one-step order was completed %d times", n)
				}
				return nil
			},
		),
	}}})
}

// The organization is not usable when the order is placed: the order is
// staged, and the provider finishes it with POST /complete once it is.
//
// regfish does not document the statuses with which it refuses /complete:
// under every variant (400/404/409 as they fit, or one status for all) the
// provider reads the order and the organization and waits for the
// organization instead of failing or trusting the status.
func TestAccCertificate_OVStagedCompletedWithOrgID(t *testing.T) {
	for _, variant := range []string{"mixed", "400", "403", "404", "409", "422"} {
		t.Run(variant, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{Variants: simulator.Variants{Complete: variant}})
			org, err := e.sim.Client(t).CreateOrganization(ctxBG, regfish.OrganizationRequest{Organization: "Pending Vetting AG"})
			if err != nil {
				t.Fatal(err)
			}
			csr, key := csrHCL(t, "portal.example.org")
			// once the provider has tried (and been refused), the organization passes vetting
			e.whenOrder(func(o simulator.OrderInfo) bool {
				return o.OrderState == "ACTION_REQUIRED" && e.sim.Stats().Requests["POST /tls/certificate/{id}/complete"] > 0
			}, func(string) error {
				return e.sim.SetOrganization(string(org.ID), "ready", true)
			})
			e.test(resource.TestCase{Steps: []resource.TestStep{{
				Config: e.config(certConfig("TrueBusinessID", "portal.example.org", nil, csr, fmt.Sprintf("  org_id = %q", org.ID))),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrSet(certAddr, "id"),
					resource.TestCheckResourceAttr(certAddr, "organization_id", string(org.ID)),
					resource.TestCheckResourceAttr(certAddr, "status", "issued"),
					e.checkChain(certAddr, key, "portal.example.org"),
					e.orderCount(1),
					func(*terraform.State) error {
						if n := e.sim.Stats().Status[200]; n == 0 {
							return fmt.Errorf("no successful requests")
						}
						if n := e.sim.Stats().Requests["POST /tls/certificate/{id}/complete"]; n < 2 {
							return fmt.Errorf("POST /complete called %d times, want a refused try and the completing one", n)
						}
						return nil
					},
				),
			}}})
		})
	}
}

// /complete refused although the organization is usable (here: 403, as
// for a key without the TLS role, and 422), or for an organization the
// account does not hold: the apply fails at once, naming the order, the
// organization, the answer and what to do; the order is kept.
func TestAccCertificate_CompleteRefused(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cl := e.sim.Client(t)
	for _, tc := range []struct {
		name, cn string
		status   int
		want     string
	}{
		{"403", "a.example.org", 403, `regfish refused to complete staged order \w+ with organization hdl_\w+, which is usable.*HTTP 403.*key with access to the TLS endpoints.*complete the order in the regfish Console at https://.*the order is kept`},
		{"422", "b.example.org", 422, `regfish refused to complete staged order \w+ with organization hdl_\w+, which is usable.*HTTP 422.*Complete the order in the regfish Console at https://.*the order is kept`},
		{"unknown org", "ghost.example.org", 404, `org_id hdl_\w+ is not an organization of this regfish account.*HTTP 404.*the order is kept`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org, err := cl.CreateOrganization(ctxBG, regfish.OrganizationRequest{Organization: "Vetting " + tc.name})
			if err != nil {
				t.Fatal(err)
			}
			mustSim(t, e.sim.SetFaults(simulator.Fault{Method: "POST", Path: "/tls/certificate/*/complete", Kind: simulator.FaultStatus, Status: tc.status}))
			// once the order is staged, the organization passes vetting
			// (or is deleted in the Console)
			e.whenOrder(func(o simulator.OrderInfo) bool { return o.OrderState == "ACTION_REQUIRED" && o.CommonName == tc.cn }, func(string) error {
				if tc.name == "unknown org" {
					return e.sim.DeleteOrganization(string(org.ID))
				}
				return e.sim.SetOrganization(string(org.ID), "ready", true)
			})
			csr, _ := csrHCL(t, tc.cn)
			before := e.sim.Stats().OrdersCreated
			e.test(resource.TestCase{Steps: []resource.TestStep{{
				Config:      e.config(certConfig("SecureSite", tc.cn, nil, csr, fmt.Sprintf("  org_id = %q\n  cancel_on_destroy = false", org.ID))),
				ExpectError: errRe(tc.want),
			}}})
			if n := e.sim.Stats().OrdersCreated - before; n != 1 {
				t.Fatalf("%d orders placed, want 1", n)
			}
		})
	}
}

// Without org_id the order waits for a person to complete it in the Console
// (done here by the test, out of band); the plan and the error say where.
func TestAccCertificate_StagedConsoleCompletion(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	org, err := e.sim.Client(t).CreateOrganization(ctxBG, regfish.OrganizationRequest{Organization: "Example GmbH", FirstName: "A", LastName: "B",
		Address: "C", PostalCode: "1", City: "Berlin", CountryCode: "DE", Phone: "+49 30 1", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	csr, key := csrHCL(t, "www.example.com")
	var id string
	cfg := func(timeout string) string {
		return e.config(certConfig("SecureSite", "www.example.com", nil, csr, fmt.Sprintf("  timeouts {\n    create = %q\n  }", timeout)))
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			// nobody completes it: the apply stops, saying where to complete it
			Config:      cfg("2s"),
			ExpectError: errRe(`Certificate \w+ Not Issued.*complete it at\s+https://dash\.regfish\.com/my/certs/\w+/complete.*no new order`),
		},
		{
			PreConfig: func() {
				os := e.sim.Orders()
				if len(os) != 1 || os[0].OrderState != "ACTION_REQUIRED" {
					t.Fatalf("want one staged order, got %+v", os)
				}
				id = os[0].ID
				e.whenOrder(func(o simulator.OrderInfo) bool { return o.ID == id }, func(string) error {
					time.Sleep(500 * time.Millisecond)
					return e.sim.ConsoleComplete(id, string(org.ID))
				})
			},
			Config: cfg("1m"),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPtr(certAddr, "id", &id),
				resource.TestCheckResourceAttr(certAddr, "status", "issued"),
				resource.TestCheckResourceAttr(certAddr, "organization_id", string(org.ID)),
				e.checkChain(certAddr, key, "www.example.com"),
				e.orderCount(1),
			),
		},
	}})
}

func TestAccCertificate_EmailDCV(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, key := csrHCL(t, "mail.example.org")
	e.whenOrder(func(o simulator.OrderInfo) bool { return o.DCVMethod == "email" }, func(id string) error {
		time.Sleep(300 * time.Millisecond)
		return e.sim.ApproveEmail(id)
	})
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(certConfig("SSL123", "mail.example.org", nil, csr, "  dcv_method = \"email\"\n  dcv_emails = [\"hostmaster@example.org\"]")),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("validation_emails"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("hostmaster@example.org")})),
			statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("validation_records"), knownvalue.ListSizeExact(0)),
			statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("status"), knownvalue.StringExact("issued")),
		},
		Check: resource.ComposeAggregateTestCheckFunc(e.checkChain(certAddr, key, "mail.example.org"), e.orderCount(1)),
	}}})
}

// The resume test: the first apply ends before issuance, the next one
// finishes the same order. A dependent resource is not applied while the
// certificate is not issued.
func TestAccCertificate_ResumeAfterTimeout(t *testing.T) {
	e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour})
	csr, key := csrHCL(t, "www.example.com")
	var id string
	cfg := func(timeout string) string {
		return e.config(certConfig("RapidSSL", "www.example.com", nil, csr, fmt.Sprintf("  timeouts {\n    create = %q\n  }", timeout)) + `
resource "regfish_dns_record" "pin" {
  name = "pin.example.com"
  type = "TXT"
  data = regfish_tls_certificate.www.sha256_fingerprint
}
`)
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      cfg("2s"),
			ExpectError: errRe(`Certificate \w+ Not Issued.*timed out.*The order \w+ is kept in the state.*no new order is placed`),
		},
		{
			PreConfig: func() {
				orders := e.sim.Orders()
				if len(orders) != 1 || orders[0].Status != "pending" {
					t.Fatalf("after the timed-out apply: %+v", orders)
				}
				id = orders[0].ID
				for _, r := range e.sim.Records() {
					if r.Name == "pin.example.com." {
						t.Fatal("the dependent record was created although the certificate is not issued")
					}
				}
				e.advance(2 * time.Hour) // the CA issues now
			},
			Config: cfg("5m"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				// tainted by the failed create: its replacement resumes the order
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionDestroyBeforeCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPtr(certAddr, "id", &id),
				resource.TestCheckResourceAttr(certAddr, "status", "issued"),
				e.checkChain(certAddr, key, "www.example.com"),
				e.orderCount(1),
				e.orderStatus(&id, "issued"),
				resource.TestCheckResourceAttrPair("regfish_dns_record.pin", "data", certAddr, "sha256_fingerprint"),
				e.noDCVRecordsLeft,
			),
		},
	}})
}

// Destroying a pending order cancels it.
func TestAccCertificate_DestroyCancelsPendingOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour})
	csr, _ := csrHCL(t, "www.example.org")
	var id string
	e.test(resource.TestCase{
		CheckDestroy: func(s *terraform.State) error {
			orders := e.sim.Orders()
			if len(orders) != 1 {
				return fmt.Errorf("orders: %+v", orders)
			}
			id = orders[0].ID
			if err := e.orderStatus(&id, "cancelled")(s); err != nil {
				return err
			}
			return e.noDCVRecordsLeft(s)
		},
		Steps: []resource.TestStep{{
			Config:      e.config(certConfig("RapidSSL", "www.example.org", nil, csr, "  timeouts {\n    create = \"1s\"\n  }")),
			ExpectError: errRe(`Not Issued`),
		}},
	})
}

// A terminal failure names the id, the status and the reason.
func TestAccCertificate_RejectedOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour})
	csr, _ := csrHCL(t, "www.example.org")
	e.whenOrder(func(o simulator.OrderInfo) bool { return o.Status == "pending" }, func(id string) error {
		return e.sim.ForceStatus(id, "rejected", "CAA record forbids issuance")
	})
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config:      e.config(certConfig("RapidSSL", "www.example.org", nil, csr, "")),
		ExpectError: errRe(`certificate order \w+ ended with status "rejected".*CAA record forbids issuance.*cannot be issued any more`),
	}}})
}

// Out-of-band revocation or deletion shows up in the next plan.
func TestAccCertificate_Drift(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, key := csrHCL(t, "www.example.com")
	cfg := e.config(certConfig("RapidSSL", "www.example.com", nil, csr, ""))
	var first, second, serial string
	replaced := statecheck.CompareValue(compare.ValuesDiffer())
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:            cfg,
			Check:             resource.ComposeAggregateTestCheckFunc(capture(&first, "id"), capture(&serial, "serial_number")),
			ConfigStateChecks: []statecheck.StateCheck{replaced.AddStateValue(certAddr, tfjsonpath.New("id"))},
		},
		{
			// reissued outside Terraform: the refresh takes the new certificate
			PreConfig: func() {
				cl := e.sim.Client(t)
				c, err := cl.ReissueCertificate(ctxBG, first, regfish.ReissueRequest{CSR: key.PEM, DCVMethod: "dns-cname-token"})
				if err != nil {
					t.Fatal(err)
				}
				if err := e.sim.ForceValidate(c.ID); err != nil {
					t.Fatal(err)
				}
			},
			// a RefreshState step runs no ConfigStateChecks: compared here
			RefreshState: true,
			Check: resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrPtr(certAddr, "id", &first), notSame(&serial, "serial_number"),
				e.checkChain(certAddr, key, "www.example.com")),
		},
		{Config: cfg, PlanOnly: true},
		{
			PreConfig: func() {
				if err := e.sim.ForceStatus(first, "revoked", "revoked in the Console"); err != nil {
					t.Fatal(err)
				}
			},
			// a dead order is replaced by a new order, in place
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("id")),
			}},
			Check:             resource.ComposeAggregateTestCheckFunc(capture(&second, "id"), e.orderCount(2), resource.TestCheckResourceAttr(certAddr, "status", "issued")),
			ConfigStateChecks: []statecheck.StateCheck{replaced.AddStateValue(certAddr, tfjsonpath.New("id"))},
		},
		{
			PreConfig: func() {
				if err := e.sim.DeleteOrder(second); err != nil {
					t.Fatal(err)
				}
			},
			Config:             cfg,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		},
	}})
}

// Changing only the CSR's key reissues on the same order; changing the
// names places a new order in place (a new id), and the old certificate is
// revoked once the new one is issued only with revoke_on_destroy.
func TestAccCertificate_ReissueVersusNewOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr1, _ := csrHCL(t, "www.example.com")
	csr2, key2 := csrHCL(t, "www.example.com")
	csr3, key3 := csrHCL(t, "www.example.com", "api.example.com")
	csr4, key4 := csrHCL(t, "shop.example.com")
	csr3cn, key3cn := csrHCL(t, "api.example.com", "www.example.com")
	var id, third string
	sameID := statecheck.CompareValue(compare.ValuesSame())      // the reissue
	newSerial := statecheck.CompareValue(compare.ValuesDiffer()) // the reissue
	newOrder := statecheck.CompareValue(compare.ValuesDiffer())  // the first order, then each new one
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csr1, "")),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newOrder.AddStateValue(certAddr, tfjsonpath.New("id")),
				newSerial.AddStateValue(certAddr, tfjsonpath.New("serial_number")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(capture(&id, "id"), resource.TestCheckResourceAttrSet(certAddr, "serial_number")),
		},
		{
			Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csr2, "")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("id"), knownvalue.NotNull()),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("certificate_pem")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newSerial.AddStateValue(certAddr, tfjsonpath.New("serial_number")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(e.orderCount(1), e.checkChain(certAddr, key2, "www.example.com"),
				resource.TestCheckResourceAttrSet(certAddr, "serial_number"), e.noDCVRecordsLeft),
		},
		{
			Config: e.config(certConfig("RapidSSL", "www.example.com", []string{"api.example.com"}, csr3, "")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("id")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))},
			Check: resource.ComposeAggregateTestCheckFunc(e.orderCount(2), e.checkChain(certAddr, key3, "www.example.com", "api.example.com"),
				capture(&third, "id"),
				e.orderStatus(&id, "issued"), // superseded, not revoked (revoke_on_destroy = false)
				e.noDCVRecordsLeft),
		},
		{
			// the same names under another common name: a reissue keeps the
			// order's subject, so this is a new order too
			Config: e.config(certConfig("RapidSSL", "api.example.com", []string{"www.example.com"}, csr3cn, "")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("id")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))},
			Check: resource.ComposeAggregateTestCheckFunc(e.orderCount(3), e.checkChain(certAddr, key3cn, "api.example.com", "www.example.com"),
				capture(&third, "id"), leafSubject(certAddr, "api.example.com"), e.noDCVRecordsLeft),
		},
		{
			Config: e.config(certConfig("RapidSSL", "shop.example.com", nil, csr4, "  revoke_on_destroy = true")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("id")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))},
			Check: resource.ComposeAggregateTestCheckFunc(e.orderCount(4), e.checkChain(certAddr, key4, "shop.example.com"),
				resource.TestCheckResourceAttrSet(certAddr, "id"),
				e.orderStatus(&third, "revoked"), // revoke_on_destroy: revoked once the new one was issued
				e.orderStatus(&id, "issued")),
		},
		{Config: e.config(certConfig("RapidSSL", "shop.example.com", nil, csr4, "  revoke_on_destroy = true")), PlanOnly: true},
	}})
}

func TestAccCertificate_PlanTimeValidation(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	good, _ := csrHCL(t, "www.example.com")
	other, _ := csrHCL(t, "other.example.com")
	wild, _ := csrHCL(t, "*.example.com")
	rsaSmall := fmt.Sprintf("%q", rsaCSR(t, 1024, "www.example.com"))
	step := func(cfg, want string) resource.TestStep {
		return resource.TestStep{Config: e.config(cfg), PlanOnly: true, ExpectError: errRe(want)}
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		step(certConfig("NoSuchSSL", "www.example.com", nil, good, ""), `(?s)product "NoSuchSSL" is not in the regfish catalog.*Available products: RapidSSL`),
		step(certConfig("RapidSSL", "*.example.com", nil, wild, ""), `(?s)common_name.*wildcard name.*RapidSSLWildcard`),
		step(certConfig("RapidSSL", "www.example.com", nil, other, ""), `(?s)csr.*subject common name is "other.example.com"`),
		step(certConfig("RapidSSL", "www.example.com", []string{"api.example.com"}, good, ""), `(?s)csr.*lack api.example.com`),
		step(certConfig("RapidSSL", "www.example.com", nil, `"not a csr"`, ""), `(?s)csr.*not a valid PEM`),
		step(certConfig("RapidSSL", "www.example.com", nil, rsaSmall, ""), `(?s)csr.*1024 bits`),
		step(certConfig("RapidSSL", "www.example.com", nil, good, "  validity_days = 200"), `(?s)validity_days.*between 2 and 199`),
		step(certConfig("RapidSSL", "www.example.com", nil, good, "  validity_days = 1"), `(?s)validity_days.*between 2 and 199`),
		step(certConfig("RapidSSL", "www.example.com", nil, good, `  dcv_emails = ["a@example.com"]`), `(?s)dcv_emails.*only used with dcv_method`),
		step(certConfig("RapidSSL", "www.example.com", nil, good, `  dcv_method = "http-token"`), `(?s)dcv_method.*value must be one of`),
		step(certConfig("SecureSite", "www.example.com", nil, good, `  org_id = "42"`), `(?s)org_id.*TLS organization id`),
		step(certConfig("SecureSite", "www.example.com", nil, good, `  org_id = "hdl_NOSUCHORG0000"`), `org_id hdl_NOSUCHORG0000 is not a TLS organization of this regfish account`),
		step(certConfig("RapidSSL", "WWW.example.com", nil, good, ""), `(?s)common_name.*lower-case DNS name`),
		step(certConfig("RapidSSL", "www.example.com", []string{"bad name"}, good, ""), `(?s)dns_names.*lower-case DNS name`),
	}})
}

// A wildcard with its apex needs one DCV record, published once.
func TestAccCertificate_WildcardWithApex(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, key := csrHCL(t, "*.example.org", "example.org")
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(certConfig("RapidSSLWildcard", "*.example.org", []string{"example.org"}, csr, "")),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(certAddr, tfjsonpath.New("validation_records"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("_dnsauth.example.org.")}),
			})),
		},
		Check: resource.ComposeAggregateTestCheckFunc(e.checkChain(certAddr, key, "*.example.org", "example.org"), e.orderCount(1), e.noDCVRecordsLeft,
			func(*terraform.State) error {
				if n := e.sim.Stats().Requests["POST /dns/rr"]; n != 1 {
					return fmt.Errorf("%d DCV records published, want 1", n)
				}
				return nil
			}),
	}}})
}

// leafSubject checks the common name of the certificate in the state.
func leafSubject(addr, cn string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		v, err := stateAttr(s, addr, "certificate_pem")
		if err != nil {
			return err
		}
		b, _ := pem.Decode([]byte(v))
		if b == nil {
			return fmt.Errorf("%s: certificate_pem holds no PEM block", addr)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return err
		}
		if c.Subject.CommonName != cn {
			return fmt.Errorf("%s: the certificate's common name is %q, want %q", addr, c.Subject.CommonName, cn)
		}
		return nil
	}
}

// regfish may not offer cancelling through the API (the cancel path is
// assumed, not documented): with the path missing (404) or refused (403),
// a destroy of a pending order fails naming the order, the answer and the
// way out, and leaves the order and the state as they are; with
// cancel_on_destroy = false the destroy lets the order go, pending, and
// says so. A new order for changed names does not place an order while the
// old one cannot be cancelled.
func TestAccCertificate_CancelNotOffered(t *testing.T) {
	for _, variant := range []string{"missing", "refused"} {
		t.Run(variant, func(t *testing.T) {
			// the scope is pinned: external DCV predicts it (the per-name rerun would need dcv_scope)
			e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour, DCVScope: simulator.DCVScopeRegistrableDomain, Variants: simulator.Variants{Cancel: variant}})
			csrs := map[string]string{}
			csrs["www.example.org"], _ = csrHCL(t, "www.example.org")
			csrs["shop.example.org"], _ = csrHCL(t, "shop.example.org")
			ext := func(cn, extra string) string {
				return e.config(certConfig("RapidSSL", cn, nil, csrs[cn], "  dcv_publisher = \"external\"\n"+extra))
			}
			var id string
			e.test(resource.TestCase{
				CheckDestroy: func(s *terraform.State) error {
					// let go, not cancelled
					return e.orderStatus(&id, "pending")(s)
				},
				Steps: []resource.TestStep{
					{Config: ext("www.example.org", ""), Check: resource.ComposeAggregateTestCheckFunc(capture(&id, "id"), e.orderStatus(&id, "pending"))},
					{
						Config:      ext("www.example.org", ""),
						Destroy:     true,
						ExpectError: errRe(`Unable to Cancel Certificate Order \w+.*regfish did not cancel certificate order \w+: the cancel request was answered: .*HTTP 40[34].*status "pending".*cancel_on_destroy = false`),
					},
					{
						// nothing changed: the order is pending, the state holds it
						Config: ext("www.example.org", ""), ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
						Check: resource.ComposeAggregateTestCheckFunc(e.orderStatus(&id, "pending"), e.orderCount(1)),
					},
					{
						// new names: the old pending order must go first, and it cannot
						Config:      ext("shop.example.org", ""),
						ExpectError: errRe(`Unable to Place Certificate Order.*needs order \w+ out of the way first.*regfish did not cancel.*Nothing was ordered`),
						Check:       e.orderCount(1),
					},
					{Config: ext("www.example.org", "  cancel_on_destroy = false\n"), Check: e.orderCount(1)},
				},
			})
			if n := e.sim.Stats().OrdersCreated; n != 1 {
				t.Fatalf("%d orders placed, want 1", n)
			}
		})
	}
}

// With cancelling offered, a pending order that changes names is cancelled
// before the new order, unless cancel_on_destroy = false: then it is left
// pending and the apply says so.
func TestAccCertificate_CancelOnDestroyFalseLetsGo(t *testing.T) {
	e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour, DCVScope: simulator.DCVScopeRegistrableDomain})
	csrs := map[string]string{}
	csrs["www.example.org"], _ = csrHCL(t, "www.example.org")
	csrs["shop.example.org"], _ = csrHCL(t, "shop.example.org")
	ext := func(cn string) string {
		return e.config(certConfig("RapidSSL", cn, nil, csrs[cn], "  dcv_publisher = \"external\"\n  cancel_on_destroy = false\n"))
	}
	var first, second string
	e.test(resource.TestCase{
		CheckDestroy: func(s *terraform.State) error {
			if err := e.orderStatus(&first, "pending")(s); err != nil {
				return err
			}
			return e.orderStatus(&second, "pending")(s)
		},
		Steps: []resource.TestStep{
			{Config: ext("www.example.org"), Check: capture(&first, "id")},
			{Config: ext("shop.example.org"), Check: resource.ComposeAggregateTestCheckFunc(capture(&second, "id"), e.orderStatus(&first, "pending"), e.orderCount(2))},
		},
	})
}

// regfish may not offer revoking through the API: revoke_on_destroy then
// fails the destroy naming the certificate and the answer, and the
// certificate stays issued and in the state.
func TestAccCertificate_RevokeNotOffered(t *testing.T) {
	for _, variant := range []string{"missing", "refused"} {
		t.Run(variant, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{Variants: simulator.Variants{Revoke: variant}})
			csr, _ := csrHCL(t, "www.example.org")
			cfg := e.config(certConfig("RapidSSL", "www.example.org", nil, csr, "  revoke_on_destroy = true\n"))
			var id string
			e.test(resource.TestCase{
				CheckDestroy: func(s *terraform.State) error { return e.orderStatus(&id, "revoked")(s) },
				Steps: []resource.TestStep{
					{Config: cfg, Check: capture(&id, "id")},
					{
						Config: cfg, Destroy: true,
						ExpectError: errRe(`Unable to Revoke Certificate.*regfish did not revoke certificate order \w+: the revoke request was answered: .*HTTP 40[34].*status "issued"`),
					},
					{
						Config: cfg, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}, Check: e.orderStatus(&id, "issued"),
						// the API revokes from now on: the final destroy does
						PreConfig: func() { mustSim(t, e.sim.SetVariants("revoke=served")) },
					},
				},
			})
		})
	}
}

func mustSim(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// /complete refused once while the organization reads usable (vetting
// finished between the refusal and the read): the provider completes once
// more instead of failing, and the certificate issues. The proxy refuses
// the first completion and finishes the vetting as it does, so the order
// of events is the same on every run (a background trigger could finish
// the vetting before the provider's first completion and make it a second
// refusal while usable, which fails the apply by design).
func TestAccCertificate_CompleteRefusedOnceWhileUsable(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	org, err := e.sim.Client(t).CreateOrganization(ctxBG, regfish.OrganizationRequest{Organization: "Vetting Once AG"})
	if err != nil {
		t.Fatal(err)
	}
	p := e.proxy(&proxyRule{Method: "POST", Path: "/tls/certificate/*/complete", Kind: refuse403, Times: 1, Before: func() {
		mustSim(t, e.sim.SetOrganization(string(org.ID), "ready", true))
	}})
	csr, key := csrHCL(t, "once.example.org")
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(certConfig("SecureSite", "once.example.org", nil, csr, fmt.Sprintf("  org_id = %q", org.ID))),
		Check: resource.ComposeAggregateTestCheckFunc(e.checkChain(certAddr, key, "once.example.org"), e.orderCount(1),
			func(*terraform.State) error {
				if n := p.fired(refuse403); n != 1 {
					return fmt.Errorf("the refusal while usable was answered %d times, want 1", n)
				}
				if n := e.sim.Stats().Requests["POST /tls/certificate/{id}/complete"]; n != 1 {
					return fmt.Errorf("%d completions reached regfish, want 1 (the one after the refusal)", n)
				}
				return nil
			}),
	}}})
}

// A plan refreshes every certificate from one listing of the account's
// orders: no per-certificate read and no download while nothing changed;
// a certificate whose serial changed outside Terraform is downloaded (only
// that one); an order the listing no longer shows is read singly, and its
// 404 confirmed by a fresh listing, before the state forgets it.
func TestAccCertificate_RefreshFromOneListing(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	w := newWorkspace(t, e)
	names := []string{"a", "b", "c"}
	csrs := map[string]testutil.CSR{}
	var cfg strings.Builder
	for _, n := range names {
		c := testutil.NewCSR(t, n+".example.com")
		csrs[n] = c
		fmt.Fprintf(&cfg, `
resource "regfish_tls_certificate" %q {
  product     = "RapidSSL"
  common_name = "%s.example.com"
  csr         = %q
}
`, n, n, c.PEM)
	}
	w.write(e.config(cfg.String()))
	if out, err := w.apply(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	ids := map[string]string{}
	for addr, attrs := range w.stateIDs() {
		ids[strings.TrimPrefix(addr, "regfish_tls_certificate.")] = fmt.Sprint(attrs["id"])
	}
	const (
		list     = "GET /tls/certificate"
		read     = "GET /tls/certificate/{id}"
		download = "GET /tls/certificate/{id}/download/pem"
	)
	plan := func() (map[string]int, string) {
		t.Helper()
		before := e.sim.Stats().Requests
		out, err := w.run("plan", "-no-color", "-detailed-exitcode")
		if err != nil && !strings.Contains(err.Error(), "exit status 2") {
			t.Fatalf("plan: %v\n%s", err, out)
		}
		after := e.sim.Stats().Requests
		d := map[string]int{}
		for k, v := range after {
			if v != before[k] {
				d[k] = v - before[k]
			}
		}
		return d, out
	}

	d, out := plan()
	total := 0
	for _, n := range d {
		total += n
	}
	if d[list] != 1 || d[read] != 0 || d[download] != 0 || total > 3 {
		t.Fatalf("a no-change plan of %d certificates sent %v, want one listing, no read, no download, at most 3 requests\n%s", len(names), d, out)
	}

	// b reissued outside Terraform (same key): a new serial
	client := e.sim.Client(t)
	if _, err := client.ReissueCertificate(context.Background(), ids["b"], regfish.ReissueRequest{CSR: csrs["b"].PEM, DCVMethod: "dns-cname-token"}); err != nil {
		t.Fatal(err)
	}
	mustSim(t, e.sim.ForceValidate(ids["b"]))
	if o, _ := e.sim.Order(ids["b"]); o.ReissueStatus == "pending" {
		t.Fatalf("the reissue of %s is still pending", ids["b"])
	}
	d, out = plan()
	if d[list] != 1 || d[read] != 0 || d[download] != 1 {
		t.Fatalf("a plan after b's serial changed sent %v, want one listing and b's download\n%s", d, out)
	}
	if !strings.Contains(out, "Certificate "+ids["b"]+" now has serial") {
		t.Fatalf("the plan does not report b's new serial:\n%s", out)
	}

	// c vanishes from the account: read singly (404), confirmed by a fresh
	// listing, then forgotten
	mustSim(t, e.sim.DeleteOrder(ids["c"]))
	d, out = plan()
	if d[list] != 2 || d[read] != 1 {
		t.Fatalf("a plan after c vanished sent %v, want a listing, c's read and the confirming listing\n%s", d, out)
	}
	if !strings.Contains(out, "Certificate order "+ids["c"]+" no longer exists") {
		t.Fatalf("the plan does not say that %s is gone:\n%s", ids["c"], out)
	}
}

// The check right after a new order's DCV records are published downloads
// instead of reading the order. Issued promptly, and with the order's
// answers carrying its contract window before issuance (contract-window
// =at-order), the certificate costs 4 requests of its own (order, DCV
// record, download, record removal); with the window shown on issued
// orders only (at-issue, the default), the issued order is read once for
// the state (5, as without the early download). Issued later, or with a
// download answering 404 rather than 409 before issuance (CONTRACT.md §5),
// the early download decides nothing: the order is read as before, the
// wait logs its status and pending reason, the certificate is issued, and
// its record removed. Every case leaves a state the next plan does not
// change.
func TestAccCertificate_RequestsPerNewCertificate(t *testing.T) {
	perCert := []string{"POST /tls/certificate", "POST /dns/rr", "GET /tls/certificate/{id}",
		"GET /tls/certificate/{id}/download/pem", "DELETE /dns/rr/{rrid}"}
	for _, tc := range []struct {
		name     string
		opts     simulator.Options
		max      int
		reads    func(int) bool
		download int
	}{
		// max: the requests beside publishing and removing the DCV records
		// (one record in the registrable-domain scope: 4 and 5 in all)
		{"prompt-window-at-order", simulator.Options{Variants: simulator.Variants{ContractWindow: "at-order"}}, 2, func(n int) bool { return n == 0 }, 1},
		{"prompt", simulator.Options{}, 3, func(n int) bool { return n == 1 }, 1},
		{"later", simulator.Options{IssueDelay: 400 * time.Millisecond}, 0, func(n int) bool { return n >= 1 }, 2},
		{"later-404", simulator.Options{IssueDelay: 400 * time.Millisecond, Variants: simulator.Variants{DownloadNotReady: "404"}}, 0, func(n int) bool { return n >= 1 }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAccEnv(t, tc.opts)
			w := newWorkspace(t, e)
			csr, key := csrHCL(t, "www.example.com", "api.example.com")
			w.write(e.config(certConfig("RapidSSL", "www.example.com", []string{"api.example.com"}, csr, "")))
			w.env = append(w.env, "TF_LOG_PROVIDER=INFO")
			before := e.sim.Stats().Requests
			out, err := w.apply()
			if err != nil {
				t.Fatalf("apply: %v\n%s", err, out)
			}
			after := e.sim.Stats().Requests
			d, total := map[string]int{}, 0
			for _, r := range perCert {
				d[r] = after[r] - before[r]
				total += d[r]
			}
			records := e.dcvRecordCount("www.example.com", "api.example.com")
			if tc.max > 0 && total > tc.max+2*records {
				t.Errorf("the certificate cost %d requests of its own, want at most %d (%d DCV records): %v", total, tc.max+2*records, records, d)
			}
			if !tc.reads(d["GET /tls/certificate/{id}"]) || d["GET /tls/certificate/{id}/download/pem"] != tc.download {
				t.Errorf("reads and downloads of the order: %v", d)
			}
			if d["POST /tls/certificate"] != 1 || d["DELETE /dns/rr/{rrid}"] != d["POST /dns/rr"] {
				t.Errorf("orders placed and records published/removed: %v", d)
			}
			if !strings.HasPrefix(tc.name, "prompt") && !regexp.MustCompile(`waiting for issuance of certificate [0-9A-Z]+ \(status pending`).MatchString(out) {
				t.Errorf("no progress line with the order's status while it waited:\n%s", out)
			}
			ids := w.stateIDs()
			st := stateOf(ids)
			if err := e.checkChain(certAddr, key, "www.example.com", "api.example.com")(st); err != nil {
				t.Fatal(err)
			}
			if err := e.noDCVRecordsLeft(st); err != nil {
				t.Fatal(err)
			}
			for attr, want := range map[string]string{"status": "issued", "order_state": "ISSUED", "pending_reason": ""} {
				if got := fmt.Sprint(ids[certAddr][attr]); got != want {
					t.Errorf("%s = %q after apply, want %q", attr, got, want)
				}
			}
			// the next plan refreshes from the listing: nothing changes
			if out, err := w.run("plan", "-detailed-exitcode", "-no-color"); err != nil {
				t.Fatalf("the plan after the apply is not empty: %v\n%s", err, out)
			}
		})
	}
}

// serial_number is spelled as openssl prints it (two hex digits per byte,
// leading zeros kept); serials compare however they are spelled, and a
// state's older spelling is respelled on refresh.
func TestSerialText(t *testing.T) {
	n, _ := new(big.Int).SetString("0A1B2C", 16)
	if got := order.SerialText(n); got != "0A1B2C" {
		t.Errorf("serialText(0x0A1B2C) = %s, want 0A1B2C (openssl x509 -serial)", got)
	}
	if got := order.SerialText(big.NewInt(0)); got != "00" {
		t.Errorf("serialText(0) = %s", got)
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{{"A1B2C", "0a1b2c", true}, {"0A:1B:2C", "A1B2C", true}, {"0A1B2C", "0A1B2D", false}} {
		if got := order.SameSerialText(c.a, c.b); got != c.same {
			t.Errorf("sameSerialText(%s, %s) = %t", c.a, c.b, got)
		}
	}
	if got := normalSerial(types.StringValue("A1B2C")).ValueString(); got != "0A1B2C" {
		t.Errorf("normalSerial(A1B2C) = %s", got)
	}
}

// terraform apply -replace of a certificate keeps its order, which already
// is the configuration (DESIGN.md, order safety 7), and the warning names
// the replacement as a reason, not only an interrupted apply.
func TestAccCertificate_ForcedReplaceKeepsTheOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	w := newWorkspace(t, e)
	csr, _ := csrHCL(t, "www.example.com")
	w.write(e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "")))
	if out, err := w.apply(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	id := fmt.Sprint(w.stateIDs()[certAddr]["id"])
	for _, args := range [][]string{{"plan"}, {"apply", "-auto-approve"}} {
		out, err := w.run(append(args, "-no-color", "-replace="+certAddr)...)
		if err != nil {
			t.Fatalf("%s -replace: %v\n%s", args[0], err, out)
		}
		flat := strings.Join(strings.Fields(out), " ")
		if args[0] == "apply" && (!strings.Contains(flat, "Resuming Certificate Order "+id) || !strings.Contains(flat, "a replacement you asked for (-replace)")) {
			t.Fatalf("apply -replace does not say that it keeps order %s because of the replacement:\n%s", id, out)
		}
	}
	if got := fmt.Sprint(w.stateIDs()[certAddr]["id"]); got != id || len(e.sim.Orders()) != 1 {
		t.Fatalf("after -replace the state holds %s (was %s), %d orders", got, id, len(e.sim.Orders()))
	}
}

// The same with create_before_destroy: the new object runs first and takes
// the order over; Terraform then plans the destroy of the replaced
// (deposed) object on its own, as a plain destroy. That destroy must leave
// the order alone — neither cancel it while pending nor revoke its
// certificate (revoke_on_destroy) — for the new object holds it now.
func TestAccCertificate_ForcedReplaceBeforeDestroyKeepsTheOrder(t *testing.T) {
	for _, issued := range []bool{true, false} {
		t.Run(fmt.Sprintf("issued=%v", issued), func(t *testing.T) {
			opts := simulator.Options{}
			if !issued {
				opts.IssueDelay = time.Hour
			}
			sc := scopeCases()[0] // the process's DCV scope, for dcv_records
			sc.opts(&opts)
			e := newAccEnv(t, opts)
			w := newWorkspace(t, e)
			csr, _ := csrHCL(t, "www.example.com")
			extra := "  revoke_on_destroy = true\n  lifecycle {\n    create_before_destroy = true\n  }\n"
			if !issued {
				extra += "  dcv_publisher = \"external\"\n" // create returns while the order is pending
			}
			w.write(e.configScope(sc.scope, certConfig("RapidSSL", "www.example.com", nil, csr, extra)))
			if out, err := w.apply(); err != nil {
				t.Fatalf("apply: %v\n%s", err, out)
			}
			id := fmt.Sprint(w.stateIDs()[certAddr]["id"])
			out, err := w.run("apply", "-auto-approve", "-no-color", "-replace="+certAddr)
			if err != nil {
				t.Fatalf("apply -replace: %v\n%s", err, out)
			}
			want := "pending"
			if issued {
				want = "issued"
			}
			o, _ := e.sim.Order(id)
			if got := fmt.Sprint(w.stateIDs()[certAddr]["id"]); got != id || len(e.sim.Orders()) != 1 || o.Status != want {
				t.Fatalf("after -replace the state holds %s (was %s), %d orders, order %s is %s (want %s):\n%s", got, id, len(e.sim.Orders()), id, o.Status, want, out)
			}
		})
	}
}
