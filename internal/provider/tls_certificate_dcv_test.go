package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// DCV publishing when the _dnsauth name holds a CNAME already (a CNAME must
// be alone at its name). The simulator validates strictly here (no domain
// validation reuse), so every order needs its own record.

// publishStale creates a DCV record for order c the way this provider
// would have (annotation with the order id and key), left behind.
func publishStale(t *testing.T, e *accEnv, c *regfish.Certificate, key string) {
	t.Helper()
	for _, r := range c.Validation.DNSRecords {
		if _, err := e.sim.Client(t).CreateRecord(ctxBG, regfish.RecordRequest{Type: "CNAME", Name: r.Name, Data: r.Value, TTL: 60,
			Annotation: order.DCVAnnotation{CertificateID: c.ID, Key: key}.String()}); err != nil {
			t.Fatal(err)
		}
	}
}

// A renewal order while the renewed certificate's DCV record is still
// there (its removal failed): the provider replaces its own record.
func TestAccCertificate_DCVRenewalReplacesTheOldRecord(t *testing.T) {
	e := newAccEnv(t, simulator.Options{DCVReuse: -1})
	csr, key := csrHCL(t, "www.example.com")
	cfg := e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  validity_days = 30\n  renew_before_days = 10"))
	var oldID string
	newOrder := statecheck.CompareValue(compare.ValuesDiffer())
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: cfg, Check: capture(&oldID, "id"), ConfigStateChecks: []statecheck.StateCheck{newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))}},
		{
			PreConfig: func() {
				old, err := e.sim.Client(t).GetCertificate(ctxBG, oldID)
				if err != nil {
					t.Fatal(err)
				}
				publishStale(t, e, old, order.KeyFingerprint(key.Key.Public()))
				e.advance(21 * day)
			},
			Config:            cfg,
			ConfigStateChecks: []statecheck.StateCheck{newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))},
			Check: resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrSet(certAddr, "id"), e.checkChain(certAddr, key, "www.example.com"),
				e.noDCVRecordsLeft, e.orderCount(2)),
		},
	}})
}

// A record a killed apply left for an order that is no longer pending (it
// was cancelled since): the next order of these names replaces it.
func TestAccCertificate_DCVStaleRecordOfADeadOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{DCVReuse: -1})
	other := testutil.NewCSR(t, "www.example.com")
	dead, err := e.sim.Client(t).CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.com", CSR: other.PEM, DCVMethod: "dns-cname-token"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Hold(dead.ID, true); err != nil {
		t.Fatal(err)
	}
	publishStale(t, e, dead, order.KeyFingerprint(other.Key.Public()))
	if _, err := e.sim.Client(t).CancelCertificate(ctxBG, dead.ID); err != nil {
		t.Fatal(err)
	}
	csr, key := csrHCL(t, "www.example.com")
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "")),
		Check: resource.ComposeAggregateTestCheckFunc(e.checkChain(certAddr, key, "www.example.com"), e.noDCVRecordsLeft,
			func(s *terraform.State) error {
				if id, _ := stateAttr(s, certAddr, "id"); id == dead.ID {
					return fmt.Errorf("the cancelled order was taken over")
				}
				return nil
			}),
	}}})
}

