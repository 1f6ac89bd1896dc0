package provider

import (
	"context"
	"crypto/dsa" //nolint:staticcheck // only to reject DSA keys in CSRs
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var (
	_ resource.ResourceWithConfigure      = (*certificateResource)(nil)
	_ resource.ResourceWithImportState    = (*certificateResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*certificateResource)(nil)
	_ resource.ResourceWithValidateConfig = (*certificateResource)(nil)

	certNameRe = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// Limits and defaults of the certificate resource.
const (
	maxValidityDays        = 199
	defaultCreateTimeoutDV = 30 * time.Minute
	defaultCreateTimeoutOV = 2 * time.Hour
	defaultDeleteTimeout   = 10 * time.Minute
	privateKey             = "regfish"
)

// NewCertificateResource is the regfish_tls_certificate resource.
func NewCertificateResource() resource.Resource { return &certificateResource{} }

type certificateResource struct{ data *providerData }

type certificateModel struct {
	ID                types.String   `tfsdk:"id"`
	Product           types.String   `tfsdk:"product"`
	CommonName        types.String   `tfsdk:"common_name"`
	DNSNames          types.Set      `tfsdk:"dns_names"`
	CSR               types.String   `tfsdk:"csr"`
	OrgID             types.String   `tfsdk:"org_id"`
	DCVMethod         types.String   `tfsdk:"dcv_method"`
	DCVEmails         types.Set      `tfsdk:"dcv_emails"`
	ValidityDays      types.Int64    `tfsdk:"validity_days"`
	RevokeOnDestroy   types.Bool     `tfsdk:"revoke_on_destroy"`
	RenewBeforeDays   types.Int64    `tfsdk:"renew_before_days"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
	Status            types.String   `tfsdk:"status"`
	OrderState        types.String   `tfsdk:"order_state"`
	PendingReason     types.String   `tfsdk:"pending_reason"`
	CompletionURL     types.String   `tfsdk:"completion_url"`
	OrganizationID    types.String   `tfsdk:"organization_id"`
	ValidationRecords types.List     `tfsdk:"validation_records"`
	ValidationEmails  types.List     `tfsdk:"validation_emails"`
	CertificatePEM    types.String   `tfsdk:"certificate_pem"`
	ChainPEM          types.String   `tfsdk:"chain_pem"`
	FullChainPEM      types.String   `tfsdk:"full_chain_pem"`
	NotBefore         types.String   `tfsdk:"not_before"`
	NotAfter          types.String   `tfsdk:"not_after"`
	SerialNumber      types.String   `tfsdk:"serial_number"`
	SHA256Fingerprint types.String   `tfsdk:"sha256_fingerprint"`
	ContractValidTo   types.String   `tfsdk:"contract_valid_until"`
	RenewAfter        types.String   `tfsdk:"renew_after"`
	RenewalOrderID    types.String   `tfsdk:"renewal_order_id"`
}

var validationRecordType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"name": types.StringType, "type": types.StringType, "value": types.StringType,
}}

func (r *certificateResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_certificate"
}

// useState keeps a computed value from the state unless ModifyPlan marks
// it unknown.
var (
	useStateS = []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	useStateL = []planmodifier.List{listplanmodifier.UseStateForUnknown()}
)

func computedString(desc string) schema.StringAttribute {
	return schema.StringAttribute{MarkdownDescription: desc, Computed: true, PlanModifiers: useStateS}
}

func (r *certificateResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One TLS certificate order. Create **blocks** until the certificate is issued and downloaded: it " +
			"places the order, completes a staged OV/EV order with `org_id` (or waits for the completion in the regfish " +
			"Console), publishes the DCV CNAME records in regfish DNS, waits with backoff and downloads the PEM. " +
			"The order keeps one id from start to end, and an interrupted apply never loses it: the next apply resumes the " +
			"same order.",
		Attributes: map[string]schema.Attribute{
			"id": computedString("Public certificate id (e.g. `7K9QW3M2ZT8HJ`), stable from the order to every reissue."),
			"product": schema.StringAttribute{
				MarkdownDescription: "Product SKU, e.g. `RapidSSL` or `SecureSite` (see the `regfish_tls_products` data source). " +
					"Checked against the catalog at plan time. Changing it replaces the certificate.",
				Required:      true,
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers: []planmodifier.String{requiresReplaceFold()},
			},
			"common_name": schema.StringAttribute{
				MarkdownDescription: "Common name, a lower-case DNS name such as `www.example.com` (`*.example.com` only with a " +
					"wildcard product). Changing it replaces the certificate.",
				Required:      true,
				Validators:    []validator.String{stringvalidator.RegexMatches(certNameRe, "must be a lower-case DNS name such as www.example.com")},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"dns_names": schema.SetAttribute{
				MarkdownDescription: "Further DNS names (SANs). The common name may be listed too. Changing the set of names " +
					"replaces the certificate.",
				Optional:      true,
				ElementType:   types.StringType,
				Validators:    []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(certNameRe, "must be a lower-case DNS name such as api.example.com"))},
				PlanModifiers: []planmodifier.Set{requiresReplaceNames()},
			},
			"csr": schema.StringAttribute{
				MarkdownDescription: "PEM certificate signing request (e.g. `tls_cert_request.x.cert_request_pem`). Its names " +
					"must be `common_name` and `dns_names`; RSA (2048 bits or more) and ECDSA keys are accepted. Changing only " +
					"the CSR (key rotation) **reissues** the certificate in place on the same order.",
				Required:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"org_id": schema.StringAttribute{
				MarkdownDescription: "Public id (`hdl_...`) of the TLS organization an OV/EV order is bound to, e.g. " +
					"`regfish_tls_organization.x.id`. Without it, an order for a product that needs an organization waits until " +
					"someone completes it in the regfish Console (see `completion_url`); setting it later completes a waiting " +
					"order in place. Ignored by DV products. Changing it on a bound order replaces the certificate.",
				Optional:      true,
				Validators:    []validator.String{stringvalidator.RegexMatches(orgIDRe, "must be a TLS organization id such as hdl_7K9QW3M2ZT8HJ")},
				PlanModifiers: []planmodifier.String{requiresReplaceOrg()},
			},
			"dcv_method": schema.StringAttribute{
				MarkdownDescription: "Domain control validation method: `dns-cname-token` (default; the provider publishes the " +
					"`_dnsauth` CNAME records in regfish DNS and removes them after issuance, so every name must be in a DNS zone " +
					"of the account) or `email` (the order waits until an approver confirms the e-mail). Changing it replaces the certificate.",
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(regfish.DCVMethodCNAME),
				Validators:    []validator.String{stringvalidator.OneOf(regfish.DCVMethodCNAME, regfish.DCVMethodEmail)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"dcv_emails": schema.SetAttribute{
				MarkdownDescription: "Approver addresses for `dcv_method = \"email\"` (default: the CA's admin@, hostmaster@, ... " +
					"addresses). Only allowed with e-mail validation. Changing them replaces the certificate.",
				Optional:      true,
				ElementType:   types.StringType,
				Validators:    []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.RegexMatches(emailRe, "must be an e-mail address"))},
				PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
			},
			"validity_days": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Purchased validity in days, 1 to %d (default: the API's maximum, %d). Changing it replaces the certificate.", maxValidityDays, maxValidityDays),
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.Between(1, maxValidityDays)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplaceIfConfigured(), int64planmodifier.UseStateForUnknown()},
			},
			"revoke_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "Revoke an issued certificate when the resource is destroyed (default: `false`). Off by " +
					"default because a certificate being replaced may still be deployed. A pending order is always cancelled on destroy.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"renew_before_days": schema.Int64Attribute{
				MarkdownDescription: "Renew this many days before the certificate expires (default: a third of `validity_days`, " +
					"at most 30 and at least 1 — 30 days for the 199-day maximum). Must be smaller than `validity_days`. Once inside " +
					"the window the plan shows an in-place update that renews; see [Renewal](#renewal).",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.Int64{int64validator.Between(1, maxValidityDays-1)},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"status":          computedString("Order status: `pending`, `issued`, `expired`, `revoked`, `cancelled`, `order_cancelled`, `rejected` or `unknown`."),
			"order_state":     computedString("Provider order state, e.g. `ACTION_REQUIRED`, `PENDING`, `PENDING_APPROVAL`, `ISSUED`."),
			"pending_reason":  computedString("Why a pending order waits, e.g. `organization_required`, `validation_pending`, `approval_pending`."),
			"completion_url":  computedString("Console URL where a person completes a staged order; empty once completed."),
			"organization_id": computedString("The organization the order is bound to (`hdl_...`), empty for DV."),
			"validation_records": schema.ListNestedAttribute{
				MarkdownDescription: "The DCV records of the order (`dns-cname-token`).",
				Computed:            true,
				PlanModifiers:       useStateL,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":  schema.StringAttribute{Computed: true, MarkdownDescription: "Record name, e.g. `_dnsauth.www.example.com.`"},
					"type":  schema.StringAttribute{Computed: true, MarkdownDescription: "Record type (`CNAME`)."},
					"value": schema.StringAttribute{Computed: true, MarkdownDescription: "Record value."},
				}},
			},
			"validation_emails": schema.ListAttribute{
				MarkdownDescription: "Where the approval e-mail goes (`email` validation).",
				Computed:            true,
				ElementType:         types.StringType,
				PlanModifiers:       useStateL,
			},
			"certificate_pem":    computedString("The issued leaf certificate (PEM)."),
			"chain_pem":          computedString("The intermediate certificates (PEM), without the leaf and the root."),
			"full_chain_pem":     computedString("Leaf followed by the intermediates (PEM), what most servers and load balancers want."),
			"not_before":         computedString("Start of the certificate's validity (RFC 3339)."),
			"not_after":          computedString("End of the certificate's validity (RFC 3339)."),
			"serial_number":      computedString("Serial number, upper-case hex."),
			"sha256_fingerprint": computedString("SHA-256 fingerprint of the leaf certificate (DER), lower-case hex."),
			"contract_valid_until": computedString("End of the order's contract window (RFC 3339). When it lasts more than a day " +
				"beyond `not_after`, renewal reissues on the same order; otherwise it places a renewal order."),
			"renew_after":      computedString("When the renewal window opens: `not_after` minus `renew_before_days` (RFC 3339)."),
			"renewal_order_id": computedString("The renewal order being waited for, while a renewal is in progress (empty otherwise)."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true,
				CreateDescription: "How long Create waits for issuance (default: `30m` for DV, `2h` for OV/EV products). When it " +
					"passes, the apply fails but the order is kept; the next apply resumes it.",
				UpdateDescription: "How long a resume, reissue or renewal waits (defaults as for create).",
				DeleteDescription: "How long cancellation or revocation may take (default: `10m`).",
			}),
		},
	}
}

