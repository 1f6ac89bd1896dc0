package provider

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// This file holds the one decision of what a change of a
// regfish_tls_certificate does. ModifyPlan calls decideCertificate and
// writes the result to the plan (which computed values become unknown, the
// words of the warning) and to private state; Create and Update carry out
// the action recorded there and never decide again. DESIGN.md has the
// table; TestDecideCertificate has a row for each of its lines.

// certAction is what an apply does with a certificate order.
type certAction string

const (
	// actionRecord changes only the state: arguments that take effect at
	// the next reissue or renewal, timeouts, revoke_on_destroy,
	// cancel_on_destroy. No API call.
	actionRecord certAction = "record"
	// actionResume waits for the pending order in the state (completing a
	// staged one with org_id). No new order.
	actionResume certAction = "resume"
	// actionResumeRenewal waits for the pending renewal order
	// (renewal_order_id). No new order.
	actionResumeRenewal certAction = "resume-renewal"
	// actionReissue reissues the issued certificate for the CSR's new key on
	// the same order.
	actionReissue certAction = "reissue"
	// actionRenewReissue renews inside the renewal window by a reissue on
	// the same order (the contract outlives the certificate).
	actionRenewReissue certAction = "renew-reissue"
	// actionRenewOrder renews inside the renewal window by a renewal order
	// (renewal_of_certificate_id: a new id, the remaining days credited).
	actionRenewOrder certAction = "renew-order"
	// actionNewOrder places a new order: on create, and when the names or
	// the product change or the order can never be issued any more. It may
	// adopt an order an interrupted apply left behind instead.
	actionNewOrder certAction = "new-order"
)

// changesID reports whether the action may give the certificate a new id.
func (a certAction) changesID() bool {
	return a == actionNewOrder || a == actionRenewOrder || a == actionResumeRenewal
}

// changesCertificate reports whether the action may change the order's
// status and certificate attributes.
func (a certAction) changesCertificate() bool { return a != actionRecord }

// maybe is a planned value that may be unknown until apply.
type maybe[T any] struct {
	V     T
	Known bool
}

func known[T any](v T) maybe[T] { return maybe[T]{V: v, Known: true} }

// certPrior is what the state (and its last refresh) says about the order.
type certPrior struct {
	ID             string
	Status         string // lower case
	OrderState     string
	PendingReason  string
	CompletionURL  string
	Product        string
	Names          []string // common name ∪ dns_names, sorted hostnames
	CommonName     string   // as a hostname ("" after an import that set none)
	CSR            string   // "" after an import
	LeafKey        string   // key fingerprint of the certificate in the state ("" when none)
	OrgID          string   // org_id as configured
	BoundOrgID     string   // organization_id: the organization the order is bound to
	DCVMethod      string
	DCVEmails      []string
	ValidityDays   int64 // 0 when unknown
	RenewBefore    int64
	NotAfter       time.Time
	ContractUntil  time.Time
	RenewalOrderID string
	// ReissueSupported as the API said at the last refresh.
	ReissueSupported bool
	RevokeOnDestroy  bool
	CancelOnDestroy  bool
	// DCVPublisher as in the state ("" in a state written before it existed).
	DCVPublisher string
	// RecordsKnown: the order's DCV records are in the state.
	RecordsKnown bool
	// ReissueActive: a reissue was running at the last refresh (or the
	// apply that started it).
	ReissueActive bool
	// KeyVersion is private_key_wo_version in the state; KeyVersioned is
	// false when the state has none (the key came from csr).
	KeyVersion   int64
	KeyVersioned bool
}

// certWish is the planned configuration; a value unknown at plan time has
// Known false.
type certWish struct {
	Product         maybe[string]
	Names           maybe[[]string]
	CommonName      maybe[string] // as a hostname
	CSR             maybe[string]
	OrgID           maybe[string] // "" = not set
	DCVMethod       maybe[string]
	DCVEmails       maybe[[]string]
	ValidityDays    maybe[int64] // 0 = API default
	RenewBefore     maybe[int64]
	RevokeOnDestroy maybe[bool]
	CancelOnDestroy maybe[bool]
	DCVPublisher    maybe[string]
	// WriteOnlyKey: the key comes from private_key_wo, and KeyVersion
	// (private_key_wo_version), not the CSR, says when it is new.
	WriteOnlyKey bool
	KeyVersion   maybe[int64]
}

// external reports a plan whose DCV records are published outside this
// provider: the apply starts an order, reissue or renewal and returns once
// its DCV records are known; regfish_tls_certificate_validation waits for
// the certificate.
func (w certWish) external() bool {
	return w.DCVPublisher.Known && w.DCVPublisher.V == dcvPublisherExternal && w.DCVMethod.Known && w.DCVMethod.V != regfish.DCVMethodEmail
}

// certDecision is the outcome: the action, or — when it depends on values
// unknown at plan time — every action the apply may settle on.
type certDecision struct {
	Actions []certAction
	// Summary and Detail are the plan's warning ("" when the change needs
	// no words: a create, or only timeouts or revoke_on_destroy changed).
	Summary, Detail string
}