// Two configurations order the same name: the second waits while the
// first one's pending order holds the DCV record, never overwrites it, and
// says so when its wait ends; once the first order is done it proceeds.
func TestAccCertificate_DCVTwoConfigurationsOneName(t *testing.T) {
	e := newAccEnv(t, simulator.Options{DCVReuse: -1})
	first := testutil.NewCSR(t, "www.example.com")
	held, err := e.sim.Client(t).CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.com", CSR: first.PEM, DCVMethod: "dns-cname-token"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Hold(held.ID, true); err != nil { // the first configuration's order waits (e.g. for its CA)
		t.Fatal(err)
	}
	publishStale(t, e, held, order.KeyFingerprint(first.Key.Public()))
	heldRecord := held.Validation.DNSRecords[0]
	csr, key := csrHCL(t, "www.example.com")
	cfg := func(timeout string) string {
		return e.config(certConfig("RapidSSL", "www.example.com", nil, csr, fmt.Sprintf("  timeouts {\n    create = %q\n  }", timeout)))
	}
	w := newWorkspace(t, e)
	w.write(cfg("5s"))
	if e.annotationsDropped() {
		// Without annotations the held order's record cannot tell whose it
		// is: the plan warns, the apply fails naming it and places no
		// order (a new order would only wait for it); once the first order
		// is issued the second configuration orders, replacing the first
		// order's stale record.
		out, err := w.run("plan", "-no-color")
		if flat := strings.Join(strings.Fields(out), " "); err != nil || !strings.Contains(flat, "Pending Order for the Same Names") || !strings.Contains(flat, "order "+held.ID+" is for www.example.com") {
			t.Fatalf("plan: %v\n%s", err, out)
		}
		out, err = w.apply()
		if flat := strings.Join(strings.Fields(out), " "); err == nil || !strings.Contains(flat, "order "+held.ID+" is for www.example.com") || !strings.Contains(flat, "Nothing is adopted or ordered") {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		if e.sim.Stats().OrdersCreated != 1 {
			t.Fatal("the apply ordered")
		}
		mustSim(t, e.sim.Hold(held.ID, false))
		e.test(resource.TestCase{Steps: []resource.TestStep{{
			Config: cfg("2m"),
			Check:  resource.ComposeAggregateTestCheckFunc(e.checkChain(certAddr, key, "www.example.com"), e.orderCount(2), e.noDCVRecordsLeft),
		}}})
		return
	}
	// the plan names the other configuration's order, in the singular
	out, err := w.run("plan", "-no-color")
	if flat := strings.Join(strings.Fields(out), " "); err != nil || !strings.Contains(flat, "Order "+held.ID+" has this configuration's product and names, but it cannot be told to belong to it") {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      cfg("5s"),
			ExpectError: errRe(`(?s)Not Issued.*DCV record ` + strings.ReplaceAll(heldRecord.Name, ".", `\.`) + ` is in use by the pending order ` + held.ID + `.*cancel that order`),
		},
		{
			PreConfig: func() {
				// the first configuration's record was never touched
				found := false
				for _, r := range e.sim.Records() {
					if r.Name == heldRecord.Name && strings.EqualFold(r.Data, heldRecord.Value) {
						found = true
					}
				}
				if !found {
					t.Fatalf("the pending order's DCV record %s was overwritten", heldRecord.Name)
				}
				// the first order finishes a moment later: its apply removes its record
				go func() {
					time.Sleep(500 * time.Millisecond)
					_ = e.sim.Hold(held.ID, false)
					if _, err := e.sim.Client(t).GetCertificate(ctxBG, held.ID); err != nil {
						t.Error(err)
					}
					for _, r := range e.sim.Records() {
						if r.Name == heldRecord.Name && strings.EqualFold(r.Data, heldRecord.Value) {
							e.sim.DeleteRecordByID(r.ID)
						}
					}
				}()
			},
			Config: cfg("2m"),
			Check:  resource.ComposeAggregateTestCheckFunc(e.checkChain(certAddr, key, "www.example.com"), e.orderCount(2), e.noDCVRecordsLeft),
		},
	}})
}

// Many certificates of one domain in one apply, under the registrable-
// domain scope: they all need _dnsauth.example.com, one token at a time.
// Each publishes when the name is free, waits while another live order
// holds it, and never fails because another order published between its
// removal of a stale record and its own create; within one run they take
// turns without a single 409. With the CA's domain validation reuse
// (default) and without it (every order validates itself).
func TestAccCertificate_DCVManyOrdersOneDomain(t *testing.T) {
	for _, reuse := range []time.Duration{0, -1} {
		t.Run(fmt.Sprintf("reuse=%v", reuse >= 0), func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{DCVReuse: reuse})
			const n = 12
			var cfg strings.Builder
			for i := range n {
				csr, _ := csrHCL(t, fmt.Sprintf("host%d.example.com", i))
				fmt.Fprintf(&cfg, `
resource "regfish_tls_certificate" "c%d" {
  product     = "RapidSSL"
  common_name = "host%d.example.com"
  csr         = %s
  timeouts {
    create = "2m"
  }
}
`, i, i, csr)
			}
			checks := []resource.TestCheckFunc{e.orderCount(n), e.noDCVRecordsLeft, func(*terraform.State) error {
				// the orders of one run take turns (holdDCVName): no race, no 409
				if c := e.sim.Stats().Status[409]; c != 0 {
					return fmt.Errorf("%d answers 409: the orders of one run raced for the DCV record", c)
				}
				return nil
			}, func(*terraform.State) error {
				// With domain validation reuse, the first order's record
				// validates the domain: the later orders of the run read
				// their status before publishing and are issued without a
				// record of their own (issue 22). Without reuse, or under
				// the per-name scope (one name each), every order publishes.
				st := e.sim.Stats()
				want := n
				if reuse >= 0 && e.sim.DCVScope() == simulator.DCVScopeRegistrableDomain {
					want = 1
				}
				if got := st.Requests["POST /dns/rr"]; got != want {
					return fmt.Errorf("%d DCV records published for %d orders, want %d", got, n, want)
				}
				// an order that published nothing has nothing to clean up
				// (no zone listing), one that did removes its records by id
				if got := st.Requests["GET /dns/{domain}/rr"]; got != 0 {
					return fmt.Errorf("%d zone listings: the cleanup listed zones although it knew every record it had created", got)
				}
				// each order: at most its order, one status read before
				// publishing, and what issuance always costs
				if got, limit := st.Requests["GET /tls/certificate/{id}"], 3*n; got > limit {
					return fmt.Errorf("%d status reads for %d orders, want at most %d", got, n, limit)
				}
				return nil
			}}
			for i := range n {
				checks = append(checks, resource.TestCheckResourceAttr(fmt.Sprintf("regfish_tls_certificate.c%d", i), "status", "issued"))
			}
			e.test(resource.TestCase{Steps: []resource.TestStep{
				{Config: e.config(cfg.String()), Check: resource.ComposeAggregateTestCheckFunc(checks...)},
				{Config: e.config(cfg.String()), PlanOnly: true},
			}})
		})
	}
}

