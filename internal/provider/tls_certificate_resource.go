package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

func (r *certificateResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *certificateResource) defaultTimeout(ctx context.Context, product string) time.Duration {
	if ps, err := r.data.products(ctx); err == nil {
		if p, ok := regfish.FindProduct(ps, product); ok && (p.OrganizationRequired || p.Level() != "dv") {
			return defaultCreateTimeoutOV
		}
	}
	return defaultCreateTimeoutDV
}

// stampRefresh records the clock and the API facts of an answer about the
// order in the state.
func (r *certificateResource) stampRefresh(ctx context.Context, p privateSetter, c *regfish.Certificate) diag.Diagnostics {
	facts := refreshFacts{AsOf: r.now().UTC()}
	if c != nil {
		facts.ReissueSupported = c.ReissueSupported
		facts.ReissueActive = c.Reissue.Active()
	}
	return setPrivate(ctx, p, privateRefresh, facts)
}

// checkZonesBeforeOrdering is the apply-time twin of the plan's zone check,
// for names that were unknown at plan time.
func (r *certificateResource) checkZonesBeforeOrdering(ctx context.Context, spec order.Spec, id string) error {
	bad, err := r.data.dcvZoneProblems(ctx, spec)
	if err != nil {
		return fmt.Errorf("the account's DNS zones could not be listed, so no order was placed: %w", err)
	}
	for _, n := range spec.Names() {
		if p, ok := bad[n]; ok {
			what := "no order was placed"
			if id != "" {
				what = "certificate " + id + " is unchanged and no order was placed"
			}
			return fmt.Errorf("%s: %s (%s)", p, dcvZoneDetail(n), what)
		}
	}
	return nil
}

