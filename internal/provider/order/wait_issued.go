package order

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Taking one order from placement (or a reissue from its request) to a
// downloaded certificate, through the one waiter.

// OrderStateActionRequired is the order_state of a staged OV/EV order that
// waits for its organization (org_id or the Console).
const OrderStateActionRequired = "ACTION_REQUIRED"

// Result is where an order got to.
type Result struct {
	Cert   *regfish.Certificate // last answer
	Issued *IssuedCert          // set when downloaded
}

// download fetches and parses the PEM chain; (nil, nil) while the API
// answers 409 (not ready yet).
func (o *Orderer) Download(ctx context.Context, id string) (*IssuedCert, error) {
	data, err := o.d.client.DownloadCertificate(ctx, id, "pem")
	if errors.Is(err, regfish.ErrConflict) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("downloading certificate %s: %w", id, err)
	}
	return ParseChain(id, data)
}

// earlyDownload tries the download of a new order before its status says
// it is issued. It returns the certificate only when the answer proves the
// issuance: a chain whose leaf carries the spec's key and names. Any other
// answer (409 while not ready, as assumed, or any other refusal or body:
// CONTRACT.md §5) is no decision: nil, and the caller reads the order as
// it would have.
func (o *Orderer) earlyDownload(ctx context.Context, id string) *IssuedCert {
	data, err := o.d.client.DownloadCertificate(ctx, id, "pem")
	if err != nil {
		return nil
	}
	ic, err := ParseChain(id, data)
	if err != nil || ic == nil || o.KeyFP == "" || KeyFingerprint(ic.Leaf.PublicKey) != o.KeyFP {
		return nil
	}
	leafNames := regfish.NameSet("", append([]string{ic.Leaf.Subject.CommonName}, ic.Leaf.DNSNames...))
	if !regfish.SameNames(leafNames, o.Spec.Names()) {
		return nil
	}
	tflog.Debug(ctx, "regfish: certificate "+id+" downloaded at the first check: issued", map[string]any{"certificate_id": id})
	return ic
}

// issuedOrder is the order c (its last answer, pending) as the downloaded
// certificate ic shows it now: issued, with the certificate's serial and
// dates. The next refresh reads the order itself.
func issuedOrder(c *regfish.Certificate, ic *IssuedCert) *regfish.Certificate {
	cc := *c
	cc.Status, cc.OrderState = regfish.StatusIssued, "ISSUED"
	cc.ActionRequired, cc.PendingReason, cc.PendingMessage = false, "", ""
	cc.CertificatePEMAvailable = true
	cc.SerialNumber = fmt.Sprintf("%X", ic.Leaf.SerialNumber)
	cc.ValidFrom, cc.ValidUntil = regfish.Timestamp{Time: ic.Leaf.NotBefore}, regfish.Timestamp{Time: ic.Leaf.NotAfter}
	return &cc
}

// TerminalError describes an order that can never be issued.
func TerminalError(c *regfish.Certificate) error {
	reason := c.PendingMessage
	if reason == "" {
		reason = c.PendingReason
	}
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Errorf("certificate order %s ended with status %q (order_state %s): %s", c.ID, c.Status, cmp.Or(c.OrderState, "-"), reason)
}

func WaitStateOf(c *regfish.Certificate) WaitState {
	return WaitState{Status: c.Status, OrderState: c.OrderState, PendingReason: c.PendingReason}
}