func (r *certificateResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// ----- plan modifiers ----------------------------------------------------

func requiresReplaceFold() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !strings.EqualFold(req.StateValue.ValueString(), req.PlanValue.ValueString())
	}, "Changing the product replaces the certificate.", "Changing the product replaces the certificate.")
}

// requiresReplaceNames replaces when the set of names changes; listing the
// common name in dns_names or not is the same set.
func requiresReplaceNames() planmodifier.Set {
	return setplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.SetRequest, resp *setplanmodifier.RequiresReplaceIfFuncResponse) {
		var cnState, cnPlan types.String
		req.State.GetAttribute(ctx, path.Root("common_name"), &cnState)
		req.Plan.GetAttribute(ctx, path.Root("common_name"), &cnPlan)
		a := regfish.NameSet(cnState.ValueString(), setStrings(ctx, req.StateValue))
		b := regfish.NameSet(cnPlan.ValueString(), setStrings(ctx, req.PlanValue))
		resp.RequiresReplace = strings.Join(a, ",") != strings.Join(b, ",")
	}, "Changing the set of names replaces the certificate.", "Changing the set of names replaces the certificate.")
}

// requiresReplaceOrg replaces unless the order waits for its organization
// (then setting org_id completes it in place).
func requiresReplaceOrg() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		var orderState types.String
		req.State.GetAttribute(ctx, path.Root("order_state"), &orderState)
		waiting := orderState.ValueString() == "ACTION_REQUIRED"
		imported := req.StateValue.IsNull() && req.PlanValue.ValueString() != ""
		resp.RequiresReplace = !waiting && !imported
	}, "Changing org_id replaces the certificate unless the order still waits for its organization.",
		"Changing `org_id` replaces the certificate unless the order still waits for its organization.")
}