// settled reports the one action, false while it depends on unknowns.
func (d certDecision) settled() (certAction, bool) {
	if len(d.Actions) == 1 {
		return d.Actions[0], true
	}
	return "", false
}

func (d certDecision) changesID() bool {
	return slices.ContainsFunc(d.Actions, certAction.changesID)
}

// needsCSR reports whether the apply may send a CSR: a new order, a
// renewal or a reissue.
func (d certDecision) needsCSR() bool {
	return slices.ContainsFunc(d.Actions, func(a certAction) bool {
		return a == actionNewOrder || a == actionRenewOrder || a == actionRenewReissue || a == actionReissue
	})
}

func (d certDecision) changesCertificate() bool {
	return slices.ContainsFunc(d.Actions, certAction.changesCertificate)
}

// newValidation reports whether the apply may ask for new DCV records: a
// new order, a renewal, a reissue, or the resume of an order whose records
// are not known yet.
func (d certDecision) newValidation() bool {
	return slices.ContainsFunc(d.Actions, func(a certAction) bool { return a != actionRecord })
}

// reissueBlocksNewKey reports a CSR with a new key while a reissue started
// in external mode still waits for its DCV records: the API refuses a
// second reissue, and recording the CSR would lose the key.
func reissueBlocksNewKey(prior *certPrior, want certWish) bool {
	return want.external() && prior.ReissueActive && (prior.Status == regfish.StatusIssued || prior.Status == regfish.StatusExpired) &&
		prior.RenewalOrderID == "" && keyChanges(prior, want) == "yes"
}

// renewalWindowOpen reports whether a certificate ending at notAfter is
// inside its renewal window of rbd days at asOf.
func renewalWindowOpen(status string, notAfter time.Time, rbd int64, asOf time.Time) bool {
	switch status {
	case regfish.StatusExpired:
		return true
	case regfish.StatusIssued:
		return !notAfter.IsZero() && !asOf.Before(notAfter.AddDate(0, 0, -int(rbd)))
	}
	return false
}

// renewalAction is how an issued certificate is renewed: a reissue on the
// same order while the API allows reissues and the contract lasts more than
// a day beyond the certificate, else a renewal order (new id).
func renewalAction(status string, reissueSupported bool, notAfter, contractUntil time.Time) certAction {
	if status != regfish.StatusExpired && reissueSupported && !contractUntil.IsZero() && contractUntil.After(notAfter.Add(24*time.Hour)) {
		return actionRenewReissue
	}
	return actionRenewOrder
}

// Renewal modes, as the regfish_tls_certificate data source shows them.
const (
	renewByReissue = "reissue"
	renewByOrder   = "renewal_order"
)

// renewalMode names the renewal renewalAction chooses.
func renewalMode(status string, reissueSupported bool, notAfter, contractUntil time.Time) string {
	if renewalAction(status, reissueSupported, notAfter, contractUntil) == actionRenewReissue {
		return renewByReissue
	}
	return renewByOrder
}

// defaultRenewBefore is the renew_before_days default for a validity: a
// third of it, between 1 and 30 days.
func defaultRenewBefore(validity int64) int64 {
	if validity <= 0 {
		validity = maxValidityDays
	}
	return max(1, min(30, validity/3))
}

// decideCertificate is the decision. prior is nil on create. asOf is the
// time of the state's last refresh (the plan and the final plan at apply
// must see the same clock, or a renewal window opening in between would
// change a known plan).
func decideCertificate(prior *certPrior, want certWish, asOf time.Time) certDecision {
	if prior == nil {
		return certDecision{Actions: []certAction{actionNewOrder}}
	}
	status := prior.Status
	var reorder []string // why a new order is certain
	var mayReorder []string
	switch {
	case !want.Product.Known:
		mayReorder = append(mayReorder, "product")
	case !strings.EqualFold(want.Product.V, prior.Product):
		reorder = append(reorder, fmt.Sprintf("the product changes from %s to %s", prior.Product, want.Product.V))
	}
	switch {
	case !want.Names.Known:
		mayReorder = append(mayReorder, "common_name/dns_names")
	case !regfish.SameNames(want.Names.V, prior.Names):
		reorder = append(reorder, fmt.Sprintf("the names change from %s to %s", strings.Join(prior.Names, ", "), strings.Join(regfish.NameSet("", want.Names.V), ", ")))
	case want.CommonName.Known && prior.CommonName != "" && want.CommonName.V != prior.CommonName:
		// a reissue keeps the order's subject: another common name is another order
		reorder = append(reorder, fmt.Sprintf("the common name changes from %s to %s", prior.CommonName, want.CommonName.V))
	}
	if order.DeadStatus(status) {
		reorder = append(reorder, fmt.Sprintf("order %s has status %q and can never be used again", prior.ID, status))
	}
	if len(reorder) > 0 {
		return certDecision{Actions: []certAction{actionNewOrder}, Summary: "New Certificate Order Instead of " + prior.ID,
			Detail: joinSentences(fmt.Sprintf("This apply places a new order for %s (%s) because %s. %s", namesOr(want.Names), valueOr(want.Product, "the product known after apply"),
				strings.Join(reorder, " and "), oldOrderFate(prior, want)), externalTail(want, "new order"))}
	}

	// The order stays. What else happens to it?
	keep, why := keepOrderActions(prior, want, asOf)
	actions := keep
	if len(mayReorder) > 0 {
		actions = append(actions, actionNewOrder)
	}
	slices.Sort(actions)
	actions = slices.Compact(actions)
	d := certDecision{Actions: actions}
	d.Summary, d.Detail = words(prior, want, keep, why)
	if len(mayReorder) > 0 {
		same := "no new order is placed"
		if d.Detail != "" {
			same += " and this happens: " + d.Detail
		} else {
			same += " and nothing else changes"
		}
		d.Summary = "Certificate " + prior.ID + " May Need a New Order"
		d.Detail = fmt.Sprintf("%s %s not known until apply. If it differs from the current value (%s), this apply places a new order for the new names or product (a new certificate id). %s If it stays the same, %s.",
			strings.Join(mayReorder, " and "), isAre(len(mayReorder)), currentOf(prior, mayReorder), oldOrderFate(prior, want), same)
	}
	return d
}