// waitIssued takes order id to a downloaded certificate: it completes a staged
// order with org_id (or waits for the Console completion), publishes the
// DCV records, waits for issuance and downloads. On error, res holds the
// last known order.
//
// first, when set, is the order as the API just answered it (the order
// request's answer): the first check uses it instead of reading it again.
//
// With external DCV (spec.External) it publishes nothing and stops as soon
// as the order's DCV records are known (or it is issued already).
func (o *Orderer) waitIssued(ctx context.Context, id string, first *regfish.Certificate) (res Result, err error) {
	orgNotUsable := false
	published := ""
	what := "issuance"
	if o.Spec.External {
		what = "the DCV records"
	}
	// A DNS-validated order placed just now (first holds its answer) has
	// no certificate before this one. The check right after its records
	// are published (at once, see WaitState.Again) downloads instead of
	// reading the order: issued promptly, that saves the read; not issued
	// yet, the check reports the order as last answered, and the next one,
	// after the poll interval, reads it as always. Either way no request
	// more than before.
	early := first != nil && first.Pending() && !o.Spec.External && o.Spec.DCVMethod == regfish.DCVMethodCNAME
	var downloaded *IssuedCert
	_, err = o.d.Waiter().Wait(ctx, what, id, func(ctx context.Context) (WaitState, error) {
		if early && first == nil && published != "" && res.Cert != nil {
			early = false
			ic := o.earlyDownload(ctx, id)
			if ic == nil {
				st := WaitStateOf(res.Cert)
				st.Detail = "not issued yet"
				return st, nil
			}
			if windowKnown(res.Cert) {
				res.Cert, res.Issued = issuedOrder(res.Cert, ic), ic
				st := WaitStateOf(res.Cert)
				st.Done = true
				return st, nil
			}
			// The answers so far lack what only an issued order shows
			// (its contract window): read it below, download no more.
			downloaded = ic
		}
		c, err := o.findOrder(ctx, id, &first)
		if err != nil {
			return WaitState{}, err
		}
		res.Cert = c
		st := WaitStateOf(c)
		if DeadStatus(c.Status) {
			return st, TerminalError(c)
		}
		if c.ActionRequired && o.Spec.OrgID != "" {
			done, cerr := o.d.client.CompleteCertificate(ctx, id, o.Spec.OrgID)
			switch {
			case cerr == nil:
				tflog.Info(ctx, "regfish: completed staged order "+id+" with organization "+o.Spec.OrgID, map[string]any{"certificate_id": id})
				c, res.Cert = done, done
				st = WaitStateOf(c)
			case transient(cerr):
				return st, cerr
			default:
				// Refused: regfish's statuses for refusals of /complete
				// are not documented, so what the order and the
				// organization show decides, never the status.
				now, why, err := o.completeRefused(ctx, id, cerr)
				if err != nil {
					return st, err
				}
				if why != "" {
					if !orgNotUsable {
						tflog.Warn(ctx, "regfish: order "+id+" cannot be completed with organization "+o.Spec.OrgID+" yet; waiting", map[string]any{"certificate_id": id, "reason": why})
					}
					orgNotUsable = true
					st.Detail = why
					return st, nil
				}
				c, res.Cert = now, now
				st = WaitStateOf(c)
			}
		}
		if c.ActionRequired {
			st.Detail = "completion: " + c.CompletionURL
			return st, nil
		}
		if o.Spec.External && !c.Ready() {
			// Publishing is the user's part: the records are all we wait for.
			st.Done = len(ActiveDCVRecords(c)) > 0
			st.Detail = "DCV records not known yet"
			return st, nil
		}
		if !o.Spec.External && !c.Ready() {
			// (an order ready for download needs no DCV record: one the
			// CA validated by reuse, or issued meanwhile)
			if err := o.publishStep(ctx, id, c.Validation, &published, &st); err != nil {
				return st, err
			}
		}
		if !c.Ready() {
			return st, nil
		}
		st.Again = false
		ic := downloaded
		if ic == nil || !sameSerial(c.SerialNumber, ic.Leaf.SerialNumber) {
			var derr error
			if ic, derr = o.Download(ctx, id); derr != nil || ic == nil {
				st.Detail = "PEM not available yet"
				return st, derr
			}
		}
		res.Issued = ic
		st.Done = true
		return st, nil
	})
	if err == nil && res.Issued != nil && published != "" {
		o.d.noteDCVProved(o.publishedNames[id])
	}
	return res, err
}

// windowKnown reports an answer that carries the order's contract window,
// which regfish may set only once the order is issued (CONTRACT.md §5):
// without it, the issued order is read once more for the state.
func windowKnown(c *regfish.Certificate) bool {
	return !c.ContractValidUntil.IsZero()
}