func setStrings(ctx context.Context, s types.Set) []string {
	if s.IsNull() || s.IsUnknown() {
		return nil
	}
	var out []string
	s.ElementsAs(ctx, &out, false)
	return out
}

// ----- model helpers -----------------------------------------------------

// defaultRenewBefore is the renew_before_days default for a validity: a
// third of it, between 1 and 30 days.
func defaultRenewBefore(validity int) int {
	if validity <= 0 {
		validity = maxValidityDays
	}
	return max(1, min(30, validity/3))
}

// renewal modes
const (
	renewByReissue = "reissue"
	renewByOrder   = "renewal order"
)

// renewalMode is how a certificate is renewed: a reissue on the same order
// while the contract lasts more than a day beyond the certificate, else a
// renewal order (new id).
func renewalMode(notAfter, contractUntil time.Time) string {
	if !contractUntil.IsZero() && contractUntil.After(notAfter.Add(24*time.Hour)) {
		return renewByReissue
	}
	return renewByOrder
}

func parseTime(s types.String) time.Time {
	t, _ := time.Parse(time.RFC3339, s.ValueString())
	return t
}

// renewalDue reports whether the state's certificate is expired or inside
// the renewal window of rbd days at now.
func (m *certificateModel) renewalDue(rbd int64, now time.Time) bool {
	switch strings.ToLower(m.Status.ValueString()) {
	case regfish.StatusExpired:
		return true
	case regfish.StatusIssued:
		na := parseTime(m.NotAfter)
		return !na.IsZero() && !now.Before(na.AddDate(0, 0, -int(rbd)))
	}
	return false
}

// setRenewAfter derives renew_after from not_after and renew_before_days.
func (m *certificateModel) setRenewAfter() {
	na := parseTime(m.NotAfter)
	if na.IsZero() || m.RenewBeforeDays.IsNull() || m.RenewBeforeDays.IsUnknown() {
		m.RenewAfter = types.StringNull()
		return
	}
	m.RenewAfter = types.StringValue(na.AddDate(0, 0, -int(m.RenewBeforeDays.ValueInt64())).UTC().Format(time.RFC3339))
}

func (m *certificateModel) spec(ctx context.Context) orderSpec {
	s := orderSpec{
		Product: m.Product.ValueString(), CommonName: m.CommonName.ValueString(), DNSNames: setStrings(ctx, m.DNSNames),
		CSR: m.CSR.ValueString(), OrgID: m.OrgID.ValueString(), DCVMethod: m.DCVMethod.ValueString(),
		DCVEmails: setStrings(ctx, m.DCVEmails),
	}
	if s.DCVMethod == "" {
		s.DCVMethod = regfish.DCVMethodCNAME
	}
	if !m.ValidityDays.IsNull() && !m.ValidityDays.IsUnknown() {
		s.ValidityDays = int(m.ValidityDays.ValueInt64())
	}
	return s
}

func strOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// applyOrder copies an order's status fields into the model.
func (m *certificateModel) applyOrder(c *regfish.Certificate) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(c.ID)
	m.Status = types.StringValue(c.Status)
	m.OrderState = types.StringValue(c.OrderState)
	m.PendingReason = types.StringValue(c.PendingReason)
	m.CompletionURL = types.StringValue(c.CompletionURL)
	m.OrganizationID = types.StringValue(string(c.OrganizationID))
	if !c.ContractValidUntil.IsZero() {
		m.ContractValidTo = types.StringValue(c.ContractValidUntil.UTC().Format(time.RFC3339))
	} else if m.ContractValidTo.IsUnknown() {
		m.ContractValidTo = types.StringNull()
	}
	if m.ValidityDays.IsUnknown() || m.ValidityDays.IsNull() {
		if c.ValidityDays > 0 {
			m.ValidityDays = types.Int64Value(int64(c.ValidityDays))
		} else {
			m.ValidityDays = types.Int64Null()
		}
	}
	recs := []attr.Value{}
	emails := []attr.Value{}
	if v := c.Validation; v != nil {
		for _, r := range v.DNSRecords {
			o, d := types.ObjectValue(validationRecordType.AttrTypes, map[string]attr.Value{
				"name": types.StringValue(r.Name), "type": types.StringValue(r.Type), "value": types.StringValue(r.Value)})
			diags.Append(d...)
			recs = append(recs, o)
		}
		for _, e := range v.EmailTargets {
			emails = append(emails, types.StringValue(e))
		}
	}
	lv, d := types.ListValue(validationRecordType, recs)
	diags.Append(d...)
	m.ValidationRecords = lv
	ev, d := types.ListValue(types.StringType, emails)
	diags.Append(d...)
	m.ValidationEmails = ev
	return diags
}

// applyIssued copies a downloaded certificate into the model.
func (m *certificateModel) applyIssued(ic *issuedCert) {
	m.CertificatePEM = types.StringValue(ic.LeafPEM)
	m.ChainPEM = types.StringValue(ic.ChainPEM)
	m.FullChainPEM = types.StringValue(ic.FullChainPEM)
	m.NotBefore = types.StringValue(ic.Leaf.NotBefore.UTC().Format(time.RFC3339))
	m.NotAfter = types.StringValue(ic.Leaf.NotAfter.UTC().Format(time.RFC3339))
	m.SerialNumber = types.StringValue(strings.ToUpper(ic.Leaf.SerialNumber.Text(16)))
	m.SHA256Fingerprint = types.StringValue(ic.SHA256)
	m.setRenewAfter()
}

