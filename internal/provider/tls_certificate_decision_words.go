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

// The plan's wording of a certificate decision: what an apply will do, in
// sentences (decideCertificate decides; these functions only describe).

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