// sameSerial compares an API serial (hex, any case, colons allowed) with a
// certificate's.
func sameSerial(api string, n *big.Int) bool {
	v, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimSpace(api), ":", ""), 16)
	return ok && n != nil && v.Cmp(n) == 0
}

// completeRefused finds out why regfish refused to complete staged order id
// with org_id (refusal: its answer), by reading the order and the
// organization: the order is no longer staged (completed meanwhile, by the
// Console or a lost answer: it is returned); the organization is not
// usable for ordering yet (why says so: the caller waits, bounded by the
// timeout); or an error that names what to fix - an org_id the account does
// not hold, or a refusal that nothing read explains.
func (o *Orderer) completeRefused(ctx context.Context, id string, refusal error) (*regfish.Certificate, string, error) {
	now, err := o.d.client.GetCertificate(ctx, id)
	if err != nil {
		return nil, "", fmt.Errorf("regfish refused to complete staged order %s with org_id %s (%v), and reading the order afterwards failed: %w", id, o.Spec.OrgID, refusal, err)
	}
	if !now.ActionRequired {
		return now, "", nil
	}
	orgs, err := o.d.client.ListOrganizations(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("regfish refused to complete staged order %s with org_id %s (%v), and listing the organizations to find out why failed: %w", id, o.Spec.OrgID, refusal, err)
	}
	for _, org := range orgs {
		if string(org.ID) != o.Spec.OrgID {
			continue
		}
		if !org.UsableForOrdering {
			return nil, fmt.Sprintf("organization %s is not usable for ordering yet (status %s); regfish answered: %v", org.ID, cmp.Or(org.Status, "-"), refusal), nil
		}
		if !o.completeRetried {
			// It may have become usable between the refusal and this
			// read (vetting done): complete once more before deciding.
			o.completeRetried = true
			return nil, fmt.Sprintf("organization %s is usable now (status %s); completing again after regfish answered: %v", org.ID, cmp.Or(org.Status, "-"), refusal), nil
		}
		fix := "Complete the order in the regfish Console at " + cmp.Or(now.CompletionURL, "-") + ", then run terraform apply again"
		if errors.Is(refusal, regfish.ErrForbidden) || errors.Is(refusal, regfish.ErrUnauthorized) {
			fix = "If the API key lacks the role for TLS orders, use a key with access to the TLS endpoints; or complete the order in the regfish Console at " +
				cmp.Or(now.CompletionURL, "-") + ". Then run terraform apply again"
		}
		return nil, "", fmt.Errorf("regfish refused to complete staged order %s with organization %s, which is usable for ordering (status %s): %v. %s; the order is kept",
			id, org.ID, cmp.Or(org.Status, "-"), refusal, fix)
	}
	return nil, "", fmt.Errorf("org_id %s is not an organization of this regfish account (regfish refused to complete staged order %s: %v). "+
		"Set org_id to one of the account's organizations (the regfish_tls_organization data source lists them), then run terraform apply again; the order is kept", o.Spec.OrgID, id, refusal)
}

// findOrder returns *first (an answer in hand, used once) or reads the order.
func (o *Orderer) findOrder(ctx context.Context, id string, first **regfish.Certificate) (*regfish.Certificate, error) {
	if c := *first; c != nil {
		*first = nil
		return c, nil
	}
	c, err := o.d.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		return nil, &orderGoneError{ID: id}
	}
	return c, err
}

// orderGoneError is a status read answered 404: regfish does not know the
// order (any more).
type orderGoneError struct{ ID string }

func (e *orderGoneError) Error() string {
	return fmt.Sprintf("certificate order %s no longer exists in the regfish account", e.ID)
}

