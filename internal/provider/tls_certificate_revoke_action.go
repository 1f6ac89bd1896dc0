package provider

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The regfish_tls_certificate_revoke action (Terraform 1.14 and later):
// revoke a certificate now, e.g. after a key compromise, without destroying
// or tainting its resource. The action changes the order only; the
// resource's next refresh reads the status "revoked", and its plan then
// shows the new order the decision places for a dead order (DESIGN.md).

var (
	_ action.ActionWithConfigure  = (*certificateRevokeAction)(nil)
	_ action.ActionWithModifyPlan = (*certificateRevokeAction)(nil)
)

// certificateIDAttr is the certificate_id argument of both actions.
func certificateIDAttr(what string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "Public id of the certificate to " + what + ", e.g. `regfish_tls_certificate.www.id`.",
		Required:            true,
		Validators:          []validator.String{stringvalidator.RegexMatches(certIDRe, "must be a certificate id such as 7K9QW3M2ZT8HJ")},
	}
}

// NewCertificateRevokeAction is the regfish_tls_certificate_revoke action.
func NewCertificateRevokeAction() action.Action { return &certificateRevokeAction{} }

type certificateRevokeAction struct{ data *providerData }

type certificateRevokeModel struct {
	CertificateID types.String `tfsdk:"certificate_id"`
	Reason        types.String `tfsdk:"reason"`
}

func (a *certificateRevokeAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_certificate_revoke"
}

func (a *certificateRevokeAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Revokes an issued (or expired) certificate now, with a reason, e.g. after its key was compromised: " +
			"`terraform apply -invoke=action.regfish_tls_certificate_revoke.NAME`. Only the certificate is revoked; its order " +
			"stays. The `regfish_tls_certificate` resource that holds it is not changed by the action: its next refresh reads the " +
			"status `revoked`, and its next plan shows a **new order** in its place (\"New Certificate Order Instead of …\"), " +
			"because a revoked certificate can never be used again. Give the resource a CSR with a new key before that apply, " +
			"or remove the resource from the configuration if no certificate is wanted any more. Revoking a revoked certificate " +
			"changes nothing; a pending order cannot be revoked (destroy the resource to cancel it).",
		Attributes: map[string]schema.Attribute{
			"certificate_id": certificateIDAttr("revoke"),
			"reason": schema.StringAttribute{
				MarkdownDescription: "Why the certificate is revoked, e.g. `key compromise`; sent to regfish with the request.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
			},
		},
	}
}

func (a *certificateRevokeAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// revocable reads certificate id and tells whether it can be revoked: an
// error for a missing or unrevocable one; done when it is revoked already.
func (d *providerData) revocable(ctx context.Context, id string, diags *diag.Diagnostics) (c *regfish.Certificate, done bool) {
	c, err := d.client.GetCertificate(ctx, id)
	switch {
	case regfish.IsNotFound(err):
		diags.AddAttributeError(path.Root("certificate_id"), "Certificate Not Found",
			fmt.Sprintf("certificate_id %s: the regfish account has no such certificate; nothing was revoked.", id))
		return nil, false
	case err != nil:
		if !d.apiKeyProblem(err, diags) {
			diags.AddError("Unable to Read Certificate", fmt.Sprintf("Reading certificate %s before revoking it: %v. Nothing was revoked.", id, err))
		}
		return nil, false
	}
	switch strings.ToLower(c.Status) {
	case regfish.StatusIssued, regfish.StatusExpired:
		return c, false
	case regfish.StatusRevoked, regfish.StatusOrderCancelled:
		return c, true
	case regfish.StatusPending:
		diags.AddAttributeError(path.Root("certificate_id"), "Certificate Not Issued",
			fmt.Sprintf("certificate_id %s: the order is still pending (order_state %s), there is no certificate to revoke. To stop the order, destroy its regfish_tls_certificate resource, which cancels it.", id, cmp.Or(c.OrderState, "-")))
	default:
		diags.AddAttributeError(path.Root("certificate_id"), "Certificate Cannot Be Revoked",
			fmt.Sprintf("certificate_id %s: the order has status %q and holds no certificate to revoke.", id, c.Status))
	}
	return c, false
}

// ModifyPlan checks at plan time that the certificate exists and can be
// revoked.
func (a *certificateRevokeAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m certificateRevokeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || a.data == nil || m.CertificateID.IsUnknown() || m.CertificateID.IsNull() {
		return
	}
	id := m.CertificateID.ValueString()
	if _, done := a.data.revocable(ctx, id, &resp.Diagnostics); done {
		resp.Diagnostics.AddWarning("Certificate "+id+" Already Revoked", "Certificate "+id+" is revoked already; invoking the action changes nothing.")
	}
}

func (a *certificateRevokeAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m certificateRevokeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if a.data == nil {
		notConfigured(&resp.Diagnostics, "the action ran")
		return
	}
	id, reason := m.CertificateID.ValueString(), m.Reason.ValueString()
	ctx = tflog.SetField(ctx, "certificate_id", id)
	c, done := a.data.revocable(ctx, id, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if done {
		progress(resp.SendProgress, "Certificate %s is revoked already (status %s); nothing to do.", id, c.Status)
		return
	}
	// The revoke path is assumed (CONTRACT.md): the certificate read back
	// afterwards, not the answer, says whether it was revoked.
	c, err := a.data.RevokeCertificate(ctx, id, regfish.RevokeRequest{Comments: reason, Scope: "certificate"})
	if err != nil {
		resp.Diagnostics.AddError("Unable to Revoke Certificate "+id, fmt.Sprintf("Revoking certificate %s: %v.", id, err))
		return
	}
	tflog.Info(ctx, "regfish: revoked certificate "+id+" (action)", map[string]any{"reason": reason, "status": c.Status})
	next := "The next plan of the regfish_tls_certificate resource that holds it places a new order in its place (the plan says so); " +
		"give that resource a CSR with a new key before applying it, or remove the resource if no certificate is wanted any more."
	if !strings.EqualFold(c.Status, regfish.StatusRevoked) {
		resp.Diagnostics.AddWarning("Revocation of Certificate "+id+" Requested",
			fmt.Sprintf("regfish accepted the revocation of certificate %s (reason: %s), but its status is still %q (revocation_pending_scope %s): the CA completes it later. %s",
				id, reason, c.Status, cmp.Or(c.RevocationPendingScope, "-"), next))
		return
	}
	progress(resp.SendProgress, "Certificate %s (serial %s) revoked: %s.", id, cmp.Or(c.SerialNumber, "-"), reason)
	resp.Diagnostics.AddWarning("Certificate "+id+" Revoked", fmt.Sprintf("Certificate %s (serial %s) is revoked (reason: %s). %s", id, cmp.Or(c.SerialNumber, "-"), reason, next))
}

// progress sends a progress line to Terraform when it listens.
func progress(send func(action.InvokeProgressEvent), format string, args ...any) {
	if send != nil {
		send(action.InvokeProgressEvent{Message: fmt.Sprintf(format, args...)})
	}
}
