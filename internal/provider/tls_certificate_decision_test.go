package provider

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// TestDecideCertificate is the decision table of DESIGN.md, row by row,
// without terraform: what each change does, which values the plan leaves
// unknown, and the words it shows.
func TestDecideCertificate(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	keyA := testutil.NewCSR(t, "www.example.com")
	keyB := testutil.NewCSR(t, "www.example.com")
	keyAAgain := testutil.NewCSRWithKey(t, keyA.Key, "www.example.com") // same key, another request
	crlf := strings.ReplaceAll(keyA.PEM, "\n", "\r\n")

	issued := func() *certPrior {
		return &certPrior{
			ID: "CERT1", Status: "issued", OrderState: "ISSUED", Product: "RapidSSL", Names: []string{"www.example.com"},
			CSR: keyA.PEM, LeafKey: order.KeyFingerprint(keyA.Key.Public()), DCVMethod: "dns-cname-token", ValidityDays: 90, RenewBefore: 30,
			NotAfter: now.Add(60 * day), ContractUntil: now.Add(60 * day), ReissueSupported: true, DCVPublisher: dcvPublisherRegfish,
		}
	}
	// an order whose DCV records are published outside the provider
	external := func(p *certPrior) *certPrior { p.DCVPublisher, p.RecordsKnown = dcvPublisherExternal, true; return p }
	pending := func(p *certPrior) *certPrior { p.Status, p.OrderState, p.LeafKey = "pending", "PENDING", ""; return p }
	ext := func(w *certWish) { w.DCVPublisher = known(dcvPublisherExternal) }
	wish := func() certWish {
		return certWish{Product: known("RapidSSL"), Names: known([]string{"www.example.com"}), CSR: known(keyA.PEM),
			OrgID: known(""), DCVMethod: known("dns-cname-token"), DCVEmails: known([]string(nil)), ValidityDays: known(int64(90)),
			RenewBefore: known(int64(30)), RevokeOnDestroy: known(false), DCVPublisher: known(dcvPublisherRegfish)}
	}
	// a certificate ordered with a write-only key of version v (keyA's CSR recorded)
	woPrior := func(v int64, k testutil.CSR) func() *certPrior {
		return func() *certPrior {
			p := issued()
			p.CSR, p.LeafKey, p.KeyVersion, p.KeyVersioned = k.PEM, order.KeyFingerprint(k.Key.Public()), v, true
			return p
		}
	}
	// the plan keeps the recorded CSR while the version stays (planKeyCSR)
	woWish := func(v int64) func(w *certWish) {
		return func(w *certWish) { w.WriteOnlyKey, w.KeyVersion, w.CSR = true, known(v), known(keyA.PEM) }
	}
	type row struct {
		name    string
		prior   func() *certPrior
		want    func(w *certWish)
		asOf    time.Time
		actions []certAction
		newID   bool
		words   string // regexp the summary+detail must match ("" = no words)
		never   string // regexp the words must not match
	}
	rows := []row{
		{name: "create", prior: func() *certPrior { return nil }, actions: []certAction{actionNewOrder}, newID: true},
		{name: "nothing changed", actions: []certAction{actionRecord}},
		{name: "revoke_on_destroy only", want: func(w *certWish) { w.RevokeOnDestroy = known(true) }, actions: []certAction{actionRecord}},
		{name: "same CSR with CRLF line endings", want: func(w *certWish) { w.CSR = known(crlf) }, actions: []certAction{actionRecord}},
		{name: "same key, another request", want: func(w *certWish) { w.CSR = known(keyAAgain.PEM) }, actions: []certAction{actionRecord}},
		{name: "new key: reissue", want: func(w *certWish) { w.CSR = known(keyB.PEM) }, actions: []certAction{actionReissue},
			words: `Reissuing Certificate CERT1.*same order.*no new order`},
		{name: "reissued elsewhere with another key: back to the csr's key", prior: func() *certPrior { p := issued(); p.LeafKey = order.KeyFingerprint(keyB.Key.Public()); return p },
			actions: []certAction{actionReissue}, words: `Reissuing Certificate CERT1`},
		{name: "reissued elsewhere, same csr: the words say the certificate's key differs", prior: func() *certPrior { p := issued(); p.LeafKey = order.KeyFingerprint(keyB.Key.Public()); return p },
			actions: []certAction{actionReissue}, words: `Certificate CERT1 carries another key than the csr.*reissued on the same order with the csr`},
		{name: "write-only key, same version, another ephemeral key: nothing", prior: woPrior(1, keyA), want: woWish(1), actions: []certAction{actionRecord}},
		{name: "write-only key, new version: reissue", prior: woPrior(1, keyA), want: woWish(2), actions: []certAction{actionReissue},
			words: `private_key_wo_version changes from 1 to 2: certificate CERT1 is reissued on the same order`},
		{name: "write-only key, version unknown: maybe", prior: woPrior(1, keyA), want: func(w *certWish) { woWish(1)(w); w.KeyVersion = maybe[int64]{} },
			actions: []certAction{actionRecord, actionReissue}, words: `private_key_wo_version is not known until apply. If it differs from 1`},
		{name: "write-only key from csr: reissue", want: woWish(1), actions: []certAction{actionReissue},
			words: `changes from none \(the key came from csr\) to 1`},
		{name: "write-only key, same version, the certificate carries another key: reissue with the recorded CSR", prior: func() *certPrior {
			p := woPrior(1, keyA)()
			p.LeafKey = order.KeyFingerprint(keyB.Key.Public())
			return p
		}, want: woWish(1), actions: []certAction{actionReissue}, words: `carries another key than the CSR recorded for private_key_wo_version 1.*recorded CSR`},
		{name: "CSR unknown: reissue if the key differs", want: func(w *certWish) { w.CSR = maybe[string]{} }, actions: []certAction{actionRecord, actionReissue},
			words: `csr is not known until apply.*reissues.*same order`, never: `places a new order`},
		{name: "names change: new order", want: func(w *certWish) { w.Names = known([]string{"www.example.com", "api.example.com"}) },
			actions: []certAction{actionNewOrder}, newID: true, words: `New Certificate Order.*places a new order for api.example.com, www.example.com.*not revoked`},
		{name: "names and CSR change: new order, no reissue words", want: func(w *certWish) {
			w.Names = known([]string{"api.example.com"})
			w.CSR = known(keyB.PEM)
		}, actions: []certAction{actionNewOrder}, newID: true, words: `places a new order for api.example.com`, never: `(?i)reissu`},
		{name: "names change, revoke_on_destroy", want: func(w *certWish) {
			w.Names = known([]string{"api.example.com"})
			w.RevokeOnDestroy = known(true)
		}, actions: []certAction{actionNewOrder}, newID: true, words: `stays valid until the new certificate is issued; then it is revoked`},
		{name: "common name swapped within the same names: new order", prior: func() *certPrior {
			p := issued()
			p.Names, p.CommonName = []string{"api.example.com", "www.example.com"}, "www.example.com"
			return p
		}, want: func(w *certWish) {
			w.Names, w.CommonName = known([]string{"api.example.com", "www.example.com"}), known("api.example.com")
		}, actions: []certAction{actionNewOrder}, newID: true, words: `common name changes from www.example.com to api.example.com`},
		{name: "common name in another spelling: nothing", prior: func() *certPrior { p := issued(); p.CommonName = "www.example.com"; return p },
			want: func(w *certWish) { w.CommonName = known("www.example.com") }, actions: []certAction{actionRecord}},
		{name: "product case only", want: func(w *certWish) { w.Product = known("rapidssl") }, actions: []certAction{actionRecord}},
		{name: "product change: new order", want: func(w *certWish) { w.Product = known("SSL123") }, actions: []certAction{actionNewOrder}, newID: true,
			words: `product changes from RapidSSL to SSL123`},
		{name: "names unknown: new order only if they change", want: func(w *certWish) { w.Names = maybe[[]string]{} },
			actions: []certAction{actionNewOrder, actionRecord}, newID: true, words: `common_name/dns_names is not known until apply.*If it differs.*places a new order.*If it stays the same, no new order is placed`},
		{name: "revoked order: new order", prior: func() *certPrior { p := issued(); p.Status = "revoked"; return p },
			actions: []certAction{actionNewOrder}, newID: true, words: `status "revoked"`},
		{name: "pending: resume", prior: func() *certPrior {
			p := issued()
			p.Status, p.OrderState, p.LeafKey = "pending", "PENDING", ""
			return p
		},
			actions: []certAction{actionResume}, words: `resumes that same order.*no new order`},
		{name: "staged: completed with org_id", prior: func() *certPrior {
			p := issued()
			p.Status, p.OrderState, p.LeafKey, p.CompletionURL = "pending", order.OrderStateActionRequired, "", "https://dash.regfish.com/x"
			return p
		}, want: func(w *certWish) { w.OrgID = known("hdl_ORG") }, actions: []certAction{actionResume}, words: `completed with org_id hdl_ORG`, never: `Recorded`},
		{name: "staged: org_id unknown", prior: func() *certPrior {
			p := issued()
			p.Status, p.OrderState, p.LeafKey = "pending", order.OrderStateActionRequired, ""
			return p
		}, want: func(w *certWish) { w.OrgID = maybe[string]{} }, actions: []certAction{actionResume}, words: `completed with the org_id known after apply`},
		{name: "pending renewal order: resume it", prior: func() *certPrior { p := issued(); p.RenewalOrderID = "CERT2"; return p },
			actions: []certAction{actionResumeRenewal}, newID: true, words: `renewal order CERT2.*resumes it`},
		{name: "window open, contract lasts: reissue", prior: func() *certPrior { p := issued(); p.ContractUntil = now.Add(300 * day); return p },
			asOf: now.Add(31 * day), actions: []certAction{actionRenewReissue}, words: `renews it by a reissue on the same order`},
		{name: "window open, contract ends: renewal order", asOf: now.Add(31 * day), actions: []certAction{actionRenewOrder}, newID: true,
			words: `renews it by a renewal order`},
		{name: "window open, reissue not supported: renewal order", prior: func() *certPrior {
			p := issued()
			p.ContractUntil, p.ReissueSupported = now.Add(300*day), false
			return p
		}, asOf: now.Add(31 * day), actions: []certAction{actionRenewOrder}, newID: true, words: `by a renewal order`},
		{name: "expired: renewal order", prior: func() *certPrior { p := issued(); p.Status = "expired"; return p }, actions: []certAction{actionRenewOrder}, newID: true,
			words: `Certificate CERT1 has expired: this apply renews it by a renewal order`},
		{name: "window not open yet", asOf: now.Add(29 * day), actions: []certAction{actionRecord}},
		{name: "renew_before_days moves the window open", asOf: now.Add(20 * day), want: func(w *certWish) { w.RenewBefore = known(int64(45)) },
			actions: []certAction{actionRenewOrder}, newID: true, words: `renew_before_days is 45: this apply renews it.*renew_before_days changes from 30 to 45`},
		{name: "renew_before_days unknown, window may be open", asOf: now.Add(20 * day), want: func(w *certWish) { w.RenewBefore = maybe[int64]{} },
			actions: []certAction{actionRecord, actionRenewOrder}, newID: true, words: `renew_before_days is not known until apply`},
		{name: "renew_before_days unknown, window open for any value", asOf: now.Add(60*day - time.Hour), want: func(w *certWish) { w.RenewBefore = maybe[int64]{} },
			actions: []certAction{actionRenewOrder}, newID: true, words: `whatever renew_before_days turns out to be: this apply renews it`},
		{name: "validity_days change: recorded for the next renewal order", want: func(w *certWish) { w.ValidityDays = known(int64(30)); w.RenewBefore = known(int64(10)) },
			actions: []certAction{actionRecord}, words: `validity_days changes from 90 to 30 and applies at the next renewal order`, never: `places a new order`},
		{name: "validity_days change rides on the renewal order", asOf: now.Add(31 * day), want: func(w *certWish) { w.ValidityDays = known(int64(60)) },
			actions: []certAction{actionRenewOrder}, newID: true, words: `validity_days changes from 90 to 60 and applies to the renewal order this apply places`},
		{name: "validity_days unknown", want: func(w *certWish) { w.ValidityDays = maybe[int64]{} }, actions: []certAction{actionRecord},
			words: `validity_days \(known after apply\) applies at the next renewal order`},
		{name: "org_id change on an issued order", prior: func() *certPrior { p := issued(); p.OrgID, p.BoundOrgID = "hdl_OLD", "hdl_OLD"; return p },
			want: func(w *certWish) { w.OrgID = known("hdl_NEW") }, actions: []certAction{actionRecord}, words: `org_id changes to hdl_NEW.*stays bound to hdl_OLD`},
		{name: "org_id unknown on an issued order", prior: func() *certPrior { p := issued(); p.OrgID, p.BoundOrgID = "hdl_OLD", "hdl_OLD"; return p },
			want: func(w *certWish) { w.OrgID = maybe[string]{} }, actions: []certAction{actionRecord}, words: `org_id \(known after apply\)`, never: `new order`},
		{name: "dcv_method change: recorded", want: func(w *certWish) { w.DCVMethod = known("email") }, actions: []certAction{actionRecord},
			words: `dcv_method email applies at the next reissue or renewal`},

		// External DCV (dcv_publisher = "external").
		{name: "external: pending with known records is a steady state", prior: func() *certPrior { return external(pending(issued())) }, want: ext,
			actions: []certAction{actionRecord}},
		{name: "regfish: pending with known records is resumed", prior: func() *certPrior { p := pending(issued()); p.RecordsKnown = true; return p },
			actions: []certAction{actionResume}, words: `resumes that same order`},
		{name: "external: pending without records is resumed until they are known", prior: func() *certPrior {
			p := external(pending(issued()))
			p.RecordsKnown = false
			return p
		}, want: ext, actions: []certAction{actionResume}, words: `returns once the order's DCV records are known`},
		{name: "external: staged order is resumed", prior: func() *certPrior {
			p := external(pending(issued()))
			p.OrderState, p.CompletionURL, p.RecordsKnown = order.OrderStateActionRequired, "https://dash.regfish.com/x", false
			return p
		}, want: func(w *certWish) { ext(w); w.OrgID = known("hdl_ORG") }, actions: []certAction{actionResume}, words: `completed with org_id hdl_ORG`},
		{name: "external: reissue in progress, window open: nothing", prior: func() *certPrior {
			p := external(issued())
			p.ReissueActive, p.ContractUntil = true, now.Add(300*day)
			return p
		}, want: ext, asOf: now.Add(31 * day), actions: []certAction{actionRecord}},
		{name: "external: new key reissues and returns at the records", prior: func() *certPrior { return external(issued()) },
			want: func(w *certWish) { ext(w); w.CSR = known(keyB.PEM) }, actions: []certAction{actionReissue},
			words: `Reissuing Certificate CERT1.*dcv_publisher = "external" the apply starts the reissue and returns once its new DCV records are known.*regfish_tls_certificate_validation waits`},
		{name: "external: renewal order takes the id at once", prior: func() *certPrior { return external(issued()) }, want: ext, asOf: now.Add(31 * day),
			actions: []certAction{actionRenewOrder}, newID: true, words: `renewal order.*id changes to the renewal order at once.*keeps the current certificate`, never: `stays in the state until`},
		{name: "external: new order", prior: func() *certPrior { return external(issued()) }, want: func(w *certWish) { ext(w); w.Names = known([]string{"api.example.com"}) },
			actions: []certAction{actionNewOrder}, newID: true, words: `places a new order for api.example.com.*starts the new order and returns once its new DCV records are known`},
		{name: "dcv_publisher regfish to external: recorded", want: ext, actions: []certAction{actionRecord},
			words: `Change Recorded.*dcv_publisher changes from regfish to external.*neither publishes nor removes`, never: `new order`},
		{name: "dcv_publisher external to regfish on a pending order: resumed", prior: func() *certPrior { return external(pending(issued())) },
			actions: []certAction{actionResume}, words: `resumes that same order.*dcv_publisher changes from external to regfish`},
		{name: "state before dcv_publisher existed: no change", prior: func() *certPrior { p := issued(); p.DCVPublisher = ""; return p }, actions: []certAction{actionRecord}},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			prior := issued()
			if tc.prior != nil {
				prior = tc.prior()
			}
			w := wish()
			if tc.want != nil {
				tc.want(&w)
			}
			asOf := tc.asOf
			if asOf.IsZero() {
				asOf = now
			}
			d := decideCertificate(prior, w, asOf)
			got := slices.Clone(d.Actions)
			want := slices.Clone(tc.actions)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("actions %v, want %v (words: %s %s)", got, want, d.Summary, d.Detail)
			}
			if d.changesID() != tc.newID {
				t.Errorf("changesID %v, want %v", d.changesID(), tc.newID)
			}
			if _, ok := d.settled(); ok != (len(tc.actions) == 1) {
				t.Errorf("settled %v with actions %v", ok, d.Actions)
			}
			words := d.Summary + ": " + d.Detail
			if tc.words == "" && d.Summary != "" {
				t.Errorf("unexpected words %q", words)
			}
			if tc.words != "" && !regexp.MustCompile("(?s)"+tc.words).MatchString(words) {
				t.Errorf("words %q do not match %q", words, tc.words)
			}
			if tc.never != "" && regexp.MustCompile(tc.never).MatchString(words) {
				t.Errorf("words %q match %q", words, tc.never)
			}
		})
	}
}