func (r *certificateResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer syncIdentity(ctx, &resp.State, nil, resp.Identity, &resp.Diagnostics)
	var plan, config certificateModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := buildKeyCSR(ctx, config, &plan, nil); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("private_key_wo"), "Unable to Place Certificate Order", err.Error()+" No order was placed.")
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, r.defaultTimeout(ctx, plan.Product.ValueString()))
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := order.WithDeadline(ctx, "timeouts.create", timeout)
	defer cancel()
	spec := plan.spec(ctx)
	if err := r.checkZonesBeforeOrdering(ctx, spec, ""); err != nil {
		resp.Diagnostics.AddError("Unable to Place Certificate Order", err.Error())
		return
	}
	o := r.data.Orderer(spec)
	defer o.ReleaseDCVHolds()
	cert, source, err := o.FindOrPlaceOrder(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Place Certificate Order",
			fmt.Sprintf("Ordering %s for %s: %v", spec.Product, strings.Join(spec.Names(), ", "), err))
		return
	}
	id := cert.ID
	ctx = tflog.SetField(ctx, "certificate_id", id)
	if source != order.SourcePlaced {
		resp.Diagnostics.AddWarning("Resumed Certificate Order "+id,
			fmt.Sprintf("This resource took over the existing order %s (%s) instead of placing a new one.", id, source))
	}
	resp.Diagnostics.Append(plan.applyOrder(cert)...)
	plan.unknownToNull()
	// From here on the order id is always saved, whatever happens.
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)

	id, res, err := o.WaitPlacedOrder(ctx, id, placedNow(cert, source), order.AfterLostOrder, func(c *regfish.Certificate) {
		resp.Diagnostics.Append(plan.applyOrder(c)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	})
	ctx = tflog.SetField(ctx, "certificate_id", id)
	resp.Diagnostics.Append(plan.applyResult(res)...)
	if err != nil {
		resp.Diagnostics.AddError("Certificate "+id+" Not Issued", notIssuedDetail(id, res, err, true))
	} else {
		r.cleanup(ctx, o, id, &resp.Diagnostics)
		r.setDCVRecords(ctx, &plan, res.Cert, types.MapNull(validationRecordType), &resp.Diagnostics)
	}
	resp.Diagnostics.Append(r.stampRefresh(ctx, resp.Private, res.Cert)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// placedNow is the order as the order request answered it, when this
// operation placed it; the first status check uses it.
func placedNow(c *regfish.Certificate, source order.Source) *regfish.Certificate {
	if source == order.SourcePlaced {
		return c
	}
	return nil
}

func (r *certificateResource) cleanup(ctx context.Context, o *order.Orderer, id string, diags *diag.Diagnostics) {
	if o.Spec.DCVMethod != regfish.DCVMethodCNAME || o.Spec.External {
		return
	}
	if err := o.CleanUpDCV(ctx, id, o.Spec.Names()); err != nil {
		diags.AddWarning("DCV Records Left in DNS", fmt.Sprintf("Certificate %s is issued, but removing its _dnsauth records failed: %v. They are harmless and can be deleted by hand.", id, err))
	}
}

// notIssuedDetail explains a wait that ended before issuance.
func notIssuedDetail(id string, res order.Result, err error, created bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n\n", err)
	c := res.Cert
	if c != nil && c.Terminal() {
		fmt.Fprintf(&b, "The order cannot be issued any more. The next apply places a new order (the plan says so).")
		return b.String()
	}
	if c != nil && c.ActionRequired && c.CompletionURL != "" {
		fmt.Fprintf(&b, "The order waits for its TLS organization: complete it at %s, or set org_id.\n\n", c.CompletionURL)
	}
	fmt.Fprintf(&b, "The order %s is kept in the state. Run terraform apply again to resume it: no new order is placed", id)
	if created {
		b.WriteString(" (the plan shows the object as tainted and to be replaced; the replacement resumes this same order)")
	}
	b.WriteString(". Resources that use this certificate are not changed until it is issued.")
	return b.String()
}

func (r *certificateResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var m certificateModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.ID.ValueString()
	var err error
	c := r.data.ListedForRefresh(ctx, id)
	if c == nil {
		c, err = r.data.client.GetCertificate(ctx, id)
	}
	if regfish.IsNotFound(err) {
		// A failed lookup is never a decision: a 404 from a wrong base_url
		// must not drop the order from the state. The account's list
		// confirms it (and fails on a wrong base_url).
		gone, lerr := r.data.OrderGone(ctx, id)
		if lerr != nil || !gone {
			resp.Diagnostics.AddError("Unable to Read Certificate",
				fmt.Sprintf("Reading certificate %s answered 404, but the account's order list could not confirm that it is gone (%v). The state is kept; check base_url and run the plan again.", id, orNil(lerr, "it is listed")))
			return
		}
		resp.Diagnostics.AddWarning("Certificate Order Not Found",
			fmt.Sprintf("Certificate order %s no longer exists in the regfish account. It is removed from the state; the next apply orders a new certificate.", id))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		if !r.data.apiKeyProblem(err, &resp.Diagnostics) {
			resp.Diagnostics.AddError("Unable to Read Certificate", fmt.Sprintf("Reading certificate %s: %v", id, err))
		}
		return
	}
	imported := m.Product.IsNull()
	if imported {
		m.fillFromOrder(c)
	}
	resp.Diagnostics.Append(m.applyOrder(c)...)
	// Download when the API serves a certificate the state does not hold
	// (issued after an apply stopped waiting, or reissued elsewhere).
	if c.Ready() && (m.CertificatePEM.IsNull() || !order.SameSerialText(m.SerialNumber.ValueString(), c.SerialNumber)) {
		ic, derr := r.data.Orderer(order.Spec{}).Download(ctx, id)
		switch {
		case derr != nil:
			tflog.Warn(ctx, "regfish: could not download the certificate during refresh", map[string]any{"certificate_id": id, "error": derr.Error()})
		case ic != nil:
			// With external DCV, issuance always completes outside an apply
			// of this resource: a new certificate is what is expected.
			if !m.CertificatePEM.IsNull() && !imported && !m.external() {
				resp.Diagnostics.AddWarning("Certificate Changed Outside Terraform",
					fmt.Sprintf("Certificate %s now has serial %s (was %s); the state takes the new certificate.", id, c.SerialNumber, m.SerialNumber.ValueString()))
			}
			m.applyIssued(ic)
		}
	}
	m.SerialNumber = normalSerial(m.SerialNumber)
	m.setRenewAfter()
	m.unknownToNull()
	if m.external() && order.ActiveDCVRecords(c) != nil {
		// The order waits for DCV: the records it asks for now, when they
		// are the ones in the state (else the next plan shows the change).
		keys := order.SortedKeys(dcvValues(m.DCVRecords))
		if v, missing, mismatch := dcvRecordsValue(c, keys, nil); !mismatch && len(missing) == 0 {
			m.DCVRecords = v
		}
	}
	resp.Diagnostics.Append(r.stampRefresh(ctx, resp.Private, c)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *certificateResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var plan, state, config certificateModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	ctx = tflog.SetField(ctx, "certificate_id", id)
	act, ok := r.plannedAction(ctx, req.Private, state, plan)
	if !ok {
		resp.Diagnostics.AddError("Certificate "+id+": Change Not Decided",
			"The plan left the change of this certificate undecided although every value is known at apply. Nothing was changed. This is always a bug in the provider; please report it.")
		return
	}
	if err := buildKeyCSR(ctx, config, &plan, &state); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("private_key_wo"), "Certificate "+id+" Unchanged", err.Error()+" Certificate "+id+" is unchanged.")
		return
	}
	timeout, d := plan.Timeouts.Update(ctx, r.defaultTimeout(ctx, plan.Product.ValueString()))
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := order.WithDeadline(ctx, "timeouts.update", timeout)
	defer cancel()
	r.data.Registry.Claim(id)
	o := r.data.Orderer(plan.spec(ctx))
	defer o.ReleaseDCVHolds()
	o.Own = map[string]bool{}
	for _, own := range ownOrderIDs(ctx, &state, req.Private) {
		o.Own[own] = true
	}
	if act == actionNewOrder {
		r.reorder(ctx, o, &state, &plan, resp)
		return
	}
	// Start from the state's view of the order; what the API says below
	// replaces it.
	plan.ID = state.ID
	plan.keepOrderFields(&state)
	var res order.Result
	var err error
	switch act {
	case actionRecord:
		plan.setRenewAfter()
		r.recordDCVRecords(ctx, &plan, &state, resp.Private, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	case actionResume:
		res, err = o.WaitIssued(ctx, id, nil)
	case actionReissue:
		res, err = o.Reissue(ctx, id, "new key in the CSR")
	case actionRenewReissue, actionRenewOrder, actionResumeRenewal:
		r.renew(ctx, o, act, &state, &plan, resp)
		return
	}
	if err != nil && res.Issued == nil {
		// Keep the CSR of the certificate the state holds, so the next
		// plan still shows the reissue to be done.
		if act == actionReissue {
			plan.CSR, plan.PublicKeySHA256, plan.PrivateKeyVersion = state.CSR, state.PublicKeySHA256, state.PrivateKeyVersion
		}
		resp.Diagnostics.Append(plan.applyResult(res)...)
		resp.Diagnostics.Append(r.stampRefresh(ctx, resp.Private, res.Cert)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.AddError("Certificate "+id+" Not Issued", notIssuedDetail(id, res, err, false))
		return
	}
	if err != nil {
		// the certificate is downloaded; what failed after it is reported
		resp.Diagnostics.AddWarning("Certificate "+id+" Updated With a Problem", err.Error())
	}
	r.finishIssued(ctx, o, &plan, res, resp.Private, &resp.Diagnostics)
	r.setDCVRecords(ctx, &plan, res.Cert, state.DCVRecords, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// plannedAction is the action the plan settled on. Without a plan record
// (a state written by an older provider) the same decision is made here.
func (r *certificateResource) plannedAction(ctx context.Context, p privateGetter, state, plan certificateModel) (certAction, bool) {
	rec := getPrivate[planRecord](ctx, p, privatePlan)
	if rec.Intent == intentUpdate && len(rec.Actions) > 0 {
		return certDecision{Actions: rec.Actions}.settled()
	}
	facts := getPrivate[refreshFacts](ctx, p, privateRefresh)
	asOf := facts.AsOf
	if asOf.IsZero() {
		asOf = r.now()
	}
	prior := state.prior(ctx, facts)
	return decideCertificate(&prior, plan.wish(ctx), asOf).settled()
}

// finishIssued records an issued result: the certificate, the DCV cleanup,
// the certificates a new order replaced, and the refresh facts.
//
// With external DCV the result may be an order or reissue that waits for
// its DCV records: then nothing is cleaned up or retired yet.
func (r *certificateResource) finishIssued(ctx context.Context, o *order.Orderer, plan *certificateModel, res order.Result, private privateState, diags *diag.Diagnostics) {
	diags.Append(plan.applyResult(res)...)
	plan.RenewalOrderID = types.StringNull()
	if res.Issued != nil {
		r.cleanup(ctx, o, plan.ID.ValueString(), diags)
		r.retire(ctx, plan.RevokeOnDestroy.ValueBool(), private, diags)
	}
	diags.Append(r.stampRefresh(ctx, private, res.Cert)...)
}

// reorder places a new order in place of the one in the state (the names
// or the product changed, or the order is dead). A pending old order is
// cancelled first; an issued one stays valid until the new one is issued
// and is then revoked if revoke_on_destroy is set.
func (r *certificateResource) reorder(ctx context.Context, o *order.Orderer, state, plan *certificateModel, resp *resource.UpdateResponse) {
	old := state.ID.ValueString()
	if err := r.checkZonesBeforeOrdering(ctx, o.Spec, old); err != nil {
		resp.Diagnostics.AddError("Unable to Place Certificate Order", err.Error())
		return
	}
	for _, id := range []string{state.RenewalOrderID.ValueString(), old} {
		if id == "" {
			continue
		}
		c, err := r.letGo(ctx, id, plan.cancelOnDestroy(), &resp.Diagnostics)
		if err != nil {
			resp.Diagnostics.AddError("Unable to Place Certificate Order",
				fmt.Sprintf("The new order for %s needs order %s out of the way first, but: %v. Nothing was ordered; run terraform apply again.", strings.Join(o.Spec.Names(), ", "), id, err))
			return
		}
		if id == old && c != nil && c.IssuedOrExpired() {
			retired := append(getPrivate[[]string](ctx, resp.Private, privateRetire), old)
			resp.Diagnostics.Append(setPrivate(ctx, resp.Private, privateRetire, slices.Compact(retired))...)
		}
	}
	cert, source, err := o.FindOrPlaceOrder(ctx)
	if err != nil {
		// The old order stays in the state as it is now.
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		resp.Diagnostics.AddError("Unable to Place Certificate Order",
			fmt.Sprintf("Ordering %s for %s in place of %s: %v", o.Spec.Product, strings.Join(o.Spec.Names(), ", "), old, err))
		return
	}
	id := cert.ID
	ctx = tflog.SetField(ctx, "certificate_id", id)
	tflog.Info(ctx, fmt.Sprintf("regfish: order %s (%s) replaces certificate %s", id, source, old), map[string]any{"replaced_certificate_id": old})
	resp.Diagnostics.Append(plan.applyOrder(cert)...)
	plan.RenewalOrderID = types.StringNull()
	plan.unknownToNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)

	id, res, err := o.WaitPlacedOrder(ctx, id, placedNow(cert, source), order.AfterLostOrder, func(c *regfish.Certificate) {
		resp.Diagnostics.Append(plan.applyOrder(c)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	})
	if err != nil && res.Issued == nil {
		resp.Diagnostics.Append(plan.applyResult(res)...)
		resp.Diagnostics.Append(r.stampRefresh(ctx, resp.Private, res.Cert)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
		resp.Diagnostics.AddError("Certificate "+id+" Not Issued", notIssuedDetail(id, res, err, false))
		return
	}
	if err != nil {
		resp.Diagnostics.AddWarning("Certificate "+id+" Issued With a Problem", err.Error())
	}
	r.finishIssued(ctx, o, plan, res, resp.Private, &resp.Diagnostics)
	r.setDCVRecords(ctx, plan, res.Cert, types.MapNull(validationRecordType), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *certificateResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state certificateModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	if id == "" {
		return
	}
	ctx = tflog.SetField(ctx, "certificate_id", id)
	timeout, d := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := order.WithDeadline(ctx, "timeouts.delete", timeout)
	defer cancel()

	rec := getPrivate[planRecord](ctx, req.Private, privatePlan)
	if handed, err := r.handOver(ctx, rec, state); err != nil {
		resp.Diagnostics.AddError("Unable to Hand Over Certificate Order "+id,
			fmt.Sprintf("Certificate %s is being replaced, and its order may be the one the replacement resumes, but the check failed: %v. Nothing was cancelled or revoked; run terraform apply again.", id, err))
		return
	} else if handed {
		return
	}
	// A renewal still pending would outlive the resource: cancel it too.
	cancelOrders := state.cancelOnDestroy()
	if rid := state.RenewalOrderID.ValueString(); rid != "" {
		if _, err := r.letGo(ctx, rid, cancelOrders, &resp.Diagnostics); err != nil {
			resp.Diagnostics.AddError("Unable to Cancel Renewal Order "+rid,
				fmt.Sprintf("Certificate %s: cancelling its pending renewal order %s: %v", id, rid, err))
			return
		}
	}
	c, err := r.letGo(ctx, id, cancelOrders, &resp.Diagnostics)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Cancel Certificate Order "+id, fmt.Sprintf("Destroying certificate %s: %v.", id, err))
		return
	}
	if c == nil {
		return // gone already
	}
	if state.RevokeOnDestroy.ValueBool() {
		for _, rid := range append(getPrivate[[]string](ctx, req.Private, privateRetire), id) {
			if err := r.revokeIssued(ctx, rid, &resp.Diagnostics); err != nil {
				resp.Diagnostics.AddError("Unable to Revoke Certificate", err.Error())
				return
			}
		}
	}
	// With external DCV another DNS provider owns the records: never removed here.
	if state.DCVMethod.ValueString() != regfish.DCVMethodEmail && !state.external() {
		_ = r.data.Orderer(state.spec(ctx)).CleanUpDCV(ctx, id, regfish.NameSet(state.CommonName.ValueString(), setStrings(ctx, state.DNSNames)))
	}
}

func (r *certificateResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := strings.TrimSpace(importID(ctx, req, &resp.Diagnostics))
	if id == "" || strings.ContainsAny(id, "/ ") {
		resp.Diagnostics.AddError("Invalid Import ID", fmt.Sprintf("Import a certificate by its public id such as 7K9QW3M2ZT8HJ, got %q.", id))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	setImportedIdentity(ctx, id, resp)
}
