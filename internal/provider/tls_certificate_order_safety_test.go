package provider

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// Odd 2xx answers to the order request: the order was placed, but the
// answer does not say which one. The provider looks it up and takes it
// over: one order, a real id in the state.
func TestAccCertificate_OddAnswerToTheOrderRequest(t *testing.T) {
	for _, kind := range []string{corruptNull, corruptEmpty, corruptHTML, corruptOtherID} {
		t.Run(kind, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{})
			p := e.proxy(&proxyRule{Method: "POST", Path: "/tls/certificate", Kind: kind, Times: 1})
			csr, key := csrHCL(t, "www.example.com")
			e.test(resource.TestCase{Steps: []resource.TestStep{{
				Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "")),
				Check: resource.ComposeAggregateTestCheckFunc(e.orderCount(1), e.checkChain(certAddr, key, "www.example.com"),
					resource.TestCheckResourceAttrWith(certAddr, "id", func(v string) error {
						if o := e.sim.Orders(); v == "" || o[0].ID != v {
							return fmt.Errorf("state id %q, order %s", v, o[0].ID)
						}
						if p.fired(kind) != 1 {
							return fmt.Errorf("the odd answer was not given")
						}
						return nil
					})),
			}}})
		})
	}
}

// Odd answers while refreshing are retried; when they persist the plan
// fails and the state keeps the order: nothing is wiped.
func TestAccCertificate_OddAnswersOnRefresh(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	p := e.proxy()
	csr, _ := csrHCL(t, "www.example.com")
	cfg := e.config(certConfig("RapidSSL", "www.example.com", nil, csr, ""))
	sameID := statecheck.CompareValue(compare.ValuesSame())
	// A refresh takes an issued order from the account's listing; with the
	// listing unreadable (a 404 here) it reads the order singly, which is
	// where these answers go wrong.
	noList := &proxyRule{Method: "GET", Path: "/tls/certificate", Kind: corrupt404}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: cfg, Check: resource.TestCheckResourceAttrSet(certAddr, "id"), ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(certAddr, tfjsonpath.New("id"))}},
		{
			// the listing shows the order: no single read at all
			PreConfig: func() { p.set(&proxyRule{Method: "GET", Path: "/tls/certificate/*", Kind: corrupt404}) },
			Config:    cfg, PlanOnly: true,
		},
		{
			// twice null, then a good answer: the client's retries ride it out
			PreConfig: func() {
				p.set(noList, &proxyRule{Method: "GET", Path: "/tls/certificate/*", Kind: corruptNull, Times: 2})
			},
			Config: cfg, PlanOnly: true,
		},
		{
			// an answer about another certificate, every time: an error, never a wiped state
			PreConfig:   func() { p.set(noList, &proxyRule{Method: "GET", Path: "/tls/certificate/*", Kind: corruptOtherID}) },
			Config:      cfg,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Unable to Read Certificate.*Reading certificate [0-9A-Z]{13}:.*ZZZZZZZZZZZZZ`),
		},
		{
			// a 404 for the order that the account's list does not confirm:
			// an error, the order stays in the state
			PreConfig:   func() { p.set(noList, &proxyRule{Method: "GET", Path: "/tls/certificate/*", Kind: corrupt404}) },
			Config:      cfg,
			PlanOnly:    true,
			ExpectError: errRe(`answered 404, but the account.s order list could not confirm that it is gone`),
		},
		{
			// the state still holds the order: nothing to do
			PreConfig: func() { p.set() },
			Config:    cfg,
			PlanOnly:  true,
		},
		{Config: cfg, Check: e.orderCount(1), ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(certAddr, tfjsonpath.New("id"))}},
	}})
}

// A failed lookup is never a decision: when the account's orders cannot be
// listed, no order is placed (an orphan may exist); when the tainted
// object's order cannot be read during the hand-over, it is not cancelled.
func TestAccCertificate_FailedLookupsChangeNothing(t *testing.T) {
	e := newAccEnv(t, simulator.Options{IssueDelay: time.Hour})
	p := e.proxy()
	csr, key := csrHCL(t, "www.example.com")
	// an orphan of this configuration, left by a killed apply
	orphan, err := e.sim.Client(t).CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.com", CSR: key.PEM, DCVMethod: "dns-cname-token"})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkspace(t, e)
	w.write(e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  timeouts {\n    create = \"2s\"\n  }")))

	p.set(&proxyRule{Method: "GET", Path: "/tls/certificate", Kind: corrupt503})
	out, err := w.apply()
	if err == nil || !strings.Contains(strings.Join(strings.Fields(out), " "), "none was placed") {
		t.Fatalf("apply with a failing order list: %v\n%s", err, out)
	}
	if n := len(e.sim.Orders()); n != 1 {
		t.Fatalf("%d orders after a failed lookup, want only the orphan", n)
	}

	// the list works again: the orphan is taken over; its wait times out
	p.set()
	if out, err := w.apply(); err == nil || !strings.Contains(out, "Not Issued") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if id, _ := w.stateIDs()["regfish_tls_certificate.www"]["id"].(string); id != orphan.ID {
		t.Fatalf("state holds %q, want the orphan %s", id, orphan.ID)
	}
	// tainted now; the hand-over read fails: nothing is cancelled
	p.set(&proxyRule{Method: "GET", Path: "/tls/certificate/*", Kind: corrupt503})
	out, err = w.run("apply", "-auto-approve", "-no-color", "-refresh=false")
	if err == nil || !strings.Contains(out, "Unable to Hand Over Certificate Order "+orphan.ID) {
		t.Fatalf("apply with a failing hand-over read: %v\n%s", err, out)
	}
	if o, _ := e.sim.Order(orphan.ID); o.Status != "pending" || len(e.sim.Orders()) != 1 {
		t.Fatalf("after a failed hand-over read: %+v, %d orders", o, len(e.sim.Orders()))
	}
	// all well again: the same order is resumed and issued
	p.set()
	e.sim.SetIssueDelay(0)
	w.write(e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "")))
	if out, err := w.apply(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if id, _ := w.stateIDs()["regfish_tls_certificate.www"]["id"].(string); id != orphan.ID || len(e.sim.Orders()) != 1 {
		t.Fatalf("state %q, orders %d: want the orphan, issued", id, len(e.sim.Orders()))
	}
	// the API cannot be reached at plan time: the plan fails, naming the
	// certificate it leaves unchanged
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	_ = ln.Close()
	w.write(strings.Replace(e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "")), e.url(), closed, 1))
	out, err = w.run("plan", "-refresh=false", "-no-color")
	flat := strings.Join(strings.Fields(out), " ")
	if err == nil || !strings.Contains(flat, "regfish API Not Reachable") || !strings.Contains(flat, "Certificate "+orphan.ID+" is unchanged") {
		t.Fatalf("plan against an API that cannot be reached: %v\n%s", err, out)
	}
}

// Transient errors while publishing the DCV records (more 503s than the
// client retries) are waited out until the deadline.
func TestAccCertificate_TransientErrorsWhilePublishing(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	p := e.proxy(&proxyRule{Method: "POST", Path: "/dns/rr", Kind: corrupt503, Times: 8})
	csr, key := csrHCL(t, "www.example.com")
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "")),
		Check: resource.ComposeAggregateTestCheckFunc(e.orderCount(1), e.checkChain(certAddr, key, "www.example.com"),
			func(*terraform.State) error {
				if n := p.fired(corrupt503); n != 8 {
					return fmt.Errorf("%d 503s given, want 8", n)
				}
				return nil
			}),
	}}})
}

// The renewal order request answered with the id of an order regfish does
// not know (a 2xx naming another order): the renewal order that was placed
// is looked up by its key and finished in the same apply; no second
// renewal order, and the id in the state is the real one.
func TestAccCertificate_RenewalAnswerNamesAnUnknownOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	p := e.proxy()
	csr, key := csrHCL(t, "www.example.com")
	cfg := e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  validity_days = 30\n  renew_before_days = 10"))
	var oldID string
	newOrder := statecheck.CompareValue(compare.ValuesDiffer())
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: cfg, Check: capture(&oldID, "id"), ConfigStateChecks: []statecheck.StateCheck{newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))}},
		{
			PreConfig: func() {
				e.advance(21 * day)
				p.set(&proxyRule{Method: "POST", Path: "/tls/certificate", Kind: corruptOtherID, Times: 1})
			},
			Config:            cfg,
			ConfigStateChecks: []statecheck.StateCheck{newOrder.AddStateValue(certAddr, tfjsonpath.New("id"))},
			Check: resource.ComposeAggregateTestCheckFunc(
				e.orderCount(2), e.checkChain(certAddr, key, "www.example.com"),
				resource.TestCheckNoResourceAttr(certAddr, "renewal_order_id"),
				resource.TestCheckResourceAttrWith(certAddr, "id", func(v string) error {
					o, ok := e.sim.Order(v)
					if !ok || o.RenewalOfCertificateID != oldID {
						return fmt.Errorf("state id %s is not the renewal order of %s (%+v)", v, oldID, o)
					}
					if p.fired(corruptOtherID) != 1 {
						return fmt.Errorf("the odd answer was not given")
					}
					return nil
				}),
				e.noDCVRecordsLeft,
			),
		},
		{Config: cfg, PlanOnly: true},
	}})
}
