package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
)

// plannedRenewBefore is renew_before_days as planned: configured, or the
// default for the planned validity (unknown while that is unknown).
func plannedRenewBefore(config, plan certificateModel) types.Int64 {
	if !config.RenewBeforeDays.IsNull() {
		return config.RenewBeforeDays
	}
	switch {
	case config.ValidityDays.IsUnknown():
		return types.Int64Unknown()
	case plan.ValidityDays.IsNull() || plan.ValidityDays.IsUnknown():
		return types.Int64Value(defaultRenewBefore(maxValidityDays))
	}
	return types.Int64Value(defaultRenewBefore(plan.ValidityDays.ValueInt64()))
}

// ModifyPlan validates against the API, decides what the change does
// (decideCertificate) and writes the decision into the plan: the values
// that become unknown, the warning that says it in words, and the private
// record Create, Update and Delete carry out.
func (r *certificateResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		resp.Diagnostics.Append(setPrivate(ctx, resp.Private, privatePlan, planRecord{Intent: intentDestroy})...)
		return
	}
	var plan, config certificateModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !req.State.Raw.IsNull() {
		var sid types.String
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &sid)...)
		defer nameOrderInErrors(&resp.Diagnostics, sid.ValueString())
	}
	r.checkCatalog(ctx, plan, &resp.Diagnostics)
	plan.RenewBeforeDays = plannedRenewBefore(config, plan)
	if v, rbd := plan.ValidityDays, plan.RenewBeforeDays; !rbd.IsUnknown() && !rbd.IsNull() {
		validity := int64(maxValidityDays)
		if !v.IsNull() && !v.IsUnknown() {
			validity = v.ValueInt64()
		}
		if !v.IsUnknown() && rbd.ValueInt64() >= validity {
			resp.Diagnostics.AddAttributeError(path.Root("renew_before_days"), "renew_before_days Too Large", renewBeforeTooLarge(rbd.ValueInt64(), validity))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	var state *certificateModel
	if !req.State.Raw.IsNull() {
		state = &certificateModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	planKeyCSR(ctx, config, &plan, state)
	spec := plan.spec(ctx)
	want := plan.wish(ctx)
	rec := planRecord{Fingerprint: spec.Fingerprint(), KeyFP: order.CSRKeyFingerprint(spec.CSR)}
	noCSR := plan.CSR.IsNull()

	if req.State.Raw.IsNull() {
		// A new object. With a plan record from a first planning call, it
		// is the create half of a replacement the user forced.
		rec.Intent = intentCreate
		prev := getPrivate[planRecord](ctx, req.Private, privatePlan)
		if prev.Intent != "" {
			rec.Intent = intentReplace
		}
		rec.Actions = decideCertificate(nil, want, r.now()).Actions
		if noCSR {
			resp.Diagnostics.AddAttributeError(path.Root("csr"), "Missing csr",
				"Ordering a certificate needs a csr, e.g. tls_cert_request.x.cert_request_pem, or a write-only key in private_key_wo with private_key_wo_version. (Only a certificate brought in by import may leave both unset.)")
			return
		}
		if r.data != nil && want.Names.Known && want.Product.Known && !plan.DCVMethod.IsUnknown() && !plan.DCVPublisher.IsUnknown() {
			r.checkDCVZones(ctx, spec, &resp.Diagnostics)
			if !resp.Diagnostics.HasError() {
				r.previewAdoption(ctx, spec, want, prev.Own, &resp.Diagnostics)
			}
		}
		r.planDCVRecords(ctx, &plan, nil, true, &resp.Diagnostics)
		resp.Diagnostics.Append(setPrivate(ctx, resp.Private, privatePlan, rec)...)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}

	facts := getPrivate[refreshFacts](ctx, req.Private, privateRefresh)
	asOf := facts.AsOf
	if asOf.IsZero() {
		asOf = r.now()
	}
	// A CSR spelled differently (line endings, line length) is the same
	// request: keep the state's spelling, so that it is no change at all.
	if !plan.CSR.IsUnknown() && order.SameCSR(state.CSR.ValueString(), plan.CSR.ValueString()) {
		plan.CSR = state.CSR
		want.CSR = known(state.CSR.ValueString())
	}
	prior := state.prior(ctx, facts)
	d := decideCertificate(&prior, want, asOf)
	rec.Intent, rec.Actions, rec.Own = intentUpdate, d.Actions, ownOrderIDs(ctx, state, req.Private)
	if noCSR && d.needsCSR() {
		resp.Diagnostics.AddAttributeError(path.Root("csr"), "Missing csr",
			fmt.Sprintf("%s This needs a CSR, and csr is not set (the certificate was imported). Set csr to a CSR for the names, e.g. tls_cert_request.x.cert_request_pem, or give the key in private_key_wo with private_key_wo_version.",
				strings.TrimSpace(d.Summary+": "+d.Detail)))
		return
	}
	if d.needsCSR() {
		if msg := keyVersionProblem(config, &plan, state); msg != "" {
			resp.Diagnostics.AddAttributeError(path.Root("private_key_wo_version"), "New Key Needs a New private_key_wo_version", msg)
			return
		}
	}
	if reissueBlocksNewKey(&prior, want) {
		resp.Diagnostics.AddAttributeError(path.Root("csr"), "Certificate "+prior.ID+" Is Being Reissued",
			fmt.Sprintf("The csr has a new key, but certificate %s has a reissue in progress that an earlier apply started and that waits for its DCV records (dcv_publisher = \"external\"); "+
				"regfish accepts no second reissue until it is issued. Publish dcv_records and let regfish_tls_certificate_validation finish with the current csr, then apply the new csr.", prior.ID))
		return
	}
	if act, ok := d.settled(); ok && act == actionNewOrder && r.data != nil {
		r.checkDCVZones(ctx, spec, &resp.Diagnostics)
		if spec.External && want.Names.Known && !plan.DCVMethod.IsUnknown() && !plan.DCVPublisher.IsUnknown() {
			r.warnDCVNeighbours(ctx, spec, rec.Own, &resp.Diagnostics)
		}
	}
	if d.changesCertificate() {
		plan.markChanging(d.changesID())
	} else {
		plan.setRenewAfter()
	}
	r.planDCVRecords(ctx, &plan, state, d.newValidation(), &resp.Diagnostics)
	if d.Summary != "" {
		resp.Diagnostics.AddWarning(d.Summary, d.Detail)
	}
	resp.Diagnostics.Append(setPrivate(ctx, resp.Private, privatePlan, rec)...)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// planDCVRecords plans dcv_records: with external DCV one entry per DCV
// record the order needs, keyed by the record name predicted from the
// names and the provider's dcv_scope, so that the keys are known at plan
// time (for_each). The values are the state's unless the apply may ask for
// new records (fresh): then they are known after apply.
func (r *certificateResource) planDCVRecords(ctx context.Context, plan, state *certificateModel, fresh bool, diags *diag.Diagnostics) {
	switch {
	case plan.DCVPublisher.IsUnknown() || plan.DCVMethod.IsUnknown():
		plan.DCVRecords = types.MapUnknown(validationRecordType)
		return
	case !plan.external():
		plan.DCVRecords = types.MapValueMust(validationRecordType, map[string]attr.Value{})
		return
	}
	names := plan.names(ctx)
	if !names.Known || r.data == nil {
		plan.DCVRecords = types.MapUnknown(validationRecordType)
		return
	}
	keys, err := order.PredictDCVNames(names.V, r.data.DCVScope)
	if err != nil {
		diags.AddAttributeError(path.Root("dns_names"), "DCV Records Cannot Be Named", err.Error()+".")
		return
	}
	prev := map[string]string{}
	if state != nil && !fresh {
		prev = dcvValues(state.DCVRecords)
	}
	entries := make(map[string]attr.Value, len(keys))
	for _, k := range keys {
		v := types.StringUnknown()
		if p, ok := prev[k]; ok {
			v = types.StringValue(p)
		}
		entries[k] = dcvRecordObject(k, v)
	}
	plan.DCVRecords = types.MapValueMust(validationRecordType, entries)
}

func (r *certificateResource) now() time.Time {
	if r.data == nil {
		return time.Now()
	}
	return r.data.now()
}

// previewAdoption tells in the plan when a new object will take over an
// order that exists already instead of placing one.
//
// A pending order whose owner cannot be told (an *UnknownOwnerError) may
// be the order of the object this one replaces (tainted by an interrupted
// create), which the apply takes over before it looks for others; the
// plan, which cannot see that object, says what the apply does either way.
func (r *certificateResource) previewAdoption(ctx context.Context, spec order.Spec, want certWish, own []string, diags *diag.Diagnostics) {
	if !want.CSR.Known {
		spec.CSR = ""
	}
	c, ids, err := r.data.Orderer(spec).FindOrphans(ctx, order.ForNewObject)
	var unknown *order.UnknownOwnerError
	switch {
	case errors.As(err, &unknown):
		diags.AddWarning("Pending Order for the Same Names",
			fmt.Sprintf("If this object replaces one of this resource whose apply was interrupted, the apply resumes that object's order. "+
				"Otherwise the apply fails and places no order: %v.", err))
	case err != nil:
		if !r.data.apiKeyProblem(err, diags) {
			diags.AddWarning("Existing Orders Not Checked",
				fmt.Sprintf("Whether an earlier apply left an order for %s could not be checked at plan time (%v). The apply checks again before it orders and fails rather than order twice.", strings.Join(spec.Names(), ", "), err))
		}
	case c != nil && spec.KeyVersion != 0:
		diags.AddWarning("Resuming Certificate Order "+c.ID,
			fmt.Sprintf("The order %s (%s, %s, status %s) matches this configuration (its product and names, and private_key_wo_version %d in the annotation of its DCV records) and no other resource holds it: "+
				"an apply was interrupted, or a replacement you asked for (-replace) gives the order of the object it replaces up. This apply takes it over; no new order is placed. The key of the interrupted apply is gone, so the certificate is reissued on the same order with a CSR the provider builds from the key private_key_wo holds in this apply.",
				c.ID, c.Product, strings.Join(c.Names(), ", "), c.Status, spec.KeyVersion))
	case c != nil:
		diags.AddWarning("Resuming Certificate Order "+c.ID,
			fmt.Sprintf("The order %s (%s, %s, status %s) matches this configuration (its product and names, and its key where the order shows it) and no other resource holds it: "+
				"an apply was interrupted, or a replacement you asked for (-replace) gives the order of the object it replaces up, which already is this configuration. This apply takes it over; no new order is placed (to order anew, change the key or destroy first). If its certificate turns out to carry another key, it is reissued on the same order for this CSR.", c.ID, c.Product, strings.Join(c.Names(), ", "), c.Status))
	case len(ids) > 0:
		what, none, one := "Orders "+strings.Join(ids, ", ")+" have", "none can be told to belong", "one of them was"
		if len(ids) == 1 {
			what, none, one = "Order "+ids[0]+" has", "it cannot be told to belong", "it was"
		}
		diags.AddWarning("Orders for the Same Names",
			fmt.Sprintf("%s this configuration's product and names, but %s to it (another workspace's, or left by an interrupted apply before the CSR's key changed). A new order will be placed. "+
				"If %s left by an interrupted apply of this configuration, import it instead (terraform import <address> <id>) or cancel it.", what, none, one))
	}
	if spec.External && err == nil && c == nil {
		r.warnDCVNeighbours(ctx, spec, own, diags)
	}
}
