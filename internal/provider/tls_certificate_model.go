package provider

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// certificateModel is the regfish_tls_certificate resource's data.
type certificateModel struct {
	ID                types.String   `tfsdk:"id"`
	Product           types.String   `tfsdk:"product"`
	CommonName        types.String   `tfsdk:"common_name"`
	DNSNames          types.Set      `tfsdk:"dns_names"`
	CSR               types.String   `tfsdk:"csr"`
	PrivateKeyWO      types.String   `tfsdk:"private_key_wo"`
	PrivateKeyVersion types.Int64    `tfsdk:"private_key_wo_version"`
	PublicKeySHA256   types.String   `tfsdk:"public_key_sha256"`
	OrgID             types.String   `tfsdk:"org_id"`
	DCVMethod         types.String   `tfsdk:"dcv_method"`
	DCVEmails         types.Set      `tfsdk:"dcv_emails"`
	DCVPublisher      types.String   `tfsdk:"dcv_publisher"`
	ValidityDays      types.Int64    `tfsdk:"validity_days"`
	RevokeOnDestroy   types.Bool     `tfsdk:"revoke_on_destroy"`
	CancelOnDestroy   types.Bool     `tfsdk:"cancel_on_destroy"`
	RenewBeforeDays   types.Int64    `tfsdk:"renew_before_days"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
	Status            types.String   `tfsdk:"status"`
	OrderState        types.String   `tfsdk:"order_state"`
	PendingReason     types.String   `tfsdk:"pending_reason"`
	CompletionURL     types.String   `tfsdk:"completion_url"`
	OrganizationID    types.String   `tfsdk:"organization_id"`
	ValidationRecords types.List     `tfsdk:"validation_records"`
	ValidationEmails  types.List     `tfsdk:"validation_emails"`
	DCVRecords        types.Map      `tfsdk:"dcv_records"`
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

// orderFields is the one list of the computed string attributes that
// describe the order and its certificate: what an apply may change, what an
// interrupted apply keeps from the state.
func (m *certificateModel) orderFields() []*types.String {
	return []*types.String{&m.Status, &m.OrderState, &m.PendingReason, &m.CompletionURL, &m.OrganizationID,
		&m.CertificatePEM, &m.ChainPEM, &m.FullChainPEM, &m.NotBefore, &m.NotAfter, &m.SerialNumber, &m.SHA256Fingerprint,
		&m.ContractValidTo, &m.RenewAfter, &m.RenewalOrderID}
}

// keepOrderFields copies the order's computed attributes from src.
func (m *certificateModel) keepOrderFields(src *certificateModel) {
	dst := m.orderFields()
	for i, p := range src.orderFields() {
		*dst[i] = *p
	}
	m.ValidationRecords, m.ValidationEmails = src.ValidationRecords, src.ValidationEmails
	m.DCVRecords = src.DCVRecords
}

// markChanging marks everything an apply will refresh as unknown.
func (m *certificateModel) markChanging(withID bool) {
	for _, s := range m.orderFields() {
		*s = types.StringUnknown()
	}
	m.ValidationRecords = types.ListUnknown(validationRecordType)
	m.ValidationEmails = types.ListUnknown(types.StringType)
	if withID {
		m.ID = types.StringUnknown()
	}
}

// unknownToNull turns values that are still unknown into nulls (or
// empty lists), so that a partial state can be saved.
func (m *certificateModel) unknownToNull() {
	for _, s := range append(m.orderFields(), &m.ID) {
		if s.IsUnknown() {
			*s = types.StringNull()
		}
	}
	if m.ValidityDays.IsUnknown() {
		m.ValidityDays = types.Int64Null()
	}
	if m.RenewBeforeDays.IsUnknown() || m.RenewBeforeDays.IsNull() {
		m.RenewBeforeDays = types.Int64Value(defaultRenewBefore(m.ValidityDays.ValueInt64()))
	}
	if m.ValidationRecords.IsUnknown() {
		m.ValidationRecords = types.ListValueMust(validationRecordType, []attr.Value{})
	}
	if m.ValidationEmails.IsUnknown() {
		m.ValidationEmails = types.ListValueMust(types.StringType, []attr.Value{})
	}
	if m.DCVPublisher.IsNull() || m.DCVPublisher.IsUnknown() {
		m.DCVPublisher = types.StringValue(dcvPublisherRegfish) // a state written before dcv_publisher existed
	}
	m.DCVRecords = knownDCVRecords(m.DCVRecords)
	if m.CSR.IsUnknown() {
		m.CSR = types.StringNull()
	}
	if m.PublicKeySHA256.IsUnknown() {
		m.PublicKeySHA256 = csrKeyValue(m.CSR)
	}
	m.PrivateKeyWO = types.StringNull() // write-only: never in the state
}

// external reports DCV records published outside this provider:
// dcv_publisher "external" with dns-cname-token validation.
func (m *certificateModel) external() bool {
	return m.DCVPublisher.ValueString() == dcvPublisherExternal && m.DCVMethod.ValueString() != regfish.DCVMethodEmail
}

// clearIssued forgets the certificate of the order in the state: a
// renewal order in external mode takes the id before it is issued.
func (m *certificateModel) clearIssued() {
	for _, s := range []*types.String{&m.CertificatePEM, &m.ChainPEM, &m.FullChainPEM, &m.NotBefore, &m.NotAfter,
		&m.SerialNumber, &m.SHA256Fingerprint, &m.ContractValidTo, &m.RenewAfter} {
		*s = types.StringNull()
	}
}

// spec is the order the model asks for.
func (m *certificateModel) spec(ctx context.Context) order.Spec {
	s := order.Spec{
		Product: m.Product.ValueString(), CommonName: m.CommonName.ValueString(), DNSNames: setStrings(ctx, m.DNSNames),
		CSR: m.CSR.ValueString(), OrgID: m.OrgID.ValueString(), DCVMethod: m.DCVMethod.ValueString(),
		DCVEmails: setStrings(ctx, m.DCVEmails),
	}
	if s.DCVMethod == "" {
		s.DCVMethod = regfish.DCVMethodCNAME
	}
	if m.keyMode() && !m.PrivateKeyVersion.IsUnknown() {
		s.KeyVersion = m.PrivateKeyVersion.ValueInt64()
	}
	s.External = m.external()
	s.KeepPending = !m.cancelOnDestroy()
	if !m.ValidityDays.IsNull() && !m.ValidityDays.IsUnknown() {
		s.ValidityDays = int(m.ValidityDays.ValueInt64())
	}
	return s
}

// names is {common_name} ∪ dns_names, unknown when either is.
func (m *certificateModel) names(ctx context.Context) maybe[[]string] {
	if m.CommonName.IsUnknown() || m.DNSNames.IsUnknown() {
		return maybe[[]string]{}
	}
	return known(regfish.NameSet(m.CommonName.ValueString(), setStrings(ctx, m.DNSNames)))
}

func knownString(v types.String) maybe[string] {
	if v.IsUnknown() {
		return maybe[string]{}
	}
	return known(v.ValueString())
}

func knownInt(v types.Int64) maybe[int64] {
	if v.IsUnknown() {
		return maybe[int64]{}
	}
	return known(v.ValueInt64())
}

// wish is the planned configuration for decideCertificate.
func (m *certificateModel) wish(ctx context.Context) certWish {
	w := certWish{
		Product: knownString(m.Product), Names: m.names(ctx), CSR: knownString(m.CSR), OrgID: knownString(m.OrgID),
		DCVMethod: knownString(m.DCVMethod), ValidityDays: knownInt(m.ValidityDays), RenewBefore: knownInt(m.RenewBeforeDays),
		DCVPublisher: knownString(m.DCVPublisher),
	}
	if !m.CommonName.IsUnknown() {
		w.CommonName = known(regfish.Hostname(m.CommonName.ValueString()))
	}
	if !m.DCVEmails.IsUnknown() {
		w.DCVEmails = known(setStrings(ctx, m.DCVEmails))
	}
	if !m.RevokeOnDestroy.IsUnknown() {
		w.RevokeOnDestroy = known(m.RevokeOnDestroy.ValueBool())
	}
	if !m.CancelOnDestroy.IsUnknown() {
		w.CancelOnDestroy = known(m.cancelOnDestroy())
	}
	if m.keyMode() {
		w.WriteOnlyKey, w.KeyVersion = true, knownInt(m.PrivateKeyVersion)
	}
	return w
}

// prior is what the state says about the order, for decideCertificate.
func (m *certificateModel) prior(ctx context.Context, facts refreshFacts) certPrior {
	return certPrior{
		ID: m.ID.ValueString(), Status: strings.ToLower(m.Status.ValueString()), OrderState: m.OrderState.ValueString(),
		PendingReason: m.PendingReason.ValueString(), CompletionURL: m.CompletionURL.ValueString(),
		Product: m.Product.ValueString(), Names: regfish.NameSet(m.CommonName.ValueString(), setStrings(ctx, m.DNSNames)),
		CommonName: regfish.Hostname(m.CommonName.ValueString()), CSR: m.CSR.ValueString(), LeafKey: order.LeafKeyFingerprint(m.CertificatePEM.ValueString()),
		OrgID: m.OrgID.ValueString(), BoundOrgID: m.OrganizationID.ValueString(), DCVMethod: m.DCVMethod.ValueString(),
		DCVEmails: setStrings(ctx, m.DCVEmails), ValidityDays: m.ValidityDays.ValueInt64(), RenewBefore: m.RenewBeforeDays.ValueInt64(),
		NotAfter: parseTime(m.NotAfter), ContractUntil: parseTime(m.ContractValidTo), RenewalOrderID: m.RenewalOrderID.ValueString(),
		ReissueSupported: facts.ReissueSupported, RevokeOnDestroy: m.RevokeOnDestroy.ValueBool(), CancelOnDestroy: m.cancelOnDestroy(),
		DCVPublisher: m.DCVPublisher.ValueString(), RecordsKnown: len(m.ValidationRecords.Elements()) > 0, ReissueActive: facts.ReissueActive,
		KeyVersion: m.PrivateKeyVersion.ValueInt64(), KeyVersioned: m.keyMode(),
	}
}

// cancelOnDestroy is cancel_on_destroy, true when not set (a state written
// before the argument existed).
func (m *certificateModel) cancelOnDestroy() bool {
	return m.CancelOnDestroy.IsNull() || m.CancelOnDestroy.IsUnknown() || m.CancelOnDestroy.ValueBool()
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

// applyOrder copies an order's status fields into the model.
func (m *certificateModel) applyOrder(c *regfish.Certificate) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(c.ID)
	m.Status = types.StringValue(strings.ToLower(c.Status))
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
func (m *certificateModel) applyIssued(ic *order.IssuedCert) {
	a := certAttributes(ic)
	m.CertificatePEM, m.ChainPEM, m.FullChainPEM, m.NotBefore, m.NotAfter, m.SerialNumber, m.SHA256Fingerprint = a[0], a[1], a[2], a[3], a[4], a[5], a[6]
	m.setRenewAfter()
}

// applyResult writes what a wait for issuance or a reissue learned into the model.
func (m *certificateModel) applyResult(res order.Result) diag.Diagnostics {
	var diags diag.Diagnostics
	if res.Cert != nil {
		diags.Append(m.applyOrder(res.Cert)...)
	}
	if res.Issued != nil {
		m.applyIssued(res.Issued)
	}
	m.unknownToNull()
	return diags
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
	m.CancelOnDestroy = types.BoolValue(true)
	m.DCVPublisher = types.StringValue(dcvPublisherRegfish)
	m.DCVRecords = types.MapValueMust(validationRecordType, map[string]attr.Value{})
	m.RenewBeforeDays = types.Int64Value(defaultRenewBefore(int64(c.ValidityDays)))
	m.CSR = types.StringNull()
	m.PublicKeySHA256 = types.StringNull()
	m.PrivateKeyVersion = types.Int64Null()
}

// attributes are the values of the attributes every resource that holds a
// downloaded certificate exports, in this order: certificate_pem,
// chain_pem, full_chain_pem, not_before, not_after, serial_number,
// sha256_fingerprint.
func certAttributes(ic *order.IssuedCert) [7]types.String {
	return [7]types.String{
		types.StringValue(ic.LeafPEM),
		types.StringValue(ic.ChainPEM),
		types.StringValue(ic.FullChainPEM),
		types.StringValue(ic.Leaf.NotBefore.UTC().Format(time.RFC3339)),
		types.StringValue(ic.Leaf.NotAfter.UTC().Format(time.RFC3339)),
		types.StringValue(order.SerialText(ic.Leaf.SerialNumber)),
		types.StringValue(ic.SHA256),
	}
}
