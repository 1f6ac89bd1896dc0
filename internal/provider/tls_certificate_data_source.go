package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var _ datasource.DataSourceWithConfigure = (*certificateDataSource)(nil)

// certIDRe is what a certificate id looks like (e.g. 7K9QW3M2ZT8HJ).
// maxListedOrders bounds the order list in a not-found error.
const maxListedOrders = 10

// NewCertificateDataSource is the regfish_tls_certificate data source.
func NewCertificateDataSource() datasource.DataSource { return &certificateDataSource{} }

type certificateDataSource struct{ data *providerData }

type certificateDataModel struct {
	ID                 types.String `tfsdk:"id"`
	Product            types.String `tfsdk:"product"`
	CommonName         types.String `tfsdk:"common_name"`
	DNSNames           types.List   `tfsdk:"dns_names"`
	Status             types.String `tfsdk:"status"`
	OrderState         types.String `tfsdk:"order_state"`
	PendingReason      types.String `tfsdk:"pending_reason"`
	PendingMessage     types.String `tfsdk:"pending_message"`
	ActionRequired     types.Bool   `tfsdk:"action_required"`
	CompletionURL      types.String `tfsdk:"completion_url"`
	OrganizationID     types.String `tfsdk:"organization_id"`
	ValidityDays       types.Int64  `tfsdk:"validity_days"`
	RenewalBonusDays   types.Int64  `tfsdk:"renewal_bonus_days"`
	NotBefore          types.String `tfsdk:"not_before"`
	NotAfter           types.String `tfsdk:"not_after"`
	SerialNumber       types.String `tfsdk:"serial_number"`
	ContractValidUntil types.String `tfsdk:"contract_valid_until"`
	ReissueSupported   types.Bool   `tfsdk:"reissue_supported"`
	RenewalSupported   types.Bool   `tfsdk:"renewal_supported"`
	RenewalMode        types.String `tfsdk:"renewal_mode"`
	ReissueStatus      types.String `tfsdk:"reissue_status"`
	ValidationMethod   types.String `tfsdk:"validation_method"`
	ValidationRecords  types.List   `tfsdk:"validation_records"`
	ValidationEmails   types.List   `tfsdk:"validation_emails"`
	CertificatePEM     types.String `tfsdk:"certificate_pem"`
	ChainPEM           types.String `tfsdk:"chain_pem"`
	FullChainPEM       types.String `tfsdk:"full_chain_pem"`
	SHA256Fingerprint  types.String `tfsdk:"sha256_fingerprint"`
}

func (d *certificateDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_certificate"
}

