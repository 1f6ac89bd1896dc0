package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// renew carries out a renewal the plan decided: a reissue on the same
// order, a renewal order (new id, remaining days credited), or the resume
// of a pending renewal order. The old certificate stays in the state until
// the new one is issued. With external DCV it returns once the new DCV
// records are known, and a renewal order takes the id at once.
func (r *certificateResource) renew(ctx context.Context, o *order.Orderer, act certAction, state, plan *certificateModel, resp *resource.UpdateResponse) {
	id := state.ID.ValueString()
	var rid string
	var res order.Result
	var err error
	moved := func(c *regfish.Certificate) { plan.RenewalOrderID = types.StringValue(c.ID) }
	switch act {
	case actionRenewReissue:
		rid = id
		res, err = o.Reissue(ctx, id, "renewal")
	case actionResumeRenewal:
		// The recorded renewal order came from an order answer: when
		// regfish does not know it, it is looked up like a lost one.
		rid, res, err = o.WaitPlacedOrder(ctx, state.RenewalOrderID.ValueString(), nil, order.ForRenewal(parseTime(state.NotAfter), true), moved)
		if errors.Is(err, order.ErrNoneListed) {
			rid = "" // gone for certain: the next plan renews anew
			err = fmt.Errorf("%w; the renewal order is forgotten and the next apply renews the certificate anew", err)
		}
	case actionRenewOrder:
		var placed *regfish.Certificate
		rid, placed, err = r.placeRenewal(ctx, o, id, parseTime(state.NotAfter))
		if err == nil {
			plan.RenewalOrderID = types.StringValue(rid)
			rid, res, err = o.WaitPlacedOrder(ctx, rid, placed, order.ForRenewal(parseTime(state.NotAfter), true), moved)
		}
	}
	if err != nil && res.Issued == nil {
		// The old certificate (kept from the state) stays current.
		plan.RenewalOrderID = types.StringNull()
		if rid != "" && rid != id {
			plan.RenewalOrderID = types.StringValue(rid)
		}
		plan.CSR = state.CSR
		plan.unknownToNull()
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
		resp.Diagnostics.AddError("Certificate "+id+" Not Renewed", renewalNotDoneDetail(id, rid, err))
		return
	}
	if err != nil {
		resp.Diagnostics.AddWarning("Certificate "+id+" Renewed With a Problem", err.Error())
	}
	plan.ID = types.StringValue(rid)
	if res.Issued == nil && rid != id {
		// External DCV: the renewal order takes the id at once and waits
		// for its DCV records; regfish_tls_certificate_validation keeps the
		// current certificate until the new one is issued.
		plan.clearIssued()
	}
	r.finishIssued(ctx, o, plan, res, resp.Private, &resp.Diagnostics)
	r.setDCVRecords(ctx, plan, res.Cert, state.DCVRecords, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// placeRenewal returns the renewal order of certificate id: one an
// interrupted apply left pending, or a new one (then also the order
// request's answer).
func (r *certificateResource) placeRenewal(ctx context.Context, o *order.Orderer, id string, notAfter time.Time) (string, *regfish.Certificate, error) {
	cand, _, err := o.FindOrphans(ctx, order.ForRenewal(notAfter, false))
	if err != nil {
		return "", nil, fmt.Errorf("could not check whether an earlier apply left a renewal order of certificate %s, so none was placed: %w", id, err)
	}
	if cand != nil && cand.ID != id && r.data.Registry.Claim(cand.ID) {
		tflog.Info(ctx, "regfish: resuming the pending renewal order "+cand.ID+" of certificate "+id, map[string]any{"certificate_id": id, "renewal_order_id": cand.ID})
		o.ListCleanup = true
		return cand.ID, nil, nil
	}
	req := o.Spec.Request()
	req.RenewalOfCertificateID = id
	nc, err := r.data.client.CreateCertificate(ctx, req)
	if errors.Is(err, regfish.ErrMaybeProcessed) {
		cand, _, lerr := o.FindOrphans(context.WithoutCancel(ctx), order.ForRenewal(notAfter, true))
		switch {
		case lerr != nil:
			return "", nil, fmt.Errorf("the renewal order request may have been placed (%v), and looking it up failed too (%v). Nothing else was ordered; the next apply looks for it again", err, lerr)
		case cand != nil && cand.ID != id:
			r.data.Registry.Claim(cand.ID)
			return cand.ID, nil, nil
		}
	}
	if err != nil {
		return "", nil, fmt.Errorf("placing the renewal order of certificate %s: %w", id, err)
	}
	r.data.Registry.Claim(nc.ID)
	tflog.Info(ctx, "regfish: placed renewal order "+nc.ID+" for certificate "+id, map[string]any{"certificate_id": id, "renewal_order_id": nc.ID})
	return nc.ID, nc, nil
}

func renewalNotDoneDetail(id, newID string, err error) string {
	msg := fmt.Sprintf("%v\n\nCertificate %s stays valid and stays in the state.", err, id)
	if newID != "" && newID != id {
		msg += fmt.Sprintf(" The renewal order %s is kept (renewal_order_id): the next apply resumes it and places no other order.", newID)
	} else {
		msg += " The next apply resumes the renewal."
	}
	return msg
}
