package provider

import (
	"cmp"
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// retire revokes the certificates a new order for changed names or product
// replaced, now that the new one is issued (revoke_on_destroy), and
// forgets them.
func (r *certificateResource) retire(ctx context.Context, revoke bool, private privateState, diags *diag.Diagnostics) {
	ids := getPrivate[[]string](ctx, private, privateRetire)
	if len(ids) == 0 {
		return
	}
	var left []string
	for _, id := range ids {
		if !revoke {
			continue
		}
		if err := r.revokeIssued(ctx, id, diags); err != nil {
			diags.AddWarning("Replaced Certificate "+id+" Not Revoked",
				fmt.Sprintf("Certificate %s was replaced by a new order and revoke_on_destroy is set, but revoking it failed: %v. The next apply tries again; or revoke it in the regfish Console.", id, err))
			left = append(left, id)
		}
	}
	if len(left) == 0 {
		diags.Append(private.SetKey(ctx, privateRetire, nil)...)
		return
	}
	diags.Append(setPrivate(ctx, private, privateRetire, left)...)
}

// revokeIssued revokes certificate id when it is issued (or expired). A
// revocation regfish accepted without the certificate showing it yet is a
// warning: the CA completes it later.
func (r *certificateResource) revokeIssued(ctx context.Context, id string, diags *diag.Diagnostics) error {
	c, err := r.data.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading certificate %s: %w", id, err)
	}
	if !c.IssuedOrExpired() {
		return nil
	}
	now, err := r.data.RevokeCertificate(ctx, id, regfish.RevokeRequest{Comments: "terraform-provider-regfish: revoke_on_destroy", Scope: "certificate"})
	if err == nil && !order.RevokedStatus(now.Status) {
		diags.AddWarning("Revocation of Certificate "+id+" Requested",
			fmt.Sprintf("regfish accepted the revocation of certificate %s (revoke_on_destroy), but it still reads status %q: the CA completes it later. Check it in the regfish Console.", id, now.Status))
	}
	return err
}

// cancelPending cancels order id while it is pending. It returns the order
// as it is afterwards (nil when regfish does not know it); an error when
// it could not be read, or regfish did not cancel it.
func (r *certificateResource) cancelPending(ctx context.Context, id string) (*regfish.Certificate, error) {
	c, err := r.data.ReadOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	if c == nil || !c.Pending() {
		return c, nil
	}
	return r.data.CancelOrder(ctx, id)
}

// letGo handles the pending orders a destroy or a new order leaves behind:
// it cancels them (cancel_on_destroy), or leaves them pending and says so.
// It returns the order as it is afterwards (nil when regfish no longer
// knows it).
func (r *certificateResource) letGo(ctx context.Context, id string, cancel bool, diags *diag.Diagnostics) (*regfish.Certificate, error) {
	if cancel {
		return r.cancelPending(ctx, id)
	}
	c, err := r.data.ReadOrder(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case c == nil:
		return nil, nil
	case c.Pending():
		diags.AddWarning("Certificate Order "+id+" Left Pending",
			fmt.Sprintf("Order %s is still pending (order_state %s) and was not cancelled (cancel_on_destroy = false): it stays in the regfish account "+
				"as it is, and regfish may still issue and bill it. Cancel it in the regfish Console if it is not wanted.", id, cmp.Or(c.OrderState, "-")))
	}
	return c, nil
}

// handOver is the delete half of a replacement whose new object takes the
// order over instead of ordering again: the replacement of a tainted
// object (an interrupted create), or a forced replacement (-replace) with
// the same names, product and key. It reports whether the order was handed
// over; an error means it could not be checked, and nothing may be done.
func (r *certificateResource) handOver(ctx context.Context, rec planRecord, state certificateModel) (bool, error) {
	id := state.ID.ValueString()
	// With create_before_destroy the new object ran first, in this
	// process: when it took this very order over, the order is its now,
	// whatever this object's record says (Terraform plans the destroy of
	// the deposed object on its own, as a destroy). Nothing is cancelled
	// or revoked.
	if r.data.Registry.Holds(id) {
		tflog.Info(ctx, "regfish: the replaced object's order "+id+" is held by its replacement, not cancelled or revoked", map[string]any{"certificate_id": id})
		return true, nil
	}
	switch rec.Intent {
	case intentCreate:
	case intentReplace:
		if state.spec(ctx).Fingerprint() != rec.Fingerprint {
			return false, nil
		}
	default:
		return false, nil
	}
	// With create_before_destroy the new object ran first: it took this
	// order over, or holds another one.
	switch other := r.data.Registry.PlacedFor(rec.Fingerprint); other {
	case id:
		return true, nil
	case "":
	default:
		return false, nil
	}
	c, err := r.data.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch {
	case !c.Pending() && !c.Ready():
		return false, nil
	case rec.Intent == intentReplace && c.Ready() && rec.KeyFP != "" && order.LeafKeyFingerprint(state.CertificatePEM.ValueString()) != rec.KeyFP:
		return false, nil // a new key: the replacement orders anew
	}
	r.data.Registry.HandOver(rec.Fingerprint, id)
	tflog.Info(ctx, "regfish: the replaced object's order "+id+" is handed over to its replacement, not cancelled", map[string]any{"certificate_id": id})
	return true, nil
}