// A renewal window that opens between the plan and the apply must not
// change the decision: both see the clock of the last refresh.
func TestDecideCertificateUsesTheRefreshClock(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	key := testutil.NewCSR(t, "www.example.com")
	prior := &certPrior{ID: "C", Status: "issued", Product: "RapidSSL", Names: []string{"www.example.com"}, CSR: key.PEM,
		LeafKey: order.KeyFingerprint(key.Key.Public()), DCVMethod: "dns-cname-token", ValidityDays: 90, RenewBefore: 30, NotAfter: now.Add(30*day + time.Minute)}
	w := certWish{Product: known("RapidSSL"), Names: known([]string{"www.example.com"}), CSR: known(key.PEM), OrgID: known(""),
		DCVMethod: known("dns-cname-token"), DCVEmails: known([]string(nil)), ValidityDays: known(int64(90)), RenewBefore: known(int64(30)), RevokeOnDestroy: known(false)}
	if a, _ := decideCertificate(prior, w, now).settled(); a != actionRecord {
		t.Fatalf("before the window: %s", a)
	}
	if a, _ := decideCertificate(prior, w, now.Add(2*time.Minute)).settled(); a != actionRenewOrder {
		t.Fatalf("inside the window: %s", a)
	}
}

// A CSR with a new key while a reissue started in external mode waits for
// its DCV records fails the plan instead of recording the key.
func TestReissueBlocksNewKey(t *testing.T) {
	keyA, keyB := testutil.NewCSR(t, "www.example.com"), testutil.NewCSR(t, "www.example.com")
	prior := &certPrior{ID: "C", Status: "issued", Names: []string{"www.example.com"}, CSR: keyA.PEM, LeafKey: order.KeyFingerprint(keyA.Key.Public()),
		DCVPublisher: dcvPublisherExternal, ReissueActive: true}
	w := certWish{CSR: known(keyB.PEM), DCVMethod: known("dns-cname-token"), DCVPublisher: known(dcvPublisherExternal)}
	if !reissueBlocksNewKey(prior, w) {
		t.Error("a new key during an external reissue is not refused")
	}
	if w.CSR = known(keyA.PEM); reissueBlocksNewKey(prior, w) {
		t.Error("the same key is refused")
	}
	w.CSR = known(keyB.PEM)
	if prior.ReissueActive = false; reissueBlocksNewKey(prior, w) {
		t.Error("a new key without a reissue in progress is refused")
	}
	prior.ReissueActive, w.DCVPublisher = true, known(dcvPublisherRegfish)
	if reissueBlocksNewKey(prior, w) {
		t.Error("refused with dcv_publisher regfish, which waits for the reissue itself")
	}
}