// unknownToNull turns values that are still unknown into nulls (or
// empty lists), so that a partial state can be saved.
func (m *certificateModel) unknownToNull() {
	for _, s := range []*types.String{&m.ID, &m.Status, &m.OrderState, &m.PendingReason, &m.CompletionURL, &m.OrganizationID,
		&m.CertificatePEM, &m.ChainPEM, &m.FullChainPEM, &m.NotBefore, &m.NotAfter, &m.SerialNumber, &m.SHA256Fingerprint,
		&m.ContractValidTo, &m.RenewAfter, &m.RenewalOrderID} {
		if s.IsUnknown() {
			*s = types.StringNull()
		}
	}
	if m.ValidityDays.IsUnknown() {
		m.ValidityDays = types.Int64Null()
	}
	if m.RenewBeforeDays.IsUnknown() || m.RenewBeforeDays.IsNull() {
		m.RenewBeforeDays = types.Int64Value(int64(defaultRenewBefore(int(m.ValidityDays.ValueInt64()))))
	}
	if m.ValidationRecords.IsUnknown() {
		m.ValidationRecords = types.ListValueMust(validationRecordType, []attr.Value{})
	}
	if m.ValidationEmails.IsUnknown() {
		m.ValidationEmails = types.ListValueMust(types.StringType, []attr.Value{})
	}
}

// markChanging marks everything an apply will refresh as unknown.
func (m *certificateModel) markChanging(withID bool) {
	for _, s := range []*types.String{&m.Status, &m.OrderState, &m.PendingReason, &m.CompletionURL, &m.OrganizationID,
		&m.CertificatePEM, &m.ChainPEM, &m.FullChainPEM, &m.NotBefore, &m.NotAfter, &m.SerialNumber, &m.SHA256Fingerprint,
		&m.ContractValidTo, &m.RenewAfter, &m.RenewalOrderID} {
		*s = types.StringUnknown()
	}
	m.ValidationRecords = types.ListUnknown(validationRecordType)
	m.ValidationEmails = types.ListUnknown(types.StringType)
	if withID {
		m.ID = types.StringUnknown()
	}
}

// ----- intent carried from plan to apply (private state) -----------------

// planIntent tells Delete why it runs: "destroy", "replace" (a configured
// change), "update", or "create" — the delete half of the replacement of a
// tainted object, whose pending order the new object resumes.
type planIntent struct {
	Intent      string `json:"intent"`
	Fingerprint string `json:"fp,omitempty"`
}

type privateGetter interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}

func readIntent(ctx context.Context, p privateGetter) planIntent {
	var pi planIntent
	if p == nil {
		return pi
	}
	b, _ := p.GetKey(ctx, privateKey)
	if len(b) > 0 {
		_ = json.Unmarshal(b, &pi)
	}
	return pi
}

type privateSetter interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}

func writeIntent(ctx context.Context, p privateSetter, pi planIntent) diag.Diagnostics {
	if p == nil {
		return nil
	}
	b, _ := json.Marshal(pi)
	return p.SetKey(ctx, privateKey, b)
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
	if m.CSR.IsUnknown() || m.CSR.IsNull() || m.CommonName.IsUnknown() || m.DNSNames.IsUnknown() {
		return
	}
	if msg := checkCSR(m.CSR.ValueString(), m.CommonName.ValueString(), setStrings(ctx, m.DNSNames)); msg != "" {
		resp.Diagnostics.AddAttributeError(path.Root("csr"), "Invalid CSR", msg)
	}
}

// checkCSR validates a PEM CSR against the configured names ("" if fine).
func checkCSR(csrPEM, cn string, sans []string) string {
	csr, err := parseCSRPEM(csrPEM)
	if err != nil {
		return "csr is not a valid PEM certificate signing request: " + err.Error()
	}
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Sprintf("the CSR's RSA key has %d bits; public CAs need at least 2048.", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
	case ed25519.PublicKey:
		return "the CSR has an Ed25519 key, which public CAs do not issue for; use RSA or ECDSA."
	case *dsa.PublicKey:
		return "the CSR has a DSA key; use RSA or ECDSA."
	default:
		return fmt.Sprintf("the CSR's key type %T is not supported; use RSA or ECDSA.", k)
	}
	want := regfish.NameSet(cn, sans)
	wantSet := map[string]bool{}
	for _, n := range want {
		wantSet[n] = true
	}
	if c := regfish.Hostname(csr.Subject.CommonName); c != "" && c != regfish.Hostname(cn) {
		return fmt.Sprintf("the CSR's subject common name is %q but common_name is %q.", c, cn)
	}
	var extra, missing []string
	for _, n := range regfish.NameSet(csr.Subject.CommonName, csr.DNSNames) {
		if !wantSet[n] {
			extra = append(extra, n)
		}
	}
	if len(csr.DNSNames) > 0 {
		have := map[string]bool{}
		for _, n := range regfish.NameSet("", csr.DNSNames) {
			have[n] = true
		}
		for _, n := range want {
			if !have[n] {
				missing = append(missing, n)
			}
		}
	}
	switch {
	case len(extra) > 0:
		return fmt.Sprintf("the CSR names %s, which are neither common_name nor in dns_names.", strings.Join(extra, ", "))
	case len(missing) > 0:
		return fmt.Sprintf("the CSR's subject alternative names lack %s from common_name/dns_names.", strings.Join(missing, ", "))
	}
	return ""
}

// checkCatalog validates the product and the names against the catalog.
func (r *certificateResource) checkCatalog(ctx context.Context, m certificateModel, diags *diag.Diagnostics) {
	if r.data == nil || m.Product.IsUnknown() {
		return
	}
	ps, err := r.data.products(ctx)
	if err != nil {
		diags.AddWarning("Product Catalog Not Checked", "The product catalog could not be read at plan time, so product and names are checked at apply: "+err.Error())
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
		tflog.Debug(ctx, "regfish: could not check org_id at plan time", map[string]any{"error": err.Error()})
	case !org.UsableForOrdering:
		diags.AddAttributeWarning(path.Root("org_id"), "TLS Organization Not Usable Yet",
			fmt.Sprintf("TLS organization %s has status %q and is not usable for ordering yet: the order will wait, staged, until it is.", id, org.Status))
	}
}

