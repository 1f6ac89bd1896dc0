package order

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Cleaning up after orders: cancelling a pending order, revoking an issued
// certificate, and telling from the order read back whether it happened.

// ActionError is a cancel or revoke that regfish did not carry out:
// read back afterwards, the order does not show it. The paths of both
// calls are assumed, not documented (CONTRACT.md): a 404 may mean that
// the path does not exist, so no answer is taken for the outcome.
type ActionError struct {
	ID, What string // What: "cancel" or "revoke"
	Answer   error  // the call's error; nil when it answered 2xx
	Now      *regfish.Certificate
}

func (e *ActionError) Error() string {
	answer := "was accepted"
	if e.Answer != nil {
		answer = "was answered: " + e.Answer.Error()
	}
	s := fmt.Sprintf("regfish did not %s certificate order %s: the %s request %s, and reading the order afterwards shows status %q (order_state %s)",
		e.What, e.ID, e.What, answer, e.Now.Status, cmp.Or(e.Now.OrderState, "-"))
	if e.What == "cancel" && e.Answer == nil {
		return s + " a few seconds later. regfish may still cancel it: check the order in the regfish Console and run terraform destroy (or apply) again; " +
			"or set cancel_on_destroy = false and apply to leave it pending in the account. Nothing else was changed"
	}
	if e.What == "cancel" {
		return s + ". Cancel it in the regfish Console, or set cancel_on_destroy = false and apply to leave it pending in the account; then run terraform destroy (or apply) again. Nothing else was changed"
	}
	return s + ". Revoke it in the regfish Console, then run terraform destroy (or apply) again. Nothing else was changed"
}

// CancelOrder asks regfish to cancel order id and reads the order back:
// only its status tells whether it was cancelled (or issued meanwhile).
// It returns the order as it is afterwards (nil when regfish no longer
// knows it); an *ActionError when it is still pending.
func (d *Engine) CancelOrder(ctx context.Context, id string) (*regfish.Certificate, error) {
	_, cerr := d.client.CancelCertificate(ctx, id)
	now, err := d.ReadOrder(ctx, id)
	// An accepted cancel may take a moment to show: read again briefly.
	for wait := time.Second; err == nil && now != nil && now.Pending() && cerr == nil && wait <= 4*time.Second; wait *= 2 {
		if regfish.Sleep(ctx, wait) != nil {
			break
		}
		now, err = d.ReadOrder(ctx, id)
	}
	switch {
	case err == nil && now == nil:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("asking regfish to cancel pending order %s (answer: %v), and reading it afterwards failed, so whether it was cancelled is not known: %w", id, errOrOK(cerr), err)
	case now.Pending():
		return now, &ActionError{ID: id, What: "cancel", Answer: cerr, Now: now}
	}
	tflog.Info(ctx, "regfish: order "+id+" is no longer pending after the cancel request", map[string]any{"certificate_id": id, "status": now.Status})
	return now, nil
}

// ReadOrder reads order id; nil (and no error) when regfish no longer
// knows it, which a 404 alone does not prove: the account's list, read
// afresh, must not show it either (a failed lookup is never a decision).
func (d *Engine) ReadOrder(ctx context.Context, id string) (*regfish.Certificate, error) {
	c, err := d.client.GetCertificate(ctx, id)
	if !regfish.IsNotFound(err) {
		return c, err
	}
	gone, lerr := d.OrderGone(ctx, id)
	switch {
	case lerr != nil:
		return nil, fmt.Errorf("reading order %s answered 404, and listing the account's orders to confirm it failed: %w", id, lerr)
	case !gone:
		return nil, fmt.Errorf("reading order %s answered 404, but the account's list shows it", id)
	}
	return nil, nil
}

// RevokeCertificate asks regfish to revoke certificate id and reads it back:
// only its status tells whether it was revoked. A 2xx answer while the
// status is unchanged is a revocation the CA completes later (the answer
// is returned with no error); a refused call with the status unchanged is
// an *ActionError.
func (d *Engine) RevokeCertificate(ctx context.Context, id string, req regfish.RevokeRequest) (*regfish.Certificate, error) {
	_, rerr := d.client.RevokeCertificate(ctx, id, req)
	now, err := d.client.GetCertificate(ctx, id)
	switch {
	case err != nil:
		return nil, fmt.Errorf("asking regfish to revoke certificate %s (answer: %v), and reading it afterwards failed, so whether it was revoked is not known: %w", id, errOrOK(rerr), err)
	case RevokedStatus(now.Status):
		tflog.Info(ctx, "regfish: revoked certificate "+id, map[string]any{"certificate_id": id, "status": now.Status})
		return now, nil
	case rerr != nil:
		return now, &ActionError{ID: id, What: "revoke", Answer: rerr, Now: now}
	}
	return now, nil
}

// RevokedStatus reports a status that says the certificate is revoked.
func RevokedStatus(status string) bool {
	return strings.EqualFold(status, regfish.StatusRevoked) || strings.EqualFold(status, regfish.StatusOrderCancelled)
}

func errOrOK(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

// CleanUpDCV removes the DCV records this provider published for id: by
// id when this operation published them all, else by listing the zones of
// names. Listed, a record is the order's when this provider's annotation
// names it, or - the annotation dropped - when it is a CNAME at a _dnsauth
// name pointing to one of the order's DCV tokens (read from the order).
func (o *Orderer) CleanUpDCV(ctx context.Context, id string, names []string) error {
	defer o.d.releaseDCVNames(id)
	if o.fresh[id] && !o.ListCleanup {
		return nil // placed by this operation and never published
	}
	if ids := o.created[id]; len(ids) > 0 && !o.ListCleanup {
		var errs []error
		for _, rr := range ids {
			if err := o.d.client.DeleteRecord(ctx, rr); err != nil && !regfish.IsNotFound(err) {
				errs = append(errs, err)
			}
		}
		delete(o.created, id)
		return errors.Join(errs...)
	}
	tokens := slices.Clone(o.tokens[id])
	if c, err := o.d.client.GetCertificate(ctx, id); err == nil {
		tokens = append(tokens, orderTokens(c)...)
	}
	mine := func(r regfish.Record) bool {
		if a, ok := ParseDCVAnnotation(r.Annotation); ok {
			return a.CertificateID == id || slices.Contains(o.aliases[id], a.CertificateID)
		}
		return strings.TrimSpace(r.Annotation) == "" && strings.EqualFold(r.Type, "CNAME") &&
			strings.HasPrefix(regfish.Hostname(r.Name), dcvRecordPrefix) && slices.Contains(tokens, regfish.Hostname(r.Data))
	}
	seen := map[string]bool{}
	var errs []error
	for _, n := range names {
		zone, err := o.d.ZoneFor(ctx, strings.TrimPrefix(n, "*."))
		if errors.Is(err, ErrNoZone) || seen[zone] {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seen[zone] = true
		recs, err := o.d.client.ListRecords(ctx, zone)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range recs {
			if mine(r) {
				if err := o.d.client.DeleteRecord(ctx, int64(r.ID)); err != nil && !regfish.IsNotFound(err) {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}