// WaitPlacedOrder waits for an order whose id came from an order request's answer
// (first, when this operation placed it) or from the state or a lookup
// (first nil). When regfish does not know that id, the answer was not
// usable: like a lost answer, the order is looked up afresh (which) and,
// when found, waited for under its real id; moved is called with it before the
// wait, so that the state holds it. A failed lookup is an error that
// changes nothing.
func (o *Orderer) WaitPlacedOrder(ctx context.Context, id string, first *regfish.Certificate, which OrphanLookup, moved func(*regfish.Certificate)) (string, Result, error) {
	res, err := o.WaitIssued(ctx, id, first)
	var gone *orderGoneError
	if !errors.As(err, &gone) || gone.ID != id {
		return id, res, err
	}
	cand, rerr := o.findOrderAfterUnknownID(ctx, id, which)
	if rerr != nil {
		return id, res, rerr
	}
	tflog.Warn(ctx, "regfish: the order answer named "+id+", which regfish does not know; the order placed is "+cand.ID, map[string]any{"certificate_id": cand.ID})
	if o.created == nil {
		o.created = map[string][]int64{}
	}
	o.created[cand.ID] = append(o.created[cand.ID], o.created[id]...)
	delete(o.created, id)
	if o.aliases == nil {
		o.aliases = map[string][]string{}
	}
	o.aliases[cand.ID] = append(o.aliases[cand.ID], id)
	o.d.releaseDCVNames(id)
	moved(cand)
	res, err = o.WaitIssued(ctx, cand.ID, cand)
	return cand.ID, res, err
}

