package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The regfish_tls_certificate_reissue action (Terraform 1.14 and later):
// reissue a certificate on its order now, with the same key or a new one,
// through the same Orderer and waiter as the resource's reissue. The action
// changes the order only; the resource's next refresh downloads the new
// certificate, and when its key is not the key of the resource's csr the
// refresh forgets that csr, so the next plan shows what is left: the new
// csr to record, or the reissue back to the configured key.

var (
	_ action.ActionWithConfigure  = (*certificateReissueAction)(nil)
	_ action.ActionWithModifyPlan = (*certificateReissueAction)(nil)
)

const defaultReissueTimeout = defaultCreateTimeoutDV

// NewCertificateReissueAction is the regfish_tls_certificate_reissue action.
func NewCertificateReissueAction() action.Action { return &certificateReissueAction{} }

type certificateReissueAction struct{ data *providerData }

type certificateReissueModel struct {
	CertificateID types.String         `tfsdk:"certificate_id"`
	CSR           types.String         `tfsdk:"csr"`
	PrivateKeyWO  types.String         `tfsdk:"private_key_wo"`
	Reason        types.String         `tfsdk:"reason"`
	Timeout       timetypes.GoDuration `tfsdk:"timeout"`
}

func (a *certificateReissueAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_certificate_reissue"
}

func (a *certificateReissueAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reissues a certificate on its order now — same order, same id, no new order — and waits until the " +
			"new certificate is issued: `terraform apply -invoke=action.regfish_tls_certificate_reissue.NAME`. Pass the " +
			"resource's own `csr` to reissue for the same key, or a CSR with a **new key** to rotate it. The DCV records are " +
			"published and removed as for the resource. The `regfish_tls_certificate` resource is not changed by the action: " +
			"its next refresh takes the new certificate. With a new key, set the resource's `csr` to the new CSR too: its next " +
			"plan then only records it; with the old `csr` left in the configuration, the next plan reissues back to that key " +
			"(the plan says so).",
		Attributes: map[string]schema.Attribute{
			"certificate_id": certificateIDAttr("reissue"),
			"csr": schema.StringAttribute{
				MarkdownDescription: "PEM CSR to reissue with: the resource's `csr` (e.g. `regfish_tls_certificate.www.csr`) for " +
					"the same key, or one with a new key. Its names must be the certificate's names (checked at plan time). " +
					"Either `csr` or `private_key_wo` is required: regfish keeps no CSR to reissue with.",
				Optional: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1),
					stringvalidator.ExactlyOneOf(path.MatchRoot("csr"), path.MatchRoot("private_key_wo"))},
			},
			"private_key_wo": schema.StringAttribute{
				MarkdownDescription: "**Write-only** PEM private key to reissue with instead of `csr` (e.g. an ephemeral " +
					"`tls_private_key`): the action builds the CSR for the certificate's names in memory and never stores or logs the " +
					"key. Accepted keys: " + keyTypesAccepted + ". The key reaches no server through this action: for a certificate " +
					"whose resource takes its key from `private_key_wo`, rotating with a new `private_key_wo_version` (which a secret " +
					"store can follow in the same apply) is usually the better way.",
				Optional:   true,
				WriteOnly:  true,
				Validators: []validator.String{privateKeyValidator{}},
			},
			"reason": schema.StringAttribute{
				MarkdownDescription: "Why the certificate is reissued; sent to regfish as the request's comment.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
			},
			"timeout": schema.StringAttribute{
				CustomType: timetypes.GoDurationType{},
				MarkdownDescription: fmt.Sprintf("How long to wait for the reissued certificate, a Go duration (default: `%dm`). When "+
					"it passes, the action fails but the reissue goes on at regfish: the resource's next refresh takes the new "+
					"certificate once it is issued, and invoking the action again waits for the same reissue.", int(defaultReissueTimeout.Minutes())),
				Optional:   true,
				Validators: []validator.String{durationAtLeast(time.Second)},
			},
		},
	}
}

