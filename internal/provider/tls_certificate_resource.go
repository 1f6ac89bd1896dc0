package provider

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
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
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

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
	o.Own = map[string]bool{id: true}
	if rid := state.RenewalOrderID.ValueString(); rid != "" {
		o.Own[rid] = true
	}
	for _, old := range getPrivate[[]string](ctx, req.Private, privateRetire) {
		o.Own[old] = true
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

type privateState interface {
	privateGetter
	privateSetter
}

// retire revokes the certificates a new order for changed names or product
// replaced, now that the new one is issued (revoke_on_destroy), and
// forgets them.
func (r *certificateResource) retire(ctx context.Context, revoke bool, private privateState, diags *diag.Diagnostics) {
	ids := getPrivate[[]string](ctx, private, privateRetire)
	if len(ids) == 0 {
		return
	}
	var left []string
	for _, id := range ids {
		if !revoke {
			continue
		}
		if err := r.revokeIssued(ctx, id, diags); err != nil {
			diags.AddWarning("Replaced Certificate "+id+" Not Revoked",
				fmt.Sprintf("Certificate %s was replaced by a new order and revoke_on_destroy is set, but revoking it failed: %v. The next apply tries again; or revoke it in the regfish Console.", id, err))
			left = append(left, id)
		}
	}
	if len(left) == 0 {
		diags.Append(private.SetKey(ctx, privateRetire, nil)...)
		return
	}
	diags.Append(setPrivate(ctx, private, privateRetire, left)...)
}

// revokeIssued revokes certificate id when it is issued (or expired). A
// revocation regfish accepted without the certificate showing it yet is a
// warning: the CA completes it later.
func (r *certificateResource) revokeIssued(ctx context.Context, id string, diags *diag.Diagnostics) error {
	c, err := r.data.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading certificate %s: %w", id, err)
	}
	if !strings.EqualFold(c.Status, regfish.StatusIssued) && !strings.EqualFold(c.Status, regfish.StatusExpired) {
		return nil
	}
	now, err := r.data.RevokeCertificate(ctx, id, regfish.RevokeRequest{Comments: "terraform-provider-regfish: revoke_on_destroy", Scope: "certificate"})
	if err == nil && !order.RevokedStatus(now.Status) {
		diags.AddWarning("Revocation of Certificate "+id+" Requested",
			fmt.Sprintf("regfish accepted the revocation of certificate %s (revoke_on_destroy), but it still reads status %q: the CA completes it later. Check it in the regfish Console.", id, now.Status))
	}
	return err
}

// cancelPending cancels order id while it is pending. It returns the order
// as it is afterwards (nil when regfish does not know it); an error when
// it could not be read, or regfish did not cancel it.
func (r *certificateResource) cancelPending(ctx context.Context, id string) (*regfish.Certificate, error) {
	c, err := r.data.ReadOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	if c == nil || !c.Pending() {
		return c, nil
	}
	return r.data.CancelOrder(ctx, id)
}

// letGo handles the pending orders a destroy or a new order leaves behind:
// it cancels them (cancel_on_destroy), or leaves them pending and says so.
// It returns the order as it is afterwards (nil when regfish no longer
// knows it).
func (r *certificateResource) letGo(ctx context.Context, id string, cancel bool, diags *diag.Diagnostics) (*regfish.Certificate, error) {
	if cancel {
		return r.cancelPending(ctx, id)
	}
	c, err := r.data.ReadOrder(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case c == nil:
		return nil, nil
	case c.Pending():
		diags.AddWarning("Certificate Order "+id+" Left Pending",
			fmt.Sprintf("Order %s is still pending (order_state %s) and was not cancelled (cancel_on_destroy = false): it stays in the regfish account "+
				"as it is, and regfish may still issue and bill it. Cancel it in the regfish Console if it is not wanted.", id, cmp.Or(c.OrderState, "-")))
	}
	return c, nil
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
		if id == old && c != nil && (strings.EqualFold(c.Status, regfish.StatusIssued) || strings.EqualFold(c.Status, regfish.StatusExpired)) {
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

// HandOver is the delete half of a replacement whose new object takes the
// order over instead of ordering again: the replacement of a tainted
// object (an interrupted create), or a forced replacement (-replace) with
// the same names, product and key. It reports whether the order was handed
// over; an error means it could not be checked, and nothing may be done.
func (r *certificateResource) handOver(ctx context.Context, rec planRecord, state certificateModel) (bool, error) {
	id := state.ID.ValueString()
	switch rec.Intent {
	case intentCreate:
	case intentReplace:
		if state.spec(ctx).Fingerprint() != rec.Fingerprint {
			return false, nil
		}
	default:
		return false, nil
	}
	// With create_before_destroy the new object ran first: it took this
	// order over, or holds another one.
	switch other := r.data.Registry.PlacedFor(rec.Fingerprint); other {
	case id:
		return true, nil
	case "":
	default:
		return false, nil
	}
	c, err := r.data.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch {
	case !c.Pending() && !c.Ready():
		return false, nil
	case rec.Intent == intentReplace && c.Ready() && rec.KeyFP != "" && order.LeafKeyFingerprint(state.CertificatePEM.ValueString()) != rec.KeyFP:
		return false, nil // a new key: the replacement orders anew
	}
	r.data.Registry.HandOver(rec.Fingerprint, id)
	tflog.Info(ctx, "regfish: the replaced object's order "+id+" is handed over to its replacement, not cancelled", map[string]any{"certificate_id": id})
	return true, nil
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