// ModifyPlan validates against the catalog and explains in the plan what
// an apply will do with an existing order (resume, reissue, replace).
func (r *certificateResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		resp.Diagnostics.Append(writeIntent(ctx, resp.Private, planIntent{Intent: "destroy"})...)
		return
	}
	var plan certificateModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.checkCatalog(ctx, plan, &resp.Diagnostics)
	validity := maxValidityDays
	if !plan.ValidityDays.IsNull() && !plan.ValidityDays.IsUnknown() {
		validity = int(plan.ValidityDays.ValueInt64())
	}
	var cfgRBD types.Int64
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("renew_before_days"), &cfgRBD)...)
	if cfgRBD.IsNull() {
		plan.RenewBeforeDays = types.Int64Value(int64(defaultRenewBefore(validity)))
	}
	if !plan.RenewBeforeDays.IsUnknown() && !plan.RenewBeforeDays.IsNull() && plan.RenewBeforeDays.ValueInt64() >= int64(validity) {
		resp.Diagnostics.AddAttributeError(path.Root("renew_before_days"), "renew_before_days Too Large",
			fmt.Sprintf("renew_before_days (%d) must be smaller than the certificate's validity of %d days, or the certificate would be renewed as soon as it is issued.",
				plan.RenewBeforeDays.ValueInt64(), validity))
	}
	if resp.Diagnostics.HasError() {
		return
	}
	spec := plan.spec(ctx)
	if req.State.Raw.IsNull() {
		pi := planIntent{Intent: "create", Fingerprint: spec.fingerprint()}
		if prior := readIntent(ctx, req.Private); prior.Intent == "replace" {
			pi.Intent = "replace"
		}
		resp.Diagnostics.Append(writeIntent(ctx, resp.Private, pi)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("renew_before_days"), plan.RenewBeforeDays)...)
		if pi.Intent == "create" && r.data != nil && !plan.Product.IsUnknown() && !plan.CommonName.IsUnknown() && !plan.DNSNames.IsUnknown() {
			r.previewAdoption(ctx, spec, plan, resp)
		}
		return
	}
	var state certificateModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if len(resp.RequiresReplace) > 0 {
		resp.Diagnostics.Append(writeIntent(ctx, resp.Private, planIntent{Intent: "replace", Fingerprint: spec.fingerprint()})...)
		return
	}
	resp.Diagnostics.Append(writeIntent(ctx, resp.Private, planIntent{Intent: "update"})...)
	id := state.ID.ValueString()
	rbd := state.RenewBeforeDays.ValueInt64()
	if !plan.RenewBeforeDays.IsUnknown() && !plan.RenewBeforeDays.IsNull() {
		rbd = plan.RenewBeforeDays.ValueInt64()
	}
	switch status := strings.ToLower(state.Status.ValueString()); {
	case status == regfish.StatusPending:
		plan.markChanging(false)
		msg := fmt.Sprintf("Certificate order %s is still pending (order_state %s, pending_reason %s). This apply resumes that same order and waits for it; no new order is placed.",
			id, orDash(state.OrderState.ValueString()), orDash(state.PendingReason.ValueString()))
		if state.OrderState.ValueString() == "ACTION_REQUIRED" {
			if plan.OrgID.IsNull() {
				msg += " The order waits for its organization: complete it at " + state.CompletionURL.ValueString() + " or set org_id."
			} else {
				msg += " It will be completed with org_id " + plan.OrgID.ValueString() + "."
			}
		}
		resp.Diagnostics.AddWarning("Resuming Certificate Order "+id, msg)
	case status == regfish.StatusRevoked || status == regfish.StatusCancelled || status == regfish.StatusOrderCancelled ||
		status == regfish.StatusRejected || status == regfish.StatusUnknown:
		plan.markChanging(true)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("status"))
		resp.Diagnostics.Append(writeIntent(ctx, resp.Private, planIntent{Intent: "replace", Fingerprint: spec.fingerprint()})...)
		resp.Diagnostics.AddWarning("Certificate "+id+" Is "+status,
			fmt.Sprintf("Certificate %s has status %q (order_state %s), so it is replaced by a new order.", id, status, orDash(state.OrderState.ValueString())))
	case state.RenewalOrderID.ValueString() != "":
		plan.markChanging(true)
		resp.Diagnostics.AddWarning("Resuming Renewal of Certificate "+id,
			fmt.Sprintf("The renewal order %s of certificate %s is still pending. This apply resumes it (no new order); certificate %s stays in the state until the renewal is issued.",
				state.RenewalOrderID.ValueString(), id, id))
	case state.renewalDue(rbd, r.now()):
		mode := renewalMode(parseTime(state.NotAfter), parseTime(state.ContractValidTo))
		plan.markChanging(mode == renewByOrder)
		how := fmt.Sprintf("by a reissue on the same order (its contract runs until %s)", state.ContractValidTo.ValueString())
		if mode == renewByOrder {
			how = "by a renewal order (a new certificate id; regfish credits the remaining days)"
		}
		resp.Diagnostics.AddWarning("Renewing Certificate "+id,
			fmt.Sprintf("Certificate %s expires at %s and renew_before_days is %d: this apply renews it %s. The current certificate stays in the state until the new one is issued.",
				id, state.NotAfter.ValueString(), plan.RenewBeforeDays.ValueInt64(), how))
	case status == regfish.StatusIssued && !plan.CSR.IsUnknown() && csrChanged(state, plan):
		plan.markChanging(false)
		resp.Diagnostics.AddWarning("Reissuing Certificate "+id,
			fmt.Sprintf("The CSR changed: certificate %s is reissued on the same order with the new key. The current certificate stays in the state until the new one is issued.", id))
	default:
		// renew_after follows renew_before_days
		plan.setRenewAfter()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *certificateResource) now() time.Time {
	if r.data == nil {
		return time.Now()
	}
	return r.data.now()
}