func (d *certificateDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	boolean := func(desc string) schema.BoolAttribute {
		return schema.BoolAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one existing TLS certificate order by its id (`GET /tls/certificate/{id}`): its status, " +
			"names, validity and renewal hints, the DCV records while it waits for validation, and — once it is issued " +
			"— the downloaded certificate chain. It never changes the order. Fails, naming the id, when the account has " +
			"no such order.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Public certificate id, e.g. `7K9QW3M2ZT8HJ` (for instance `regfish_tls_certificate.x.id`).",
				Required:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(certIDRe, "must be a certificate id such as 7K9QW3M2ZT8HJ")},
			},
			"product":     str("Product SKU, e.g. `RapidSSL`."),
			"common_name": str("Common name of the order."),
			"dns_names": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "Further DNS names (SANs) as the API returns them (it may or may not list the common name).",
			},
			"status":      str("Order status: `pending`, `issued`, `expired`, `revoked`, `cancelled`, `order_cancelled`, `rejected` or `unknown`."),
			"order_state": str("Provider order state, e.g. `ACTION_REQUIRED`, `PENDING`, `PENDING_APPROVAL`, `ISSUED`."),
			"pending_reason": str("Why a pending order waits, e.g. `organization_required`, `validation_pending`, `approval_pending` " +
				"(null when the API gives none; the API may leave one on an issued order, so go by `status`)."),
			"pending_message":    str("The API's human-readable explanation of `pending_reason` (null when none)."),
			"action_required":    boolean("Whether the order is staged and waits for a person or `org_id` to complete it."),
			"completion_url":     str("Console URL where a person completes a staged order (null once completed)."),
			"organization_id":    str("The TLS organization the order is bound to (`hdl_...`); null for DV orders and staged orders."),
			"validity_days":      schema.Int64Attribute{Computed: true, MarkdownDescription: "Purchased base validity in days (null when the API does not say)."},
			"renewal_bonus_days": schema.Int64Attribute{Computed: true, MarkdownDescription: "Days of the predecessor's remaining validity credited to a renewal order (null unless the API reports them after issuance)."},
			"not_before": str("Start of the certificate's validity (RFC 3339): from the downloaded leaf when issued, else from " +
				"the API's `valid_from`; null before the first issuance."),
			"not_after":     str("End of the certificate's validity (RFC 3339), taken like `not_before`."),
			"serial_number": str("Serial number of the current certificate as `openssl x509 -serial` prints it: upper-case hex, two digits per byte, leading zeros kept (null before the first issuance)."),
			"contract_valid_until": str("End of the order's contract window (RFC 3339; null before issuance). This is the " +
				"date the renewal mode is chosen from: while it lies more than a day beyond `not_after`, a renewal " +
				"reissues on the same order; otherwise it places a renewal order with a new id."),
			"reissue_supported": boolean("Whether the API accepts a reissue on this order now."),
			"renewal_supported": boolean("Whether the API accepts a renewal order for this certificate now."),
			"renewal_mode": str(fmt.Sprintf("How `regfish_tls_certificate` would renew the current certificate, derived from "+
				"`status`, `reissue_supported`, `not_after` and `contract_valid_until`: `%s` (same order id) or `%s` (new order id). Null before the "+
				"first issuance.", renewByReissue, renewByOrder)),
			"reissue_status": str("Status of the order's last reissue, e.g. `pending`, `processing`, `issued`, `failed` (null when never reissued)."),
			"validation_method": str(fmt.Sprintf("Domain control validation method of the validation in progress: `%s` or "+
				"`%s` (null when nothing waits for validation).", regfish.DCVMethodCNAME, regfish.DCVMethodEmail)),
			"validation_records": schema.ListNestedAttribute{
				MarkdownDescription: "The DCV records the CA checks, while the order (or its last reissue) waits for " +
					"validation; empty otherwise and with e-mail validation.",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":  str("Record name, e.g. `_dnsauth.www.example.com.`"),
					"type":  str("Record type (`CNAME`)."),
					"value": str("Record value."),
				}},
			},
			"validation_emails": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "Where the approval e-mail goes (`email` validation), while the order or its last " +
					"reissue waits for validation; empty otherwise.",
			},
			"certificate_pem": str("The current leaf certificate (PEM), downloaded when the status is `issued` or `expired`; null otherwise."),
			"chain_pem":       str("The intermediate certificates (PEM), without the leaf and the root; null like `certificate_pem`."),
			"full_chain_pem":  str("Leaf followed by the intermediates (PEM); null like `certificate_pem`."),
			"sha256_fingerprint": str("SHA-256 fingerprint of the downloaded leaf certificate (DER), lower-case hex; null like " +
				"`certificate_pem`."),
		},
	}
}

