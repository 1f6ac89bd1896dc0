package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// regfish_tls_certificate_validation: the second half of external DCV (as
// aws_acm_certificate_validation is for ACM). regfish_tls_certificate with
// dcv_publisher = "external" places the order and exports its DCV records;
// any DNS resource publishes them; this resource waits until the order is
// issued and hands the chain to its dependents. It never places, completes
// or cancels an order: an interrupted wait is simply waited for again.

var (
	_ resource.ResourceWithConfigure   = (*certificateValidationResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*certificateValidationResource)(nil)
	_ resource.ResourceWithImportState = (*certificateValidationResource)(nil)
)

// NewCertificateValidationResource is the regfish_tls_certificate_validation resource.
func NewCertificateValidationResource() resource.Resource { return &certificateValidationResource{} }

type certificateValidationResource struct{ data *providerData }

type certificateValidationModel struct {
	ID                types.String   `tfsdk:"id"`
	CertificateID     types.String   `tfsdk:"certificate_id"`
	DCVRecords        types.Map      `tfsdk:"dcv_records"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
	CertificatePEM    types.String   `tfsdk:"certificate_pem"`
	ChainPEM          types.String   `tfsdk:"chain_pem"`
	FullChainPEM      types.String   `tfsdk:"full_chain_pem"`
	NotBefore         types.String   `tfsdk:"not_before"`
	NotAfter          types.String   `tfsdk:"not_after"`
	SerialNumber      types.String   `tfsdk:"serial_number"`
	SHA256Fingerprint types.String   `tfsdk:"sha256_fingerprint"`
}

// issuedFields is the one list of the attributes that describe the
// certificate this resource hands to its dependents.
func (m *certificateValidationModel) issuedFields() []*types.String {
	return []*types.String{&m.CertificatePEM, &m.ChainPEM, &m.FullChainPEM, &m.NotBefore, &m.NotAfter, &m.SerialNumber, &m.SHA256Fingerprint}
}

func (m *certificateValidationModel) applyIssued(ic *order.IssuedCert) {
	fields := m.issuedFields()
	for i, v := range certAttributes(ic) {
		*fields[i] = v
	}
}

func (r *certificateValidationResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_certificate_validation"
}

func (r *certificateValidationResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	issued := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true, PlanModifiers: useStateS}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: fmt.Sprintf("Waits until a certificate whose DCV records another DNS provider publishes "+
			"(`regfish_tls_certificate` with `dcv_publisher = \"%s\"`) is issued, then exposes the chain: the attributes "+
			"dependents use. Create and every update **block** until the order is issued with no reissue in progress; a change "+
			"of `certificate_id` (a renewal order, a new order) or of `dcv_records` (a reissue, a renewal) waits for the new "+
			"certificate, while the state keeps the current one. It never places, completes or cancels an order: an "+
			"interrupted wait fails the apply and the next apply waits again. Destroying it does nothing to the order. "+
			"See the guide [Validating through another DNS provider](../guides/external-dns-validation.md).", dcvPublisherExternal),
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The id of the certificate order whose certificate this resource holds: `certificate_id` once its wait succeeded.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"certificate_id": schema.StringAttribute{
				MarkdownDescription: "Id of the certificate order to wait for: `regfish_tls_certificate.x.id`. A renewal order or a new " +
					"order changes it; the update then waits for the new order.",
				Required:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"dcv_records": schema.MapNestedAttribute{
				MarkdownDescription: "Pass `regfish_tls_certificate.x.dcv_records`. Not used for the wait itself, but a change of the " +
					"records — a reissue for a key rotation or renewal, a renewal order — makes the update wait for the new certificate, " +
					"and the plan shows it. Add `depends_on` on the DNS resources that publish the records so that the wait starts " +
					"after they are published.",
				Optional: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":  schema.StringAttribute{Required: true, MarkdownDescription: "Record name."},
					"type":  schema.StringAttribute{Required: true, MarkdownDescription: "Record type."},
					"value": schema.StringAttribute{Required: true, MarkdownDescription: "Record value."},
				}},
			},
			"certificate_pem":    issued("The issued leaf certificate (PEM)."),
			"chain_pem":          issued("The intermediate certificates (PEM), without the leaf and the root."),
			"full_chain_pem":     issued("Leaf followed by the intermediates (PEM), what most servers and load balancers want."),
			"not_before":         issued("Start of the certificate's validity (RFC 3339)."),
			"not_after":          issued("End of the certificate's validity (RFC 3339)."),
			"serial_number":      issued("Serial number as `openssl x509 -serial` prints it: upper-case hex, two digits per byte, leading zeros kept."),
			"sha256_fingerprint": issued("SHA-256 fingerprint of the leaf certificate (DER), lower-case hex."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true,
				CreateDescription: "How long to wait for issuance (default: `30m` for DV, `2h` for OV/EV products). When it passes, " +
					"the apply fails; the order is kept and the next apply waits again.",
				UpdateDescription: "How long an update waits for a new certificate (after a reissue for a key rotation or renewal, a " +
					"renewal order or a new order). Default: `30m` for DV, `2h` for OV/EV products, by the order's product — not the " +
					"`create` value: to shorten it, set `update`. When it passes, the apply fails " +
					"and the current certificate stays in the state.",
			}),
		},
	}
}

