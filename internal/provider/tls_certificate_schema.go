package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The regfish_tls_certificate resource: its type, limits and schema.

var (
	_ resource.ResourceWithConfigure      = (*certificateResource)(nil)
	_ resource.ResourceWithImportState    = (*certificateResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*certificateResource)(nil)
	_ resource.ResourceWithValidateConfig = (*certificateResource)(nil)
	_ resource.ResourceWithIdentity       = (*certificateResource)(nil)
)

// Limits and defaults of the certificate resource.
const (
	maxValidityDays        = 199
	defaultCreateTimeoutDV = 30 * time.Minute
	defaultCreateTimeoutOV = 2 * time.Hour
	defaultDeleteTimeout   = 10 * time.Minute
)

// NewCertificateResource is the regfish_tls_certificate resource.
func NewCertificateResource() resource.Resource { return &certificateResource{} }

type certificateResource struct{ data *providerData }

func (r *certificateResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_certificate"
	// A renewal order or a new order for changed names or product gives the
	// certificate a new id in place: its identity changes with it.
	resp.ResourceBehavior.MutableIdentity = true
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
		Version: certificateSchemaVersion,
		MarkdownDescription: "One TLS certificate, from its order to every renewal. Create **blocks** until the certificate is issued and " +
			"downloaded: it places the order, completes a staged OV/EV order with `org_id` (or waits for the completion in the regfish " +
			"Console), publishes the DCV CNAME records in regfish DNS, waits with backoff and downloads the PEM. An interrupted apply " +
			"never loses the order: the next apply resumes it. Only a change of the names or the product places a new order, and " +
			"the plan says so in words; a new key is a reissue on the same order; see [What a change does](#what-a-change-does).",
		Attributes: map[string]schema.Attribute{
			"id": computedString("Public id of the current certificate order (e.g. `7K9QW3M2ZT8HJ`). It stays the same through " +
				"reissues; a renewal order or a new order for changed names or product gives a new id."),
			"product": schema.StringAttribute{
				MarkdownDescription: "Product SKU, e.g. `RapidSSL` or `SecureSite` (see the `regfish_tls_products` data source). " +
					"Checked against the catalog at plan time. Changing it places a new order (in place: the plan shows the new id as " +
					"unknown and says so in a warning).",
				Required:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"common_name": schema.StringAttribute{
				MarkdownDescription: "Common name, a lower-case DNS name such as `www.example.com` (`*.example.com` only with a " +
					"wildcard product). Changing it places a new order.",
				Required:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(certNameRe, "must be a lower-case DNS name such as www.example.com")},
			},
			"dns_names": schema.SetAttribute{
				MarkdownDescription: "Further DNS names (SANs). The common name may be listed too. Changing the set of names " +
					"places a new order.",
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(certNameRe, "must be a lower-case DNS name such as api.example.com"))},
			},
			"csr": schema.StringAttribute{
				MarkdownDescription: "PEM certificate signing request (e.g. `tls_cert_request.x.cert_request_pem`). Its names " +
					"must be `common_name` and `dns_names`; RSA (2048 bits or more) and ECDSA keys are accepted. A CSR with a new " +
					"key (key rotation) **reissues** the certificate on the same order; a CSR for the same key is only recorded; " +
					"the same request spelled differently (line endings, line length) is no change at all. Required to order; " +
					"a certificate brought in by import may leave it unset until a renewal, a reissue or a new order needs it " +
					"(the plan then fails, saying so). Instead of `csr`, `private_key_wo` may give the key: then this attribute is computed, " +
					"the CSR the provider built from that key (public, as any CSR).",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"private_key_wo": schema.StringAttribute{
				MarkdownDescription: "**Write-only** PEM private key to order with instead of `csr`, e.g. `ephemeral.tls_private_key.x.private_key_pem`: " +
					"Terraform hands it to the provider during plan and apply and never stores it, in the state or the plan. The provider " +
					"builds the CSR in memory (subject `common_name`, SANs `common_name` and `dns_names`), never logs the key and never sends it " +
					"anywhere; `csr` and `public_key_sha256` record the public side. Accepted keys: " + keyTypesAccepted + "; PEM as PKCS #1, " +
					"SEC 1 or PKCS #8, unencrypted. Needs Terraform 1.11 or OpenTofu 1.11 or later, and `private_key_wo_version`: an ephemeral " +
					"key differs on every run, so only a new version is a new key. See the guide [Keys in no state](../guides/keys-in-no-state.md).",
				Optional:  true,
				WriteOnly: true,
				Sensitive: true,
				Validators: []validator.String{
					stringvalidator.ConflictsWith(path.MatchRoot("csr")),
					stringvalidator.AlsoRequires(path.MatchRoot("private_key_wo_version")),
					privateKeyValidator{},
				},
			},
			"private_key_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Version of the key in `private_key_wo`: set it with the key, and change it (e.g. increment it) when " +
					"the key is new. A changed version **reissues** the certificate on the same order with the key the apply holds (no new " +
					"order; the plan says so); an unchanged version changes nothing, whatever key the run holds, and renewals keep the key of " +
					"the last version (the recorded `csr`). Give a secret store that receives the same key the same version, so that both " +
					"change in the same apply.",
				Optional: true,
				Validators: []validator.Int64{
					int64validator.AlsoRequires(path.MatchRoot("private_key_wo")),
					int64validator.AtLeast(1),
				},
			},
			"public_key_sha256": computedString("SHA-256 of the public key of `csr` (DER SubjectPublicKeyInfo), lower-case hex: the key " +
				"the next issuance uses, and with `private_key_wo` the way to tell which key the certificate carries " +
				"(`openssl pkey -in key.pem -pubout -outform DER | sha256sum` prints the same). Known after apply when a new key is planned; null after an import until the next apply records a CSR."),
			"org_id": schema.StringAttribute{
				MarkdownDescription: "Public id (`hdl_...`) of the TLS organization an OV/EV order is bound to, e.g. " +
					"`regfish_tls_organization.x.id`. Without it, an order for a product that needs an organization waits until " +
					"someone completes it in the regfish Console (see `completion_url`); setting it later completes a waiting " +
					"order in place. Ignored by DV products. Changing it on a bound order places no order: it applies at the next " +
					"renewal order.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(orgIDRe, "must be a TLS organization id such as hdl_7K9QW3M2ZT8HJ")},
			},
			"dcv_method": schema.StringAttribute{
				MarkdownDescription: "Domain control validation method: `dns-cname-token` (default; the provider publishes the " +
					"`_dnsauth` CNAME records in regfish DNS and removes them after issuance, so every name must be in a DNS zone " +
					"of the account, which the plan checks) or `email` (the order waits until an approver confirms the e-mail). " +
					"Changing it places no order: it applies at the next reissue or renewal.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(regfish.DCVMethodCNAME),
				Validators: []validator.String{stringvalidator.OneOf(regfish.DCVMethodCNAME, regfish.DCVMethodEmail)},
			},
			"dcv_emails": schema.SetAttribute{
				MarkdownDescription: "Approver addresses for `dcv_method = \"email\"` (default: the CA's admin@, hostmaster@, ... " +
					"addresses). Only allowed with e-mail validation. Changing them places no order: they apply at the next " +
					"reissue or renewal.",
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.RegexMatches(emailRe, "must be an e-mail address"))},
			},
			"dcv_publisher": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Who publishes the DCV records of `dns-cname-token` validation: `%s` (default; this provider "+
					"publishes the `_dnsauth` CNAMEs in regfish DNS, removes them after issuance, and Create blocks until the certificate "+
					"is issued) or `%s` (this provider neither publishes nor removes them: `dcv_records` exports them for any DNS "+
					"resource, Create and every reissue, renewal or new order return once their records are known, and "+
					"`regfish_tls_certificate_validation` waits for the certificate; the names need not be in regfish DNS). "+
					"Changing it places no order. See the guide [Validating through another DNS provider](../guides/external-dns-validation.md).",
					dcvPublisherRegfish, dcvPublisherExternal),
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(dcvPublisherRegfish),
				Validators: []validator.String{stringvalidator.OneOf(dcvPublishers...)},
			},
			"dcv_records": schema.MapNestedAttribute{
				MarkdownDescription: fmt.Sprintf("With `dcv_publisher = \"%s\"`: the DCV records to publish, one per record, **keyed by the "+
					"record name** (`_dnsauth.example.com`, lower case, no trailing dot). The keys are known at plan time — predicted "+
					"from the names and the provider's `dcv_scope` — so `for_each = regfish_tls_certificate.x.dcv_records` works in the "+
					"apply that orders the certificate; the values are known after apply, and become unknown again when a reissue, "+
					"renewal or new order is planned. Empty with `dcv_publisher = \"%s\"` or e-mail validation.", dcvPublisherExternal, dcvPublisherRegfish),
				Computed: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":  schema.StringAttribute{Computed: true, MarkdownDescription: "Record name, the same as the key: `_dnsauth.` and the name it validates, no trailing dot (add one where your DNS provider wants it)."},
					"type":  schema.StringAttribute{Computed: true, MarkdownDescription: "Record type: `CNAME`."},
					"value": schema.StringAttribute{Computed: true, MarkdownDescription: "The CNAME target (the order's token under `dcv.digicert.com`), no trailing dot."},
				}},
			},
			"validity_days": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Purchased validity in days, 2 to %d (default: the API's maximum, %d; at least 2, so "+
					"that a renewal window of a day fits before the end). Changing it places no order: it applies at the next renewal order.", maxValidityDays, maxValidityDays),
				Optional:      true,
				Computed:      true,
				Validators:    []validator.Int64{int64validator.Between(2, maxValidityDays)},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"revoke_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "Revoke an issued certificate when the resource is destroyed, or when a new order for changed " +
					"names or product has been issued (default: `false`). Off by default because a certificate being replaced may " +
					"still be deployed. A pending order is cancelled instead (see `cancel_on_destroy`).",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"cancel_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "Cancel the order when the resource is destroyed, or when a new order for changed names or product " +
					"takes its place, while it is still pending (default: `true`). The provider reads the order after the cancel request " +
					"and reports success only when regfish shows it cancelled: if regfish does not cancel it (the API refuses, or does not " +
					"offer cancelling), the destroy fails naming the order, and nothing is ordered in its place. Set `false` to let go of " +
					"a pending order without cancelling it: it stays in the regfish account as it is (regfish may still issue and bill it; " +
					"cancel it in the regfish Console), and its DCV records are removed. Like `revoke_on_destroy`, it takes effect once " +
					"applied: set it, apply, then destroy.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
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
					"name":  schema.StringAttribute{Computed: true, MarkdownDescription: "Record name, e.g. `_dnsauth.example.com.`"},
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
			"serial_number":      computedString("Serial number as `openssl x509 -serial` prints it: upper-case hex, two digits per byte, leading zeros kept."),
			"sha256_fingerprint": computedString("SHA-256 fingerprint of the leaf certificate (DER), lower-case hex."),
			"contract_valid_until": computedString("End of the order's contract window (RFC 3339). When it lasts more than a day " +
				"beyond `not_after`, renewal reissues on the same order; otherwise it places a renewal order."),
			"renew_after":      computedString("When the renewal window opens: `not_after` minus `renew_before_days` (RFC 3339)."),
			"renewal_order_id": computedString("The renewal order being waited for, while a renewal is in progress (empty otherwise)."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true,
				CreateDescription: "How long Create waits for issuance (default: `30m` for DV, `2h` for OV/EV products). When it " +
					"passes, the apply fails but the order is kept; the next apply resumes it. It bounds Create only, never an update.",
				UpdateDescription: "How long an update waits: a resume, a reissue (key rotation, renewal by reissue), a renewal order " +
					"or a new order. Default: `30m` for DV, `2h` for OV/EV products, by the product — not the `create` value: to " +
					"shorten the wait of a key rotation, set `update`.",
				DeleteDescription: "How long cancellation or revocation may take (default: `10m`).",
			}),
		},
	}
}
