package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// ----- private state -----------------------------------------------------

// Keys of the certificate resource's private state.
const (
	// privatePlan holds the planRecord of the last plan: why Delete runs
	// and what Update carries out.
	privatePlan = "plan"
	// privateRefresh holds the refreshFacts of the last refresh.
	privateRefresh = "refresh"
	// privateRetire holds the ids of certificates a new order replaced, to
	// revoke once the new one is issued (revoke_on_destroy).
	privateRetire = "retire"
)

// planIntent tells Delete why it runs.
type planIntent string

const (
	intentDestroy planIntent = "destroy"
	// intentCreate: a new object. When Delete runs with it, it is the
	// delete half of replacing a tainted object: the order is handed over
	// to the new object, which resumes it.
	intentCreate planIntent = "create"
	// intentReplace: a replacement the user forced (-replace).
	intentReplace planIntent = "replace"
	intentUpdate  planIntent = "update"
)

// planRecord is what ModifyPlan decided.
type planRecord struct {
	Intent planIntent `json:"intent"`
	// Fingerprint of the planned configuration (Spec.fingerprint) and
	// the key fingerprint of its CSR.
	Fingerprint string `json:"fp,omitempty"`
	KeyFP       string `json:"key,omitempty"`
	// Actions the apply may carry out (one when settled).
	Actions []certAction `json:"actions,omitempty"`
}

// refreshFacts is what the last refresh saw: its clock (the time every
// plan of this state decides the renewal window at) and API facts the
// schema does not show.
type refreshFacts struct {
	AsOf             time.Time `json:"as_of"`
	ReissueSupported bool      `json:"reissue_supported"`
	// ReissueActive: a reissue was running (external DCV waits for it).
	ReissueActive bool `json:"reissue_active,omitempty"`
}

type privateGetter interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}

func getPrivate[T any](ctx context.Context, p privateGetter, key string) T {
	var v T
	if p == nil {
		return v
	}
	if b, _ := p.GetKey(ctx, key); len(b) > 0 {
		_ = json.Unmarshal(b, &v)
	}
	return v
}

func setPrivate(ctx context.Context, p privateSetter, key string, v any) diag.Diagnostics {
	if p == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return p.SetKey(ctx, key, b)
}

// ----- validation --------------------------------------------------------

// ValidateConfig checks what can be checked without the API.
func (r *certificateResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m certificateModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !m.DCVEmails.IsNull() && !m.DCVEmails.IsUnknown() && !m.DCVMethod.IsUnknown() && m.DCVMethod.ValueString() != regfish.DCVMethodEmail {
		resp.Diagnostics.AddAttributeError(path.Root("dcv_emails"), "dcv_emails Needs E-mail Validation",
			`dcv_emails is only used with dcv_method = "email".`)
	}
	if !m.RenewBeforeDays.IsNull() && !m.RenewBeforeDays.IsUnknown() && !m.ValidityDays.IsNull() && !m.ValidityDays.IsUnknown() &&
		m.RenewBeforeDays.ValueInt64() >= m.ValidityDays.ValueInt64() {
		resp.Diagnostics.AddAttributeError(path.Root("renew_before_days"), "renew_before_days Too Large", renewBeforeTooLarge(m.RenewBeforeDays.ValueInt64(), m.ValidityDays.ValueInt64()))
	}
	validateDCVPublisher(m, &resp.Diagnostics)
	if m.CSR.IsUnknown() || m.CSR.IsNull() || m.CommonName.IsUnknown() || m.DNSNames.IsUnknown() {
		return
	}
	if msg := order.CheckCSR(m.CSR.ValueString(), m.CommonName.ValueString(), setStrings(ctx, m.DNSNames)); msg != "" {
		resp.Diagnostics.AddAttributeError(path.Root("csr"), "Invalid CSR", msg)
	}
}

// validateDCVPublisher: external publishing is for DNS validation only.
func validateDCVPublisher(m certificateModel, diags *diag.Diagnostics) {
	if m.DCVPublisher.ValueString() == dcvPublisherExternal && !m.DCVMethod.IsUnknown() && m.DCVMethod.ValueString() == regfish.DCVMethodEmail {
		diags.AddAttributeError(path.Root("dcv_publisher"), "dcv_publisher Needs DNS Validation",
			`dcv_publisher = "external" publishes DNS records, but dcv_method is "email". Remove dcv_publisher, or use dcv_method = "dns-cname-token".`)
	}
}

func renewBeforeTooLarge(rbd, validity int64) string {
	return fmt.Sprintf("renew_before_days (%d) must be smaller than the certificate's validity of %d days, or the certificate would be renewed as soon as it is issued.", rbd, validity)
}

// nameOrderInErrors adds the certificate id to the plan's errors that do
// not name it (an API that cannot be used is found out before any order is
// looked at), so that every error about an existing order names it.
func nameOrderInErrors(diags *diag.Diagnostics, id string) {
	if id == "" {
		return
	}
	for i, d := range *diags {
		if d.Severity() != diag.SeverityError || strings.Contains(d.Summary()+d.Detail(), id) {
			continue
		}
		detail := d.Detail() + "\n\nCertificate " + id + " is unchanged."
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			(*diags)[i] = diag.NewAttributeErrorDiagnostic(wp.Path(), d.Summary(), detail)
		} else {
			(*diags)[i] = diag.NewErrorDiagnostic(d.Summary(), detail)
		}
	}
}