// csrChanged reports a CSR change that needs a reissue. After an import the
// state has no CSR: the configured one only needs a reissue when its key
// is not the certificate's.
func csrChanged(state, plan certificateModel) bool {
	if state.CSR.IsNull() {
		ic, err := parseChain("", []byte(state.CertificatePEM.ValueString()))
		return err == nil && keyFingerprint(ic.Leaf.PublicKey) != csrKeyFingerprint(plan.CSR.ValueString())
	}
	return strings.TrimSpace(state.CSR.ValueString()) != strings.TrimSpace(plan.CSR.ValueString())
}

// previewAdoption tells in the plan when a new resource will resume an
// order that exists already.
func (r *certificateResource) previewAdoption(ctx context.Context, spec orderSpec, plan certificateModel, resp *resource.ModifyPlanResponse) {
	if plan.CSR.IsUnknown() {
		spec.CSR = ""
	}
	c, ids, err := r.data.orderer(spec).findOrphans(ctx)
	if err != nil {
		tflog.Debug(ctx, "regfish: could not look for pending orders at plan time", map[string]any{"error": err.Error()})
		return
	}
	switch {
	case c != nil:
		resp.Diagnostics.AddWarning("Resuming Certificate Order "+c.ID,
			fmt.Sprintf("The order %s (%s, %s, status %s) matches this configuration and no resource of this run holds it: "+
				"it was left by an interrupted or failed apply. This apply resumes it; no new order is placed.", c.ID, c.Product, strings.Join(c.Names(), ", "), c.Status))
	case len(ids) > 0:
		resp.Diagnostics.AddWarning("Pending Orders for the Same Names",
			fmt.Sprintf("Orders %s match this configuration's product and names, but none can be told to belong to it. A new order will be placed. "+
				"If one of them was left by an interrupted apply, import it instead (terraform import <address> <id>) or cancel it.", strings.Join(ids, ", ")))
	}
}

// ----- CRUD --------------------------------------------------------------

func (r *certificateResource) defaultTimeout(ctx context.Context, product string) time.Duration {
	if ps, err := r.data.products(ctx); err == nil {
		if p, ok := regfish.FindProduct(ps, product); ok && (p.OrganizationRequired || p.Level() != "dv") {
			return defaultCreateTimeoutOV
		}
	}
	return defaultCreateTimeoutDV
}