// reissue starts (or resumes) a reissue of id with the spec's CSR and waits
// until the new certificate is downloaded; with external DCV only until the
// reissue's DCV records are known.
func (o *Orderer) Reissue(ctx context.Context, id, why string) (res Result, err error) {
	var c *regfish.Certificate
	// joined: the reissue waited for is not this request's (regfish
	// refused a second one while it runs): it may carry another key.
	joined := false
	for attempt := 1; ; attempt++ {
		c, err = o.d.client.ReissueCertificate(ctx, id, regfish.ReissueRequest{CSR: o.Spec.CSR, DCVMethod: o.Spec.DCVMethod, Comments: "terraform-provider-regfish: " + why})
		if err == nil {
			tflog.Info(ctx, "regfish: reissue of certificate "+id+" accepted ("+why+")", map[string]any{"certificate_id": id})
			break
		}
		if !errors.Is(err, regfish.ErrConflict) && !errors.Is(err, regfish.ErrMaybeProcessed) {
			return res, fmt.Errorf("reissuing certificate %s: %w", id, err)
		}
		// a reissue is already running (an earlier apply started it, or
		// this request whose answer was not usable): wait for it
		refusal := err
		if c, err = o.d.client.GetCertificate(ctx, id); err != nil {
			return res, fmt.Errorf("reading certificate %s after its reissue request: %w", id, err)
		}
		if c.Reissue.Active() {
			joined = errors.Is(refusal, regfish.ErrConflict) && !errors.Is(refusal, regfish.ErrMaybeProcessed)
			break
		}
		// None runs (any more): the one that did finished between the
		// refusal and the read, or this request's lost answer hid a
		// reissue done at once. The certificate served tells which.
		if c.Ready() && o.KeyFP != "" {
			ic, derr := o.Download(ctx, id)
			if derr != nil {
				return Result{Cert: c}, derr
			}
			if ic != nil && KeyFingerprint(ic.Leaf.PublicKey) == o.KeyFP && sameSerial(c.SerialNumber, ic.Leaf.SerialNumber) {
				return Result{Cert: c, Issued: ic}, nil
			}
		}
		if attempt == 3 {
			return Result{Cert: c}, fmt.Errorf("certificate %s cannot be reissued now (status %s, reissue_supported %t; regfish answered: %v)", id, c.Status, c.ReissueSupported, refusal)
		}
	}
	res.Cert = c
	var reissueID regfish.FlexInt
	if c.Reissue != nil {
		reissueID = c.Reissue.ID
	}
	published := ""
	anotherKey := false
	first := c // the reissue request's answer is the first check
	_, err = o.d.Waiter().Wait(ctx, "reissue", id, func(ctx context.Context) (WaitState, error) {
		c, err := o.findOrder(ctx, id, &first)
		if err != nil {
			return WaitState{}, err
		}
		res.Cert = c
		r := c.Reissue
		if r == nil || (reissueID != 0 && r.ID != reissueID) {
			return WaitState{Status: c.Status}, fmt.Errorf("certificate %s shows no reissue %d", id, reissueID)
		}
		st := WaitState{Status: c.Status, OrderState: r.OrderState, PendingReason: "reissue " + r.Status}
		if r.Failed() {
			return st, fmt.Errorf("reissue %d of certificate %s ended with status %q", r.ID, id, r.Status)
		}
		if r.Active() && o.Spec.External {
			// Publishing is the user's part: the new records are all we wait for.
			st.Done = len(ActiveDCVRecords(c)) > 0
			st.Detail = "DCV records not known yet"
			return st, nil
		}
		if r.Active() {
			if err := o.publishStep(ctx, id, r.Validation, &published, &st); err != nil {
				return st, err
			}
		}
		if r.Active() || !c.Ready() {
			return st, nil
		}
		st.Again = false
		ic, derr := o.Download(ctx, id)
		if derr != nil || ic == nil {
			return st, derr
		}
		if o.KeyFP != "" && KeyFingerprint(ic.Leaf.PublicKey) != o.KeyFP {
			if joined && sameSerial(c.SerialNumber, ic.Leaf.SerialNumber) {
				// the reissue found running is done and served: it was
				// for another key (an interrupted apply's)
				anotherKey = true
				st.Done = true
				return st, nil
			}
			st.Detail = "reissued certificate not served yet"
			return st, nil
		}
		res.Issued = ic
		st.Done = true
		return st, nil
	})
	if err == nil && anotherKey && !o.reissuedAgain {
		tflog.Info(ctx, "regfish: the reissue of certificate "+id+" that was running carries another key; reissuing once more for this apply's", map[string]any{"certificate_id": id})
		o.reissuedAgain = true
		if !o.Spec.External && len(o.created[id]) > 0 {
			// the records published for the reissue that is done: removed
			// by id before the next one needs the name (regfish may not
			// keep the annotation that would tell them as ours)
			if cerr := o.CleanUpDCV(ctx, id, o.Spec.Names()); cerr != nil {
				tflog.Warn(ctx, "regfish: removing the DCV records of the finished reissue failed", map[string]any{"certificate_id": id, "error": cerr.Error()})
			}
		}
		return o.Reissue(ctx, id, why)
	}
	if err == nil && anotherKey {
		return res, fmt.Errorf("certificate %s was reissued for another key again while this apply waited for its own reissue; run terraform apply again", id)
	}
	return res, err
}

// reissueForKey makes sure the downloaded certificate carries the spec's key,
// reissuing once when it does not (an adopted order placed with another
// CSR, or a CSR changed while the order was pending).
func (o *Orderer) reissueForKey(ctx context.Context, id string, res Result) (Result, error) {
	if res.Issued == nil || o.KeyFP == "" || KeyFingerprint(res.Issued.Leaf.PublicKey) == o.KeyFP {
		return res, nil
	}
	tflog.Info(ctx, "regfish: certificate "+id+" was issued for another key than the configured CSR; reissuing it for the CSR", map[string]any{"certificate_id": id})
	return o.Reissue(ctx, id, "CSR changed")
}

// WaitIssued is waitIssued followed by reissueForKey: the order issued
// with the spec's key.
func (o *Orderer) WaitIssued(ctx context.Context, id string, first *regfish.Certificate) (Result, error) {
	res, err := o.waitIssued(ctx, id, first)
	if err == nil {
		res, err = o.reissueForKey(ctx, id, res)
	}
	return res, err
}

// DeadStatus reports an order that can never be issued or used again: a
// terminal one, or a revoked certificate.
func DeadStatus(status string) bool {
	return regfish.TerminalStatus(status) || strings.EqualFold(status, regfish.StatusRevoked)
}