func (a *certificateReissueAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// reissuable reads certificate id and checks that it can be reissued for
// csr (when csr is known).
func (d *providerData) reissuable(ctx context.Context, id string, csr *string, diags *diag.Diagnostics) *regfish.Certificate {
	c, err := d.client.GetCertificate(ctx, id)
	switch {
	case regfish.IsNotFound(err):
		diags.AddAttributeError(path.Root("certificate_id"), "Certificate Not Found",
			fmt.Sprintf("certificate_id %s: the regfish account has no such certificate; nothing was reissued.", id))
		return nil
	case err != nil:
		if !d.apiKeyProblem(err, diags) {
			diags.AddError("Unable to Read Certificate", fmt.Sprintf("Reading certificate %s before reissuing it: %v. Nothing was reissued.", id, err))
		}
		return nil
	}
	if !c.ReissueSupported && !c.Reissue.Active() {
		diags.AddAttributeError(path.Root("certificate_id"), "Certificate Cannot Be Reissued",
			fmt.Sprintf("certificate_id %s: the certificate cannot be reissued now (status %s, reissue_supported false): only an issued certificate whose order's contract lasts can be. "+
				"A pending order is waited for by its resource; an expired or dead one is renewed or replaced by a new order by its resource's next plan.", id, c.Status))
		return nil
	}
	if csr != nil {
		if msg := order.CheckCSR(*csr, regfish.Hostname(c.CommonName), c.Names()); msg != "" {
			diags.AddAttributeError(path.Root("csr"), "Invalid CSR", fmt.Sprintf("csr does not fit certificate %s (%s): %s", id, strings.Join(c.Names(), ", "), msg))
			return nil
		}
	}
	return c
}

// ModifyPlan checks at plan time that the certificate can be reissued for
// the CSR.
func (a *certificateReissueAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m certificateReissueModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || a.data == nil || m.CertificateID.IsUnknown() || m.CertificateID.IsNull() {
		return
	}
	var csr *string
	if !m.CSR.IsUnknown() && !m.CSR.IsNull() {
		s := m.CSR.ValueString()
		csr = &s
	}
	a.data.reissuable(ctx, m.CertificateID.ValueString(), csr, &resp.Diagnostics)
}

func (a *certificateReissueAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m certificateReissueModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if a.data == nil {
		notConfigured(&resp.Diagnostics, "the action ran")
		return
	}
	id, csr := m.CertificateID.ValueString(), m.CSR.ValueString()
	ctx = tflog.SetField(ctx, "certificate_id", id)
	var keyCSR *string
	if m.PrivateKeyWO.IsNull() {
		keyCSR = &csr
	}
	c := a.data.reissuable(ctx, id, keyCSR, &resp.Diagnostics)
	if c == nil {
		return
	}
	if !m.PrivateKeyWO.IsNull() {
		key, err := parsePrivateKey(m.PrivateKeyWO.ValueString())
		if err == nil {
			csr, err = buildCSR(key, c.CommonName, c.DNSNames)
		}
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("private_key_wo"), "Certificate "+id+" Not Reissued", fmt.Sprintf("private_key_wo cannot be used: %v. Nothing was reissued.", err))
			return
		}
	}
	timeout := defaultReissueTimeout
	if !m.Timeout.IsNull() {
		timeout, _ = m.Timeout.ValueGoDuration()
	}
	ctx, cancel := order.WithDeadline(ctx, "the action's timeout", timeout)
	defer cancel()
	method := regfish.DCVMethodCNAME
	if c.Validation != nil && c.Validation.Method != "" {
		method = c.Validation.Method
	}
	why := "reissue action"
	if r := m.Reason.ValueString(); r != "" {
		why += ": " + r
	}
	o := a.data.Orderer(order.Spec{Product: c.Product, CommonName: c.CommonName, DNSNames: c.DNSNames, CSR: csr, DCVMethod: method})
	defer o.ReleaseDCVHolds()
	newKey := a.data.leafKey(ctx, id) != o.KeyFP
	progress(resp.SendProgress, "Reissuing certificate %s (%s) on its order, %s; waiting up to %s for the new certificate.",
		id, strings.Join(c.Names(), ", "), map[bool]string{true: "with a new key", false: "with the same key"}[newKey], timeout)
	res, err := o.Reissue(ctx, id, why)
	if err != nil {
		resp.Diagnostics.AddError("Certificate "+id+" Not Reissued", fmt.Sprintf("%v\n\n%s", err, reissueNotDoneDetail(id, res)))
		return
	}
	if method == regfish.DCVMethodCNAME {
		if err := o.CleanUpDCV(ctx, id, c.Names()); err != nil {
			resp.Diagnostics.AddWarning("DCV Records Left in DNS", fmt.Sprintf("Certificate %s is reissued, but removing its _dnsauth records failed: %v. They are harmless and can be deleted by hand.", id, err))
		}
	}
	serial := order.SerialText(res.Issued.Leaf.SerialNumber)
	progress(resp.SendProgress, "Certificate %s reissued: serial %s, valid until %s.", id, serial, res.Issued.Leaf.NotAfter.UTC().Format(time.RFC3339))
	next := "The next refresh of its regfish_tls_certificate resource takes the new certificate."
	if newKey {
		next += " The new certificate has a new key: set the resource's csr to the CSR given to this action, or its next plan reissues the certificate back to the key of the configured csr (the plan says so)."
	}
	resp.Diagnostics.AddWarning("Certificate "+id+" Reissued", fmt.Sprintf("Certificate %s is reissued on the same order (serial %s). %s", id, serial, next))
}

// leafKey is the key fingerprint of the certificate id holds now ("" when
// it cannot be downloaded).
func (d *providerData) leafKey(ctx context.Context, id string) string {
	ic, err := d.Orderer(order.Spec{}).Download(ctx, id)
	if err != nil || ic == nil {
		return ""
	}
	return order.KeyFingerprint(ic.Leaf.PublicKey)
}

// reissueNotDoneDetail says where a reissue that did not finish stands.
func reissueNotDoneDetail(id string, res order.Result) string {
	if res.Cert != nil && res.Cert.Reissue.Active() {
		return fmt.Sprintf("The reissue of certificate %s goes on at regfish (reissue status %s). Nothing else changed: the certificate it replaces stays valid. "+
			"Invoke the action again to wait for it, or let the next refresh of the resource take the new certificate once it is issued.", id, res.Cert.Reissue.Status)
	}
	return fmt.Sprintf("Certificate %s is unchanged; the certificate it holds stays valid.", id)
}