func (r *certificateValidationResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan marks the certificate unknown when the apply waits for a new
// one: a new certificate_id, or changed DCV records.
func (r *certificateValidationResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan certificateValidationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = plan.CertificateID
	if !req.State.Raw.IsNull() {
		var state certificateValidationModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		if !waitsForNew(state, plan) {
			plan.ID = state.ID
			resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
			return
		}
	}
	for _, f := range plan.issuedFields() {
		*f = types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// waitsForNew reports whether an update waits for another certificate
// than the state's: the id or the DCV records change (or are unknown).
func waitsForNew(state, plan certificateValidationModel) bool {
	return !plan.CertificateID.Equal(state.CertificateID) || !plan.DCVRecords.Equal(state.DCVRecords)
}

// defaultTimeout is the wait's default for order c: as for the
// certificate resource, by its product.
func (r *certificateValidationResource) defaultTimeout(ctx context.Context, c *regfish.Certificate) time.Duration {
	return (&certificateResource{data: r.data}).defaultTimeout(ctx, c.Product)
}

// readOrder reads order id; a missing order and a failed read are errors
// that say what to do.
func (r *certificateValidationResource) readOrder(ctx context.Context, id, summary string, diags interface {
	AddError(string, string)
}) *regfish.Certificate {
	c, err := r.data.client.GetCertificate(ctx, id)
	switch {
	case regfish.IsNotFound(err):
		diags.AddError(summary, fmt.Sprintf("Certificate order %s does not exist in the regfish account. Check certificate_id (regfish_tls_certificate.x.id).", id))
		return nil
	case err != nil:
		diags.AddError(summary, fmt.Sprintf("Reading certificate %s: %v. Nothing was changed; run terraform apply again.", id, err))
		return nil
	}
	return c
}

// waitIssued waits until order id is issued with no reissue in progress
// and downloads its certificate. first is the order as just read. When
// oldSerial is set (an update on the same order that waits for a new
// certificate), a failed reissue that left that certificate in place is an
// error, never a silent success with the old chain.
//
// While the CA waits for DCV records, every check also says what DNS shows
// of them (dcv_resolvers): in the progress line, and in dns, the findings
// of the last check, for the error. They decide nothing.
func (r *certificateValidationResource) waitIssued(ctx context.Context, id string, first *regfish.Certificate, oldSerial string) (ic *order.IssuedCert, last *regfish.Certificate, dns []order.DNSFinding, err error) {
	last = first
	withDNS := func(ctx context.Context, st order.WaitState, c *regfish.Certificate) order.WaitState {
		found := order.KeepAnswered(dns, r.data.DNSFindings(ctx, c))
		if ctx.Err() == nil || dns == nil {
			dns = found // a report cut short by the deadline says less than the last one
		}
		if rep := order.DNSReport(dns); rep != "" {
			st.Detail += "; " + rep
		}
		return st
	}
	_, err = r.data.Waiter().Wait(ctx, "issuance", id, func(ctx context.Context) (order.WaitState, error) {
		c := first
		first = nil
		if c == nil {
			var err error
			if c, err = r.data.client.GetCertificate(ctx, id); err != nil {
				if regfish.IsNotFound(err) {
					return order.WaitState{}, fmt.Errorf("certificate order %s no longer exists in the regfish account", id)
				}
				return order.WaitState{}, err
			}
		}
		last = c
		st := order.WaitStateOf(c)
		switch {
		case order.DeadStatus(c.Status):
			return st, order.TerminalError(c)
		case c.Reissue.Active():
			st.PendingReason = "reissue " + c.Reissue.Status
			st.Detail = "waiting for the DCV records of the reissue to be published"
			return withDNS(ctx, st, c), nil
		case c.ActionRequired:
			st.Detail = "completion: " + c.CompletionURL
			return st, nil
		case !c.Ready():
			st.Detail = "waiting for the DCV records to be published"
			return withDNS(ctx, st, c), nil
		case oldSerial != "" && c.Reissue.Failed() && order.SameSerialText(c.SerialNumber, oldSerial):
			return st, fmt.Errorf("reissue %d of certificate %s ended with status %q; regfish still serves the current certificate (serial %s)", c.Reissue.ID, id, c.Reissue.Status, oldSerial)
		}
		got, err := r.data.Orderer(order.Spec{}).Download(ctx, id)
		if err != nil || got == nil {
			st.Detail = "PEM not available yet"
			return st, err
		}
		ic = got
		st.Done = true
		return st, nil
	})
	return ic, last, dns, err
}

// notValidatedDetail explains a wait that ended before issuance.
func notValidatedDetail(id string, c *regfish.Certificate, err error, dns []order.DNSFinding, kept string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n\n", err)
	switch {
	case c != nil && order.DeadStatus(c.Status):
		b.WriteString("The order can never be issued; regfish_tls_certificate plans a new order at the next apply.")
	case c != nil && c.ActionRequired && c.CompletionURL != "":
		fmt.Fprintf(&b, "The order waits for its TLS organization: complete it at %s, or set org_id on the certificate.", c.CompletionURL)
	default:
		if recs := order.ActiveDCVRecords(c); len(recs) > 0 {
			var names []string
			for _, v := range recs {
				names = append(names, fmt.Sprintf("%s CNAME %s", regfish.Hostname(v.Name), regfish.Hostname(v.Value)))
			}
			fmt.Fprintf(&b, "The CA still waits for the DCV records %s. Check that your DNS resources publish them (dcv_records) and that they resolve. ", strings.Join(names, "; "))
			if a := order.DNSAdvice(dns); a != "" {
				b.WriteString(a + " ")
			}
		}
		fmt.Fprintf(&b, "Certificate order %s is kept; the next terraform apply waits for it again (no order is placed).", id)
	}
	if kept != "" {
		b.WriteString(" " + kept)
	}
	return b.String()
}

func (r *certificateValidationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan certificateValidationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := plan.CertificateID.ValueString()
	ctx = tflog.SetField(ctx, "certificate_id", id)
	c := r.readOrder(ctx, id, "Certificate "+id+" Not Validated", &resp.Diagnostics)
	if c == nil {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, r.defaultTimeout(ctx, c))
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	wctx, cancel := order.WithDeadline(ctx, "timeouts.create", timeout)
	defer cancel()
	ic, last, dns, err := r.waitIssued(wctx, id, c, "")
	if err != nil {
		// Nothing is saved: this resource holds no order, and dependents
		// get no certificate. The next apply creates it again, and waits.
		resp.Diagnostics.AddError("Certificate "+id+" Not Issued", notValidatedDetail(id, last, err, dns, "Resources that use this certificate are not changed."))
		return
	}
	plan.ID = types.StringValue(id)
	plan.applyIssued(ic)
	r.expiredWarning(id, last, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *certificateValidationResource) expiredWarning(id string, c *regfish.Certificate, diags interface{ AddWarning(string, string) }) {
	if c != nil && strings.EqualFold(c.Status, regfish.StatusExpired) {
		diags.AddWarning("Certificate "+id+" Has Expired",
			fmt.Sprintf("Certificate %s has expired; regfish_tls_certificate renews it at the next apply (the plan says how).", id))
	}
}

func (r *certificateValidationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state certificateValidationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !waitsForNew(state, plan) {
		// timeouts only
		plan.ID = state.ID
		for i, f := range state.issuedFields() {
			*plan.issuedFields()[i] = *f
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	id := plan.CertificateID.ValueString()
	ctx = tflog.SetField(ctx, "certificate_id", id)
	// Until the new certificate is downloaded, the state keeps the
	// current one (and the current id and records: the next plan shows
	// the wait again).
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	kept := fmt.Sprintf("The current certificate (serial %s of certificate %s) stays in the state, and resources that use it are not changed.",
		state.SerialNumber.ValueString(), state.CertificateID.ValueString())
	c := r.readOrder(ctx, id, "Certificate "+id+" Not Issued", &resp.Diagnostics)
	if c == nil {
		return
	}
	timeout, d := plan.Timeouts.Update(ctx, r.defaultTimeout(ctx, c))
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	wctx, cancel := order.WithDeadline(ctx, "timeouts.update", timeout)
	defer cancel()
	oldSerial := ""
	if plan.CertificateID.Equal(state.CertificateID) {
		oldSerial = state.SerialNumber.ValueString()
	}
	ic, last, dns, err := r.waitIssued(wctx, id, c, oldSerial)
	if err != nil {
		resp.Diagnostics.AddError("Certificate "+id+" Not Issued", notValidatedDetail(id, last, err, dns, kept))
		return
	}
	plan.ID = types.StringValue(id)
	plan.applyIssued(ic)
	r.expiredWarning(id, last, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read refreshes the certificate: a new serial (issued after an apply
// stopped waiting, or reissued elsewhere) is downloaded; an order that is
// gone removes the resource from the state.
func (r *certificateValidationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m certificateValidationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.CertificateID.ValueString()
	if id == "" {
		id = m.ID.ValueString() // after an import
		m.CertificateID = types.StringValue(id)
	}
	var err error
	c := r.data.ListedForRefresh(ctx, id)
	if c == nil {
		c, err = r.data.client.GetCertificate(ctx, id)
	}
	if regfish.IsNotFound(err) {
		// confirmed by the account's listing, as for the certificate
		if gone, lerr := r.data.OrderGone(ctx, id); lerr != nil || !gone {
			resp.Diagnostics.AddError("Unable to Read Certificate",
				fmt.Sprintf("Reading certificate %s answered 404, but the account's order list could not confirm that it is gone (%v). The state is kept; check base_url and run the plan again.", id, orNil(lerr, "it is listed")))
			return
		}
		resp.Diagnostics.AddWarning("Certificate Order Not Found",
			fmt.Sprintf("Certificate order %s no longer exists in the regfish account. Its validation is removed from the state; the next apply waits for the certificate regfish_tls_certificate holds then.", id))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		if !r.data.apiKeyProblem(err, &resp.Diagnostics) {
			resp.Diagnostics.AddError("Unable to Read Certificate", fmt.Sprintf("Reading certificate %s: %v", id, err))
		}
		return
	}
	if c.Ready() && !c.Reissue.Active() && (m.SerialNumber.IsNull() || !order.SameSerialText(m.SerialNumber.ValueString(), c.SerialNumber)) {
		ic, derr := r.data.Orderer(order.Spec{}).Download(ctx, id)
		switch {
		case derr != nil:
			tflog.Warn(ctx, "regfish: could not download the certificate during refresh", map[string]any{"certificate_id": id, "error": derr.Error()})
		case ic != nil:
			tflog.Info(ctx, "regfish: certificate "+id+" has a new serial "+c.SerialNumber, map[string]any{"certificate_id": id, "previous_serial": m.SerialNumber.ValueString()})
			m.applyIssued(ic)
		}
	}
	m.SerialNumber = normalSerial(m.SerialNumber)
	if m.ID.IsNull() || m.ID.IsUnknown() {
		m.ID = types.StringValue(id)
	}
	for _, f := range m.issuedFields() {
		if f.IsUnknown() {
			*f = types.StringNull()
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Delete forgets the validation; the order is regfish_tls_certificate's.
func (r *certificateValidationResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// ImportState takes a certificate id; the next refresh downloads its
// certificate.
func (r *certificateValidationResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := strings.TrimSpace(req.ID)
	if id == "" || strings.ContainsAny(id, "/ ") {
		resp.Diagnostics.AddError("Invalid Import ID", fmt.Sprintf("Import a certificate validation by the certificate's public id such as 7K9QW3M2ZT8HJ, got %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("certificate_id"), id)...)
}
