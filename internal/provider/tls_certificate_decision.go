package provider

import (
	"cmp"
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

// words is the plan's warning for an order that stays.
func words(prior *certPrior, want certWish, acts []certAction, unknown string) (string, string) {
	id := prior.ID
	recorded := recordedChanges(prior, want, acts)
	if unknown != "" {
		var b strings.Builder
		switch unknown {
		case "csr":
			fmt.Fprintf(&b, "The csr is not known until apply. If its key differs from the key of certificate %s, this apply reissues the certificate on the same order with the new key (no new order); otherwise the certificate stays as it is.", id)
		case "private_key_wo_version":
			fmt.Fprintf(&b, "private_key_wo_version is not known until apply. If it differs from %s, this apply reissues certificate %s on the same order with the key private_key_wo holds then (no new order); otherwise the certificate stays as it is.", keyVersionWords(prior), id)
		case "renew_before_days":
			fmt.Fprintf(&b, "renew_before_days is not known until apply. If the renewal window it sets has opened (the certificate expires at %s), this apply renews certificate %s %s; otherwise nothing is renewed",
				prior.NotAfter.UTC().Format(time.RFC3339), id, renewalHow(acts, prior))
			if slices.Contains(acts, actionReissue) {
				b.WriteString(" and a new key in the csr reissues it on the same order")
			}
			b.WriteString(".")
		}
		if recorded != "" {
			b.WriteString(" " + recorded)
		}
		return "Certificate " + id + " May Change", b.String()
	}
	switch acts[0] {
	case actionResume:
		msg := fmt.Sprintf("Certificate order %s is still pending (order_state %s, pending_reason %s). This apply resumes that same order and waits for it; no new order is placed.",
			id, cmp.Or(prior.OrderState, "-"), cmp.Or(prior.PendingReason, "-"))
		if prior.OrderState == order.OrderStateActionRequired {
			switch {
			case want.OrgID.Known && want.OrgID.V != "":
				msg += " It is completed with org_id " + want.OrgID.V + "."
			case !want.OrgID.Known:
				msg += " It is completed with the org_id known after apply."
			default:
				msg += " The order waits for its organization: complete it at " + prior.CompletionURL + " or set org_id."
			}
		}
		if want.external() {
			msg += " With dcv_publisher = \"external\" the apply returns once the order's DCV records are known (dcv_records)."
		}
		return "Resuming Certificate Order " + id, joinSentences(msg, recorded)
	case actionResumeRenewal:
		return "Resuming Renewal of Certificate " + id, joinSentences(fmt.Sprintf("The renewal order %s of certificate %s is still pending. This apply resumes it (no new order); certificate %s stays in the state until the renewal is issued.",
			prior.RenewalOrderID, id, id), recorded)
	case actionRenewReissue, actionRenewOrder:
		when := fmt.Sprintf("Certificate %s expires at %s and renew_before_days is %d", id, prior.NotAfter.UTC().Format(time.RFC3339), want.RenewBefore.V)
		switch {
		case prior.Status == regfish.StatusExpired:
			when = fmt.Sprintf("Certificate %s has expired", id)
		case !want.RenewBefore.Known:
			when = fmt.Sprintf("Certificate %s expires at %s, inside the renewal window whatever renew_before_days turns out to be", id, prior.NotAfter.UTC().Format(time.RFC3339))
		}
		stays := "The current certificate stays in the state until the new one is issued."
		if want.external() && slices.Contains(acts, actionRenewOrder) {
			stays = "The id changes to the renewal order at once; regfish_tls_certificate_validation keeps the current certificate until the new one is issued."
		}
		return "Renewing Certificate " + id, joinSentences(joinSentences(fmt.Sprintf("%s: this apply renews it %s. %s",
			when, renewalHow(acts, prior), stays), externalTail(want, "renewal")), recorded)
	case actionReissue:
		running := ""
		if prior.ReissueActive {
			// an interrupted apply started it: regfish takes no second one
			running = " A reissue an earlier apply started is still running: it is waited for instead of a new request; if it carries another key than this apply's, the certificate is reissued once more on the same order."
		}
		why := "The csr has a new key: certificate %s is reissued on the same order with it (no new order)."
		sameKeySource := !want.WriteOnlyKey && want.CSR.Known && prior.CSR != "" && order.CSRKeyFingerprint(want.CSR.V) == order.CSRKeyFingerprint(prior.CSR)
		switch {
		case want.WriteOnlyKey && prior.KeyVersioned && want.KeyVersion.Known && prior.KeyVersion == want.KeyVersion.V:
			why = fmt.Sprintf("Certificate %%s carries another key than the CSR recorded for private_key_wo_version %d (a reissue outside Terraform, or an apply interrupted during a reissue): "+
				"it is reissued on the same order with the recorded CSR, whose key went to the secret store with version %d (no new order).", want.KeyVersion.V, want.KeyVersion.V)
		case want.WriteOnlyKey:
			why = fmt.Sprintf("private_key_wo_version changes from %s to %d: certificate %%s is reissued on the same order with the key private_key_wo holds in this apply (no new order; the provider builds the CSR).",
				keyVersionWords(prior), want.KeyVersion.V)
		case sameKeySource:
			why = "Certificate %s carries another key than the csr (a reissue outside Terraform, or an apply interrupted during a reissue): it is reissued on the same order with the csr (no new order)."
		}
		return "Reissuing Certificate " + id, joinSentences(joinSentences(fmt.Sprintf(why+" The current certificate stays in the state until the new one is issued.%s", id, running),
			externalTail(want, "reissue")), recorded)
	}
	if recorded != "" {
		return "Certificate " + id + ": Change Recorded", recorded
	}
	return "", ""
}

func renewalHow(acts []certAction, prior *certPrior) string {
	if slices.Contains(acts, actionRenewOrder) {
		return "by a renewal order (a new certificate id; regfish credits the remaining days)"
	}
	return fmt.Sprintf("by a reissue on the same order (its contract runs until %s)", prior.ContractUntil.UTC().Format(time.RFC3339))
}

// recordedChanges describes the arguments that change without an API call
// and take effect later.
func recordedChanges(prior *certPrior, want certWish, acts []certAction) string {
	var parts []string
	pending := prior.Status == regfish.StatusPending
	later := "at the next renewal order"
	switch {
	case len(acts) == 1 && acts[0] == actionRenewOrder:
		later = "to the renewal order this apply places"
	case pending:
		later = "at the next renewal order; the pending order keeps its setting"
	}
	if want.ValidityDays.Known && want.ValidityDays.V != 0 && prior.ValidityDays != 0 && want.ValidityDays.V != prior.ValidityDays {
		parts = append(parts, fmt.Sprintf("validity_days changes from %d to %d and applies %s", prior.ValidityDays, want.ValidityDays.V, later))
	} else if !want.ValidityDays.Known {
		parts = append(parts, "validity_days (known after apply) applies "+later)
	}
	// On a staged order, org_id completes it (see the resume words).
	staged := pending && prior.OrderState == order.OrderStateActionRequired
	switch {
	case staged:
	case !want.OrgID.Known:
		parts = append(parts, fmt.Sprintf("org_id (known after apply) applies %s (the current order stays bound to %s)", later, cmp.Or(prior.BoundOrgID, "-")))
	case want.OrgID.V == prior.OrgID:
	case want.OrgID.V == "":
		parts = append(parts, "org_id is removed; the current order stays bound to "+cmp.Or(prior.BoundOrgID, "-"))
	default:
		parts = append(parts, fmt.Sprintf("org_id changes to %s and applies %s (the current order stays bound to %s)", want.OrgID.V, later, cmp.Or(prior.BoundOrgID, "-")))
	}
	if !want.DCVMethod.Known || want.DCVMethod.V != prior.DCVMethod {
		parts = append(parts, fmt.Sprintf("dcv_method %s applies at the next reissue or renewal (the order keeps %s; to validate a pending order another way, replace it with terraform apply -replace)",
			valueOr(want.DCVMethod, "(known after apply)"), cmp.Or(prior.DCVMethod, "-")))
	}
	if !want.DCVEmails.Known || !slices.Equal(sortedCopy(want.DCVEmails.V), sortedCopy(prior.DCVEmails)) {
		parts = append(parts, "dcv_emails apply at the next reissue or renewal")
	}
	if from := orValue(prior.DCVPublisher, dcvPublisherRegfish); !want.DCVPublisher.Known || want.DCVPublisher.V != from {
		to := valueOr(want.DCVPublisher, "(known after apply)")
		effect := "from then on this provider neither publishes nor removes DCV records: publish dcv_records with your DNS resources and wait with regfish_tls_certificate_validation"
		if to == dcvPublisherRegfish {
			effect = "this provider publishes the DCV records of the next validation in regfish DNS itself and removes them after issuance"
		}
		parts = append(parts, fmt.Sprintf("dcv_publisher changes from %s to %s (%s)", from, to, effect))
	}
	if want.RenewBefore.Known && want.RenewBefore.V != prior.RenewBefore && prior.RenewBefore != 0 {
		parts = append(parts, fmt.Sprintf("renew_before_days changes from %d to %d (renew_after moves)", prior.RenewBefore, want.RenewBefore.V))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Recorded without an order of their own: " + strings.Join(parts, "; ") + "."
}

// oldOrderFate says what a new order does to the order in the state.
func oldOrderFate(prior *certPrior, want certWish) string {
	cancel := want.CancelOnDestroy.V
	if !want.CancelOnDestroy.Known {
		cancel = prior.CancelOnDestroy
	}
	var s string
	switch prior.Status {
	case regfish.StatusPending:
		if !want.CancelOnDestroy.Known {
			s = fmt.Sprintf("The pending order %s is cancelled first (if regfish does not cancel it, the apply fails and orders nothing), or left pending in the regfish account if cancel_on_destroy turns out false.", prior.ID)
		} else if cancel {
			s = fmt.Sprintf("The pending order %s is cancelled first (if regfish does not cancel it, the apply fails and orders nothing).", prior.ID)
		} else {
			s = fmt.Sprintf("The pending order %s is left pending in the regfish account, not cancelled (cancel_on_destroy = false): cancel it in the regfish Console if it is not wanted.", prior.ID)
		}
	case regfish.StatusIssued, regfish.StatusExpired:
		revoke := want.RevokeOnDestroy.V
		if !want.RevokeOnDestroy.Known {
			revoke = prior.RevokeOnDestroy
		}
		if revoke {
			s = fmt.Sprintf("Certificate %s stays valid until the new certificate is issued; then it is revoked (revoke_on_destroy).", prior.ID)
		} else {
			s = fmt.Sprintf("Certificate %s is not revoked and stays valid until it expires (set revoke_on_destroy to revoke it once the new one is issued).", prior.ID)
		}
	}
	if prior.RenewalOrderID != "" {
		if cancel {
			s += fmt.Sprintf(" Its pending renewal order %s is cancelled.", prior.RenewalOrderID)
		} else {
			s += fmt.Sprintf(" Its pending renewal order %s is left pending, not cancelled.", prior.RenewalOrderID)
		}
	}
	return strings.TrimSpace(s)
}

// externalTail is the plan's sentence on what an apply in external mode
// does with a new order, renewal or reissue.
func externalTail(want certWish, what string) string {
	if !want.external() {
		return ""
	}
	return fmt.Sprintf("With dcv_publisher = \"external\" the apply starts the %s and returns once its new DCV records are known (dcv_records, values known after apply): "+
		"your DNS resources publish them, and regfish_tls_certificate_validation waits for the new certificate.", what)
}

func orValue(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func namesOr(n maybe[[]string]) string {
	if !n.Known {
		return "the names known after apply"
	}
	return strings.Join(regfish.NameSet("", n.V), ", ")
}

func currentOf(prior *certPrior, attrs []string) string {
	var parts []string
	for _, a := range attrs {
		if a == "product" {
			parts = append(parts, "product "+prior.Product)
		} else {
			parts = append(parts, "names "+strings.Join(prior.Names, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func joinSentences(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// keyVersionWords names the state's key version for the plan's words.
func keyVersionWords(prior *certPrior) string {
	if !prior.KeyVersioned {
		return "none (the key came from csr)"
	}
	return fmt.Sprint(prior.KeyVersion)
}