func (r *certificateResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan certificateModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, r.defaultTimeout(ctx, plan.Product.ValueString()))
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	spec := plan.spec(ctx)
	o := r.data.orderer(spec)
	fp := spec.fingerprint()

	cert, how, err := r.obtainOrder(ctx, o, fp)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Place Certificate Order",
			fmt.Sprintf("Ordering %s for %s: %v", spec.Product, strings.Join(spec.names(), ", "), err))
		return
	}
	id := cert.ID
	ctx = tflog.SetField(ctx, "certificate_id", id)
	if how != "placed" {
		resp.Diagnostics.AddWarning("Resumed Certificate Order "+id,
			fmt.Sprintf("This resource resumed the existing order %s (%s) instead of placing a new one.", id, how))
	}
	resp.Diagnostics.Append(plan.applyOrder(cert)...)
	plan.unknownToNull()
	// From here on the order id is always saved, whatever happens.
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)

	res, err := o.drive(ctx, id)
	if err == nil {
		res, err = o.finish(ctx, id, res)
	}
	r.saveProgress(ctx, &plan, res, &resp.Diagnostics)
	if err != nil {
		resp.Diagnostics.AddError("Certificate "+id+" Not Issued", notIssuedDetail(id, res, err, true))
	} else {
		r.cleanup(ctx, o, id, spec.names(), &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// obtainOrder finds the order a new resource works on: one handed over by
// the replaced (tainted) object of this resource, an orphan, or a new one.
func (r *certificateResource) obtainOrder(ctx context.Context, o *orderer, fp string) (*regfish.Certificate, string, error) {
	reg := r.data.orders
	if id := reg.takeHandedOver(fp); id != "" {
		c, err := r.data.client.GetCertificate(ctx, id)
		if err == nil && (c.Pending() || c.Ready()) && o.spec.matches(c) && reg.claim(id) {
			reg.setPlaced(fp, id)
			return c, "handed over by the replaced object of this resource", nil
		}
		if err == nil && c.Pending() {
			// The configuration changed: the old order is not what is wanted.
			if _, cerr := r.data.client.CancelCertificate(ctx, id); cerr == nil {
				tflog.Info(ctx, "regfish: cancelled the replaced pending order "+id, map[string]any{"certificate_id": id})
			}
		}
	}
	if c, _, err := o.findOrphans(ctx); err == nil && c != nil && reg.claim(c.ID) {
		reg.setPlaced(fp, c.ID)
		return c, "an order for this configuration, left by an interrupted apply, that no state held", nil
	}
	c, err := o.place(ctx)
	if err != nil {
		return nil, "", err
	}
	reg.claim(c.ID)
	reg.setPlaced(fp, c.ID)
	return c, "placed", nil
}

// saveProgress writes what drive/reissue learned into the model.
func (r *certificateResource) saveProgress(_ context.Context, m *certificateModel, res driveResult, diags *diag.Diagnostics) {
	if res.Cert != nil {
		diags.Append(m.applyOrder(res.Cert)...)
	}
	if res.Issued != nil {
		m.applyIssued(res.Issued)
	}
	m.unknownToNull()
}

func (r *certificateResource) cleanup(ctx context.Context, o *orderer, id string, names []string, diags *diag.Diagnostics) {
	if o.spec.DCVMethod != regfish.DCVMethodCNAME {
		return
	}
	if err := o.cleanupDCV(ctx, id, names); err != nil {
		diags.AddWarning("DCV Records Left in DNS", fmt.Sprintf("Certificate %s is issued, but removing its _dnsauth records failed: %v. They are harmless and can be deleted by hand.", id, err))
	}
}

// notIssuedDetail explains a wait that ended before issuance.
func notIssuedDetail(id string, res driveResult, err error, created bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n\n", err)
	c := res.Cert
	if c != nil && c.Terminal() {
		fmt.Fprintf(&b, "The order cannot be issued any more. The next apply replaces it with a new order.")
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
	var m certificateModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.ID.ValueString()
	c, err := r.data.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		resp.Diagnostics.AddWarning("Certificate Order Not Found",
			fmt.Sprintf("Certificate order %s no longer exists in the regfish account. It is removed from the state; the next apply orders a new certificate.", id))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read Certificate", fmt.Sprintf("Reading certificate %s: %v", id, err))
		return
	}
	imported := m.Product.IsNull()
	if imported {
		m.fillFromOrder(c)
	}
	resp.Diagnostics.Append(m.applyOrder(c)...)
	// Download when the API serves a certificate the state does not hold
	// (issued after an apply stopped waiting, or reissued elsewhere).
	if c.Ready() && (m.CertificatePEM.IsNull() || !strings.EqualFold(m.SerialNumber.ValueString(), c.SerialNumber)) {
		ic, derr := r.data.orderer(orderSpec{}).download(ctx, id)
		switch {
		case derr != nil:
			tflog.Warn(ctx, "regfish: could not download the certificate during refresh", map[string]any{"certificate_id": id, "error": derr.Error()})
		case ic != nil:
			if !m.CertificatePEM.IsNull() && !imported {
				resp.Diagnostics.AddWarning("Certificate Changed Outside Terraform",
					fmt.Sprintf("Certificate %s now has serial %s (was %s); the state takes the new certificate.", id, c.SerialNumber, m.SerialNumber.ValueString()))
			}
			m.applyIssued(ic)
		}
	}
	m.unknownToNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// fillFromOrder sets the arguments of an imported certificate.
func (m *certificateModel) fillFromOrder(c *regfish.Certificate) {
	m.Product = types.StringValue(c.Product)
	m.CommonName = types.StringValue(regfish.Hostname(c.CommonName))
	var sans []attr.Value
	for _, n := range regfish.NameSet("", c.DNSNames) {
		if n != regfish.Hostname(c.CommonName) {
			sans = append(sans, types.StringValue(n))
		}
	}
	if len(sans) > 0 {
		m.DNSNames = types.SetValueMust(types.StringType, sans)
	} else {
		m.DNSNames = types.SetNull(types.StringType)
	}
	m.OrgID = strOrNull(string(c.OrganizationID))
	method := regfish.DCVMethodCNAME
	if c.Validation != nil && c.Validation.Method != "" {
		method = c.Validation.Method
	}
	m.DCVMethod = types.StringValue(method)
	m.DCVEmails = types.SetNull(types.StringType)
	if c.ValidityDays > 0 {
		m.ValidityDays = types.Int64Value(int64(c.ValidityDays))
	}
	m.RevokeOnDestroy = types.BoolValue(false)
	m.RenewBeforeDays = types.Int64Value(int64(defaultRenewBefore(c.ValidityDays)))
	m.CSR = types.StringNull()
}

func (r *certificateResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state certificateModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateKey, nil)...)
	id := state.ID.ValueString()
	plan.ID = state.ID
	timeout, d := plan.Timeouts.Update(ctx, r.defaultTimeout(ctx, plan.Product.ValueString()))
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = tflog.SetField(ctx, "certificate_id", id)
	spec := plan.spec(ctx)
	o := r.data.orderer(spec)
	r.data.orders.claim(id)

	// Start from the state's view of the certificate; what the API tells
	// us below replaces it.
	keep := func() {
		for _, p := range []struct{ dst, src *types.String }{{&plan.Status, &state.Status}, {&plan.OrderState, &state.OrderState},
			{&plan.PendingReason, &state.PendingReason}, {&plan.CompletionURL, &state.CompletionURL}, {&plan.OrganizationID, &state.OrganizationID},
			{&plan.CertificatePEM, &state.CertificatePEM}, {&plan.ChainPEM, &state.ChainPEM}, {&plan.FullChainPEM, &state.FullChainPEM},
			{&plan.NotBefore, &state.NotBefore}, {&plan.NotAfter, &state.NotAfter}, {&plan.SerialNumber, &state.SerialNumber},
			{&plan.SHA256Fingerprint, &state.SHA256Fingerprint}, {&plan.ContractValidTo, &state.ContractValidTo}, {&plan.RenewAfter, &state.RenewAfter}} {
			*p.dst = *p.src
		}
		plan.ValidationRecords, plan.ValidationEmails = state.ValidationRecords, state.ValidationEmails
	}
	keep()

	status := strings.ToLower(state.Status.ValueString())
	var res driveResult
	var err error
	what := ""
	switch {
	case status == regfish.StatusPending:
		what = "resume"
		res, err = o.drive(ctx, id)
		if err == nil {
			res, err = o.finish(ctx, id, res)
		}
	case state.RenewalOrderID.ValueString() != "" || state.renewalDue(plan.RenewBeforeDays.ValueInt64(), r.data.now()):
		what = "renewal"
		var newID string
		newID, res, err = r.renew(ctx, o, &state)
		if err != nil && res.Issued == nil {
			// keep() left the old certificate in the plan: it stays current
			plan.RenewalOrderID = types.StringNull()
			if newID != id {
				plan.RenewalOrderID = strOrNull(newID)
			}
			plan.CSR = state.CSR
			plan.unknownToNull()
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
			resp.Diagnostics.AddError("Certificate "+id+" Not Renewed", renewalNotDoneDetail(id, newID, err))
			return
		}
		plan.ID = types.StringValue(newID)
		plan.RenewalOrderID = types.StringNull()
		if newID != id {
			id = newID
		}
	case status == regfish.StatusIssued && csrChanged(state, plan):
		what = "reissue"
		res, err = o.reissue(ctx, id, "CSR changed")
	default:
		// Only arguments that need no API call changed (timeouts,
		// revoke_on_destroy, a CSR recorded after an import).
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	if err != nil && res.Issued == nil {
		// Keep the CSR of the certificate the state holds, so the next
		// plan still shows the reissue to be done.
		if what == "reissue" {
			plan.CSR = state.CSR
		}
		// no certificate was downloaded, so the old one (from keep) stays
		r.saveProgress(ctx, &plan, res, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.AddError("Certificate "+id+" Not Issued", notIssuedDetail(id, res, err, false))
		return
	}
	if err != nil {
		// the certificate is downloaded; what failed after it is reported
		resp.Diagnostics.AddWarning("Certificate "+id+" Updated With a Problem", err.Error())
	}
	r.saveProgress(ctx, &plan, res, &resp.Diagnostics)
	if plan.RenewalOrderID.IsUnknown() {
		plan.RenewalOrderID = types.StringNull()
	}
	r.cleanup(ctx, o, id, spec.names(), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// renew renews the certificate in state: by a reissue on the same order
// while the contract lasts, else by a renewal order (resumed when one is
// pending already). The old certificate stays valid until the new one is
// issued. It returns the id of the certificate that results (or of the
// pending renewal order).
func (r *certificateResource) renew(ctx context.Context, o *orderer, state *certificateModel) (string, driveResult, error) {
	id := state.ID.ValueString()
	if rid := state.RenewalOrderID.ValueString(); rid != "" {
		res, err := o.drive(ctx, rid)
		if err == nil {
			res, err = o.finish(ctx, rid, res)
		}
		return rid, res, err
	}
	c, err := r.data.client.GetCertificate(ctx, id)
	if err != nil {
		return id, driveResult{}, fmt.Errorf("reading certificate %s before renewing it: %w", id, err)
	}
	if c.ReissueSupported && renewalMode(c.ValidUntil.Time, c.ContractValidUntil.Time) == renewByReissue || c.Reissue.Active() {
		res, err := o.reissue(ctx, id, "renewal")
		return id, res, err
	}
	// A renewal order left by an interrupted apply is resumed, not placed again.
	rid := ""
	if cand, _, ferr := o.findOrphans(ctx); ferr == nil && cand != nil && cand.ID != id && r.data.orders.claim(cand.ID) {
		rid = cand.ID
		tflog.Info(ctx, "regfish: resuming the pending renewal order "+rid+" of certificate "+id, map[string]any{"certificate_id": id})
	} else {
		req := o.spec.request()
		req.RenewalOfCertificateID = id
		nc, perr := r.data.client.CreateCertificate(ctx, req)
		if errors.Is(perr, regfish.ErrMaybeProcessed) {
			if cand, _, ferr := o.findOrphans(ctx); ferr == nil && cand != nil && cand.ID != id {
				nc, perr = cand, nil
			}
		}
		if perr != nil {
			return id, driveResult{}, fmt.Errorf("placing the renewal order of certificate %s: %w", id, perr)
		}
		rid = nc.ID
		r.data.orders.claim(rid)
		tflog.Info(ctx, "regfish: placed renewal order "+rid+" for certificate "+id, map[string]any{"certificate_id": id, "renewal_order_id": rid})
	}
	res, err := o.drive(ctx, rid)
	if err == nil {
		res, err = o.finish(ctx, rid, res)
	}
	return rid, res, err
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
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	intent := readIntent(ctx, req.Private)
	if intent.Intent == "create" {
		// The delete half of replacing a tainted object: its order is
		// resumed by the new object, unless that one holds another order
		// already (create_before_destroy).
		if other := r.data.orders.placedFor(intent.Fingerprint); other == "" || other == id {
			if c, err := r.data.client.GetCertificate(ctx, id); err == nil && (c.Pending() || c.Ready()) {
				r.data.orders.handOver(intent.Fingerprint, id)
				tflog.Info(ctx, "regfish: the replaced object's order "+id+" is handed over to its replacement, not cancelled", nil)
				return
			}
		}
	}
	// A renewal still pending would outlive the resource: cancel it too.
	if rid := state.RenewalOrderID.ValueString(); rid != "" {
		if rc, err := r.data.client.GetCertificate(ctx, rid); err == nil && rc.Pending() {
			if _, err := r.data.client.CancelCertificate(ctx, rid); err != nil && !regfish.IsNotFound(err) {
				resp.Diagnostics.AddError("Unable to Cancel Renewal Order", fmt.Sprintf("Cancelling pending renewal order %s of certificate %s: %v", rid, id, err))
				return
			}
			tflog.Info(ctx, "regfish: cancelled pending renewal order "+rid, map[string]any{"renewal_order_id": rid})
		}
	}
	c, err := r.data.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Delete Certificate", fmt.Sprintf("Reading certificate %s: %v", id, err))
		return
	}
	o := r.data.orderer(state.spec(ctx))
	switch {
	case c.Pending():
		if _, err := r.data.client.CancelCertificate(ctx, id); err != nil && !errors.Is(err, regfish.ErrConflict) {
			resp.Diagnostics.AddError("Unable to Cancel Certificate Order", fmt.Sprintf("Cancelling pending order %s: %v", id, err))
			return
		} else if err != nil {
			resp.Diagnostics.AddWarning("Certificate Order Not Cancelled", fmt.Sprintf("Pending order %s could not be cancelled: %v", id, err))
		} else {
			tflog.Info(ctx, "regfish: cancelled pending order "+id, nil)
		}
	case state.RevokeOnDestroy.ValueBool() && (strings.EqualFold(c.Status, regfish.StatusIssued) || strings.EqualFold(c.Status, regfish.StatusExpired)):
		if _, err := r.data.client.RevokeCertificate(ctx, id, regfish.RevokeRequest{Comments: "terraform-provider-regfish: revoke_on_destroy", Scope: "certificate"}); err != nil {
			resp.Diagnostics.AddError("Unable to Revoke Certificate", fmt.Sprintf("Revoking certificate %s: %v", id, err))
			return
		}
		tflog.Info(ctx, "regfish: revoked certificate "+id, nil)
	}
	if state.DCVMethod.ValueString() != regfish.DCVMethodEmail {
		_ = o.cleanupDCV(ctx, id, regfish.NameSet(state.CommonName.ValueString(), setStrings(ctx, state.DNSNames)))
	}
}

func (r *certificateResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := strings.TrimSpace(req.ID)
	if id == "" || strings.ContainsAny(id, "/ ") {
		resp.Diagnostics.AddError("Invalid Import ID", fmt.Sprintf("Import a certificate by its public id such as 7K9QW3M2ZT8HJ, got %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