// checkCatalog validates the product and the names against the catalog.
func (r *certificateResource) checkCatalog(ctx context.Context, m certificateModel, diags *diag.Diagnostics) {
	if r.data == nil || m.Product.IsUnknown() {
		return
	}
	ps, err := r.data.products(ctx)
	if err != nil {
		if !r.data.apiKeyProblem(err, diags) {
			diags.AddWarning("Product Catalog Not Checked", "The product catalog could not be read at plan time, so product and names are checked at apply: "+err.Error())
		}
		return
	}
	p, ok := regfish.FindProduct(ps, m.Product.ValueString())
	if !ok {
		var skus []string
		for _, x := range ps {
			skus = append(skus, x.SKU)
		}
		diags.AddAttributeError(path.Root("product"), "Unknown TLS Product",
			fmt.Sprintf("product %q is not in the regfish catalog. Available products: %s.", m.Product.ValueString(), strings.Join(skus, ", ")))
		return
	}
	if !p.SupportsWildcard() {
		if strings.HasPrefix(m.CommonName.ValueString(), "*.") {
			diags.AddAttributeError(path.Root("common_name"), "Wildcard Needs a Wildcard Product",
				fmt.Sprintf("common_name %q is a wildcard name, but product %s does not issue wildcards; use a wildcard product such as RapidSSLWildcard.", m.CommonName.ValueString(), p.SKU))
		}
		for _, n := range setStrings(ctx, m.DNSNames) {
			if strings.HasPrefix(n, "*.") {
				diags.AddAttributeError(path.Root("dns_names"), "Wildcard Needs a Wildcard Product",
					fmt.Sprintf("dns_names holds the wildcard name %q, but product %s does not issue wildcards.", n, p.SKU))
			}
		}
	}
	if p.MaxValidityDays > 0 && !m.ValidityDays.IsNull() && !m.ValidityDays.IsUnknown() && m.ValidityDays.ValueInt64() > int64(p.MaxValidityDays) {
		diags.AddAttributeError(path.Root("validity_days"), "Validity Too Long",
			fmt.Sprintf("product %s allows at most %d days, validity_days is %d.", p.SKU, p.MaxValidityDays, m.ValidityDays.ValueInt64()))
	}
	if !p.OrganizationRequired && p.Level() == "dv" && !m.OrgID.IsNull() && !m.OrgID.IsUnknown() {
		diags.AddAttributeWarning(path.Root("org_id"), "org_id Is Ignored", fmt.Sprintf("product %s is a DV product; org_id has no effect on it.", p.SKU))
	}
	if p.OrganizationRequired && !m.OrgID.IsNull() && !m.OrgID.IsUnknown() {
		r.checkOrg(ctx, m.OrgID.ValueString(), diags)
	}
}

// checkOrg verifies at plan time that org_id names an organization of the
// account (when it is known then).
func (r *certificateResource) checkOrg(ctx context.Context, id string, diags *diag.Diagnostics) {
	org, err := r.data.client.GetOrganization(ctx, id)
	switch {
	case regfish.IsNotFound(err):
		diags.AddAttributeError(path.Root("org_id"), "Unknown TLS Organization",
			fmt.Sprintf("org_id %s is not a TLS organization of this regfish account.", id))
	case err != nil:
		if !r.data.apiKeyProblem(err, diags) {
			tflog.Debug(ctx, "regfish: could not check org_id at plan time", map[string]any{"error": err.Error()})
		}
	case !org.UsableForOrdering:
		diags.AddAttributeWarning(path.Root("org_id"), "TLS Organization Not Usable Yet",
			fmt.Sprintf("TLS organization %s has status %q and is not usable for ordering yet: the order will wait, staged, until it is.", id, org.Status))
	}
}

// dcvZoneProblems returns, for DNS-validated orders, the names that no DNS
// zone of the account holds, with the attribute each comes from. An error
// means the zones could not be listed.
func (d *providerData) dcvZoneProblems(ctx context.Context, spec order.Spec) (map[string]path.Path, error) {
	if spec.DCVMethod != regfish.DCVMethodCNAME || spec.External {
		return nil, nil
	}
	out := map[string]path.Path{}
	for _, n := range spec.Names() {
		_, err := d.ZoneFor(ctx, strings.TrimPrefix(n, "*."))
		if errors.Is(err, order.ErrNoZone) {
			p := path.Root("dns_names")
			if n == regfish.Hostname(spec.CommonName) {
				p = path.Root("common_name")
			}
			out[n] = p
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkDCVZones fails the plan when a DNS-validated order is for a name no
// zone of the account holds: the order would be paid and never validate.
func (r *certificateResource) checkDCVZones(ctx context.Context, spec order.Spec, diags *diag.Diagnostics) {
	bad, err := r.data.dcvZoneProblems(ctx, spec)
	if err != nil {
		if !r.data.apiKeyProblem(err, diags) {
			diags.AddWarning("DNS Zones Not Checked", "The account's DNS zones could not be listed at plan time; the apply checks them before ordering: "+err.Error())
		}
		return
	}
	for n, p := range bad {
		diags.AddAttributeError(p, "Name Outside the Account's DNS Zones", dcvZoneDetail(n))
	}
}

func dcvZoneDetail(name string) string {
	return fmt.Sprintf("%s lies in no DNS zone of this regfish account, so its dns-cname-token validation record cannot be published and the order would never be issued. "+
		"Add the zone to regfish DNS, or use dcv_method = \"email\".", name)
}

// ----- the plan ----------------------------------------------------------

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
		if prev := getPrivate[planRecord](ctx, req.Private, privatePlan); prev.Intent != "" {
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
				r.previewAdoption(ctx, spec, want, &resp.Diagnostics)
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
	rec.Intent, rec.Actions = intentUpdate, d.Actions
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
func (r *certificateResource) previewAdoption(ctx context.Context, spec order.Spec, want certWish, diags *diag.Diagnostics) {
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
}