// keepOrderActions decides what happens to an order that stays, and says
// why in words for the plan.
func keepOrderActions(prior *certPrior, want certWish, asOf time.Time) ([]certAction, string) {
	status := prior.Status
	switch {
	case prior.RenewalOrderID != "":
		return []certAction{actionResumeRenewal}, ""
	case status == regfish.StatusPending && want.external() && prior.OrderState != order.OrderStateActionRequired && prior.RecordsKnown:
		// External DCV: the records are known and published elsewhere;
		// waiting is regfish_tls_certificate_validation's part. Nothing to do.
		return []certAction{actionRecord}, ""
	case status == regfish.StatusPending:
		return []certAction{actionResume}, ""
	case status != regfish.StatusIssued && status != regfish.StatusExpired:
		return []certAction{actionRecord}, ""
	case want.external() && prior.ReissueActive:
		// A reissue or renewal by reissue an earlier apply started waits
		// for its DCV records: nothing to do until it is issued.
		return []certAction{actionRecord}, ""
	}
	renew := renewalAction(status, prior.ReissueSupported, prior.NotAfter, prior.ContractUntil)
	if !want.RenewBefore.Known {
		if renewalWindowOpen(status, prior.NotAfter, 1, asOf) {
			return []certAction{renew}, "" // open for any renew_before_days
		}
		if renewalWindowOpen(status, prior.NotAfter, maxValidityDays, asOf) {
			acts := []certAction{renew, actionRecord}
			if keyChanges(prior, want) != "no" {
				acts = append(acts, actionReissue)
			}
			return acts, "renew_before_days"
		}
	} else if renewalWindowOpen(status, prior.NotAfter, want.RenewBefore.V, asOf) {
		return []certAction{renew}, ""
	}
	switch keyChanges(prior, want) {
	case "yes":
		return []certAction{actionReissue}, ""
	case "maybe":
		if want.WriteOnlyKey {
			return []certAction{actionReissue, actionRecord}, "private_key_wo_version"
		}
		return []certAction{actionReissue, actionRecord}, "csr"
	}
	return []certAction{actionRecord}, ""
}

// keyChanges tells whether the planned CSR carries another key than the
// certificate in the state: "yes", "no" or "maybe" (CSR unknown).
//
// With private_key_wo only the version tells: an ephemeral key differs on
// every run, so a new version is a new key and an unchanged one is none.
// Coming from csr (no version in the state) the key is new.
func keyChanges(prior *certPrior, want certWish) string {
	if want.WriteOnlyKey {
		switch {
		case !want.KeyVersion.Known:
			return "maybe"
		case !prior.KeyVersioned || prior.KeyVersion != want.KeyVersion.V:
			return "yes"
		}
		// The same version, but the certificate carries another key than
		// the CSR recorded for it (a reissue outside Terraform, or an
		// apply killed during a reissue for a version it never recorded):
		// reissued with the recorded CSR, whose key the version's store holds.
		if prior.LeafKey != "" {
			if fp := order.CSRKeyFingerprint(prior.CSR); fp != "" && fp != prior.LeafKey {
				return "yes"
			}
		}
		return "no"
	}
	if !want.CSR.Known {
		return "maybe"
	}
	// Against the certificate itself, not the state's csr: a reissue
	// outside this resource (the reissue action, the Console) may have
	// given it another key.
	if prior.LeafKey == "" {
		return "no"
	}
	if fp := order.CSRKeyFingerprint(want.CSR.V); fp != "" && fp != prior.LeafKey {
		return "yes"
	}
	return "no"
}