// Orders of one run whose names span two domains, crosswise (common name
// in one, the SAN in the other), each needing both _dnsauth names: they take
// turns over both names at once (all or none) and are all issued.
func TestAccCertificate_DCVOrdersAcrossTwoDomains(t *testing.T) {
	e := newAccEnv(t, simulator.Options{DCVReuse: -1})
	const n = 6
	var cfg strings.Builder
	for i := range n {
		a, b := fmt.Sprintf("x%d.example.com", i), fmt.Sprintf("x%d.example.org", i)
		if i%2 == 1 {
			a, b = b, a
		}
		csr, _ := csrHCL(t, a, b)
		fmt.Fprintf(&cfg, `
resource "regfish_tls_certificate" "c%d" {
  product     = "RapidSSL"
  common_name = %q
  dns_names   = [%q]
  csr         = %s
  timeouts {
    create = "1m"
  }
}
`, i, a, b, csr)
	}
	checks := []resource.TestCheckFunc{e.orderCount(n), e.noDCVRecordsLeft}
	for i := range n {
		checks = append(checks, resource.TestCheckResourceAttr(fmt.Sprintf("regfish_tls_certificate.c%d", i), "status", "issued"))
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{{Config: e.config(cfg.String()), Check: resource.ComposeAggregateTestCheckFunc(checks...)}}})
}

// A DCV record create refused while the name looked held, but free when
// listed (the other order removed its record in between): the provider
// creates again and the certificate issues. Refused again with the name
// still free, the refusal is about the record itself: the apply fails at
// once naming it, instead of waiting out the timeout.
func TestAccCertificate_DCVRefusedWhileTheNameIsFree(t *testing.T) {
	for _, tc := range []struct {
		name  string
		count int
		want  string
	}{{"once", 1, ""}, {"always", 0, `publishing DCV record _dnsauth\.[a-z.]+ in zone example\.com: .*HTTP 409`}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{DCVReuse: -1})
			mustSim(t, e.sim.SetFaults(simulator.Fault{Method: "POST", Path: "/dns/rr", Kind: simulator.FaultStatus, Status: 409, Count: tc.count}))
			csr, key := csrHCL(t, "www.example.com")
			step := resource.TestStep{Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  timeouts {\n    create = \"1m\"\n  }\n  cancel_on_destroy = false"))}
			if tc.want == "" {
				step.Check = resource.ComposeAggregateTestCheckFunc(e.checkChain(certAddr, key, "www.example.com"), e.noDCVRecordsLeft)
			} else {
				step.ExpectError = errRe(tc.want)
			}
			e.test(resource.TestCase{Steps: []resource.TestStep{step}})
		})
	}
}

// Another certificate's reissue is running and holds the domain's DCV
// record (its status is "issued", its reissue active): the record is live,
// never removed as stale; the new order waits for it and says so.
func TestAccCertificate_DCVRecordOfARunningReissueIsLive(t *testing.T) {
	// www and api share one _dnsauth name only when the scope is the
	// registrable domain: pinned, so the per-name run tests the same thing.
	e := newAccEnv(t, simulator.Options{DCVReuse: -1, DCVScope: simulator.DCVScopeRegistrableDomain})
	cl := e.sim.Client(t)
	a := e.issuedOrder(t, "RapidSSL", "www.example.com")
	r, err := cl.ReissueCertificate(ctxBG, a.ID, regfish.ReissueRequest{CSR: testutil.NewCSR(t, "www.example.com").PEM, DCVMethod: regfish.DCVMethodCNAME})
	if err != nil {
		t.Fatal(err)
	}
	mustSim(t, e.sim.Hold(a.ID, true)) // its CA takes its time
	rec := r.Reissue.Validation.DNSRecords[0]
	if _, err := cl.CreateRecord(ctxBG, regfish.RecordRequest{Type: "CNAME", Name: rec.Name, Data: rec.Value, TTL: 60,
		Annotation: order.DCVAnnotation{CertificateID: a.ID}.String()}); err != nil {
		t.Fatal(err)
	}
	csr, _ := csrHCL(t, "api.example.com")
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config:      e.config(certConfig("RapidSSL", "api.example.com", nil, csr, "  timeouts {\n    create = \"3s\"\n  }\n  cancel_on_destroy = false")),
		ExpectError: errRe(`(?s)Not Issued.*DCV record ` + strings.ReplaceAll(regfish.Fqdn(rec.Name), ".", `\.`) + ` is in use by the pending order ` + a.ID),
	}}})
	for _, x := range e.sim.Records() {
		if x.Name == regfish.Fqdn(rec.Name) && strings.EqualFold(x.Data, regfish.Fqdn(rec.Value)) {
			return
		}
	}
	t.Fatalf("the running reissue's DCV record %s was removed", rec.Name)
}