func (d *certificateDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func rfc3339OrNull(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

func stringList(vals []string) (types.List, diag.Diagnostics) {
	elems := make([]attr.Value, 0, len(vals))
	for _, v := range vals {
		elems = append(elems, types.StringValue(v))
	}
	return types.ListValue(types.StringType, elems)
}

// pendingValidation is the validation that waits now: the order's while it
// is pending, the last reissue's while that is active, else nil.
func pendingValidation(c *regfish.Certificate) *regfish.Validation {
	switch {
	case c.Pending():
		return c.Validation
	case c.Reissue.Active():
		return c.Reissue.Validation
	}
	return nil
}

// applyOrder copies the order's fields (not the downloaded chain).
func (m *certificateDataModel) applyOrder(c *regfish.Certificate) diag.Diagnostics {
	var diags diag.Diagnostics
	// m.ID stays as configured (the API echoes it).
	m.Product = types.StringValue(c.Product)
	m.CommonName = types.StringValue(c.CommonName)
	var d diag.Diagnostics
	m.DNSNames, d = stringList(c.DNSNames)
	diags.Append(d...)
	m.Status = types.StringValue(c.Status)
	m.OrderState = strOrNull(c.OrderState)
	m.PendingReason = strOrNull(c.PendingReason)
	m.PendingMessage = strOrNull(c.PendingMessage)
	m.ActionRequired = types.BoolValue(c.ActionRequired)
	m.CompletionURL = strOrNull(c.CompletionURL)
	m.OrganizationID = strOrNull(string(c.OrganizationID))
	m.ValidityDays = types.Int64Null()
	if c.ValidityDays > 0 {
		m.ValidityDays = types.Int64Value(int64(c.ValidityDays))
	}
	m.RenewalBonusDays = types.Int64Null()
	if c.RenewalBonusDays != nil {
		m.RenewalBonusDays = types.Int64Value(int64(*c.RenewalBonusDays))
	}
	m.NotBefore = rfc3339OrNull(c.ValidFrom.Time)
	m.NotAfter = rfc3339OrNull(c.ValidUntil.Time)
	m.SerialNumber = strOrNull(strings.ToUpper(c.SerialNumber))
	m.ContractValidUntil = rfc3339OrNull(c.ContractValidUntil.Time)
	m.ReissueSupported = types.BoolValue(c.ReissueSupported)
	m.RenewalSupported = types.BoolValue(c.RenewalSupported)
	m.ReissueStatus = types.StringNull()
	if c.Reissue != nil {
		m.ReissueStatus = strOrNull(c.Reissue.Status)
	}

	recs := []attr.Value{}
	var emails []string
	m.ValidationMethod = types.StringNull()
	if v := pendingValidation(c); v != nil {
		m.ValidationMethod = strOrNull(v.Method)
		for _, r := range v.DNSRecords {
			o, d := types.ObjectValue(validationRecordType.AttrTypes, map[string]attr.Value{
				"name": types.StringValue(r.Name), "type": types.StringValue(r.Type), "value": types.StringValue(r.Value)})
			diags.Append(d...)
			recs = append(recs, o)
		}
		emails = v.EmailTargets
	}
	m.ValidationRecords, d = types.ListValue(validationRecordType, recs)
	diags.Append(d...)
	m.ValidationEmails, d = stringList(emails)
	diags.Append(d...)

	m.CertificatePEM, m.ChainPEM, m.FullChainPEM, m.SHA256Fingerprint = types.StringNull(), types.StringNull(), types.StringNull(), types.StringNull()
	m.setRenewalMode()
	return diags
}

// applyIssued copies the downloaded chain; the leaf is the authority on
// validity and serial.
func (m *certificateDataModel) applyIssued(ic *order.IssuedCert) {
	m.CertificatePEM = types.StringValue(ic.LeafPEM)
	m.ChainPEM = types.StringValue(ic.ChainPEM)
	m.FullChainPEM = types.StringValue(ic.FullChainPEM)
	m.SHA256Fingerprint = types.StringValue(ic.SHA256)
	m.NotBefore = rfc3339OrNull(ic.Leaf.NotBefore)
	m.NotAfter = rfc3339OrNull(ic.Leaf.NotAfter)
	m.SerialNumber = types.StringValue(order.SerialText(ic.Leaf.SerialNumber))
	m.setRenewalMode()
}

func (m *certificateDataModel) setRenewalMode() {
	na, err := time.Parse(time.RFC3339, m.NotAfter.ValueString())
	if m.NotAfter.IsNull() || err != nil {
		m.RenewalMode = types.StringNull()
		return
	}
	cu, _ := time.Parse(time.RFC3339, m.ContractValidUntil.ValueString())
	m.RenewalMode = types.StringValue(renewalMode(strings.ToLower(m.Status.ValueString()), m.ReissueSupported.ValueBool(), na, cu))
}

// ordersHint lists the account's newest orders for a not-found error.
func (d *certificateDataSource) ordersHint(ctx context.Context) string {
	certs, err := d.data.client.ListCertificates(ctx)
	if err != nil {
		return "(listing the account's orders failed too: " + err.Error() + ")"
	}
	if len(certs) == 0 {
		return "The account has no certificate orders."
	}
	var parts []string
	for i := len(certs) - 1; i >= 0 && len(parts) < maxListedOrders; i-- { // the API lists oldest first
		parts = append(parts, fmt.Sprintf("%s (%s, %s)", certs[i].ID, certs[i].CommonName, cmp.Or(certs[i].Status, "-")))
	}
	more := ""
	if len(certs) > len(parts) {
		more = fmt.Sprintf(" and %d older", len(certs)-len(parts))
	}
	return fmt.Sprintf("The account's newest orders: %s%s.", strings.Join(parts, ", "), more)
}

func (d *certificateDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m certificateDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.ID.ValueString()
	c, err := d.data.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "TLS Certificate Not Found",
			fmt.Sprintf("The account has no TLS certificate order with id %s. %s Check the id; ids are shown in the regfish "+
				"Console and in regfish_tls_certificate.<name>.id.", id, d.ordersHint(ctx)))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read TLS Certificate", fmt.Sprintf("Reading certificate order %s failed: %s", id, err))
		return
	}
	resp.Diagnostics.Append(m.applyOrder(c)...)
	if c.Ready() {
		data, err := d.data.client.DownloadCertificate(ctx, id, "pem")
		switch {
		case errors.Is(err, regfish.ErrConflict):
			resp.Diagnostics.AddWarning("TLS Certificate Not Downloadable Yet",
				fmt.Sprintf("Certificate order %s reads as %s, but the download is not ready yet (the API answered 409). "+
					"certificate_pem and the chain are null; refresh again later.", id, c.Status))
		case err != nil:
			resp.Diagnostics.AddError("Unable to Download TLS Certificate", fmt.Sprintf("Downloading certificate %s failed: %s", id, err))
			return
		default:
			ic, err := order.ParseChain(id, data)
			if err != nil {
				resp.Diagnostics.AddError("Unable to Parse TLS Certificate",
					fmt.Sprintf("The PEM download of certificate %s is not a usable chain: %s. This is a problem of the API "+
						"answer; contact regfish support if it persists.", id, err))
				return
			}
			m.applyIssued(ic)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
