package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The regfish_tls_certificate list resource: `terraform query` over the
// account's certificate orders (Terraform 1.14 and later), with import
// blocks by identity and, with -generate-config-out, the configuration of
// each order. The API lists every order at once (GET /tls/certificate); the
// filters are applied here.

var (
	_ list.ListResourceWithConfigure      = (*certificateListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*certificateListResource)(nil)
)

// certificateStatuses is the one list of order statuses (regfish_tls_certificate.status).
var certificateStatuses = []string{regfish.StatusPending, regfish.StatusIssued, regfish.StatusExpired, regfish.StatusRevoked,
	regfish.StatusCancelled, regfish.StatusOrderCancelled, regfish.StatusRejected, regfish.StatusUnknown}

// defaultListStatuses are the orders a query lists when statuses is unset:
// the live ones, which an import leaves as they are. Any other order makes
// the first plan after its import place a paid order (a renewal for an
// expired certificate, a new order for a dead one).
var defaultListStatuses = []string{regfish.StatusPending, regfish.StatusIssued}

// NewCertificateListResource is the regfish_tls_certificate list resource.
func NewCertificateListResource() list.ListResource { return &certificateListResource{} }

type certificateListResource struct{ data *providerData }

type certificateListModel struct {
	Statuses          types.List   `tfsdk:"statuses"`
	Name              types.String `tfsdk:"name"`
	IncludeSuperseded types.Bool   `tfsdk:"include_superseded"`
}

func (r *certificateListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_certificate"
}

func (r *certificateListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the certificate orders of the regfish account for `terraform query`, each with an import " +
			"block by identity (its id); `terraform query -generate-config-out=FILE` also writes a `regfish_tls_certificate` " +
			"block for each. The generated blocks have no `csr` (the API never returns it): the certificate stays as it is " +
			"until a renewal, a reissue or a new order needs one, and the plan then fails on `csr`, saying so. See the guide " +
			"[Bringing existing certificates under Terraform](../guides/bringing-existing-certificates-under-terraform.md).",
		Attributes: map[string]schema.Attribute{
			"statuses": schema.ListAttribute{
				MarkdownDescription: "Only orders with one of these statuses: " + joinQuoted(certificateStatuses) + ". Default: " +
					joinQuoted(defaultListStatuses) + " — the orders an import leaves as they are. An imported expired, revoked, " +
					"cancelled or rejected order makes the first plan renew it or place a new order (the plan says so).",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.ValueStringsAre(stringvalidator.OneOf(certificateStatuses...)),
				},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Only orders for this DNS name: the common name or one of the DNS names (case and a trailing " +
					"dot do not matter; `*.example.com` finds wildcard certificates).",
				Optional: true,
			},
			"include_superseded": schema.BoolAttribute{
				MarkdownDescription: "Also list issued or expired orders superseded by a later order for the same product and " +
					"names (what a renewal order leaves behind until it expires). Off by default: the old order of a renewed " +
					"certificate is usually inside its renewal window, so importing it would plan another renewal. Listed " +
					"superseded orders say so in their display name.",
				Optional: true,
			},
		},
	}
}

func (r *certificateListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *certificateListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var cfg certificateListModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.Name.IsNull() || cfg.Name.IsUnknown() {
		return
	}
	if !certNameRe.MatchString(regfish.Hostname(cfg.Name.ValueString())) {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Invalid Name",
			fmt.Sprintf("name must be a DNS name such as www.example.com or *.example.com, got %q.", cfg.Name.ValueString()))
	}
}

// certListFilter is what a query asks for.
type certListFilter struct {
	statuses          []string
	name              string // hostname, "" = any
	includeSuperseded bool
}

func (m certificateListModel) filter(ctx context.Context) certListFilter {
	f := certListFilter{statuses: defaultListStatuses, name: regfish.Hostname(m.Name.ValueString()), includeSuperseded: m.IncludeSuperseded.ValueBool()}
	if !m.Statuses.IsNull() && !m.Statuses.IsUnknown() {
		var s []string
		m.Statuses.ElementsAs(ctx, &s, false)
		f.statuses = s
	}
	return f
}

// listedCertificate is one order a query lists.
type listedCertificate struct {
	cert         *regfish.Certificate
	supersededBy string // the later order for the same product and names, if any
}

// supersededBy maps the id of each issued or expired order to the id of a
// later issued or expired order for the same product and names (the one
// that ends last), when there is one.
func supersededBy(certs []regfish.Certificate) map[string]string {
	latest := map[string]*regfish.Certificate{}
	key := func(c *regfish.Certificate) string {
		return strings.ToLower(c.Product) + "|" + strings.Join(c.Names(), ",")
	}
	live := func(c *regfish.Certificate) bool {
		return c.IssuedOrExpired()
	}
	for i := range certs {
		c := &certs[i]
		if !live(c) {
			continue
		}
		if l, ok := latest[key(c)]; !ok || c.ValidUntil.After(l.ValidUntil.Time) {
			latest[key(c)] = c
		}
	}
	out := map[string]string{}
	for i := range certs {
		c := &certs[i]
		if l := latest[key(c)]; live(c) && l != nil && l.ID != c.ID {
			out[c.ID] = l.ID
		}
	}
	return out
}

// selectCertificates applies the filter, oldest order first (as listed).
func selectCertificates(certs []regfish.Certificate, f certListFilter) []listedCertificate {
	sup := supersededBy(certs)
	var out []listedCertificate
	for i := range certs {
		c := &certs[i]
		if c.ID == "" || !slices.Contains(f.statuses, strings.ToLower(c.Status)) {
			continue
		}
		if f.name != "" && !slices.Contains(c.Names(), f.name) {
			continue
		}
		by := sup[c.ID]
		if by != "" && !f.includeSuperseded {
			continue
		}
		out = append(out, listedCertificate{cert: c, supersededBy: by})
	}
	return out
}

// displayName describes an order in the query output.
func (l listedCertificate) displayName() string {
	c := l.cert
	s := fmt.Sprintf("%s (%s, %s", strings.Join(c.Names(), ", "), c.Product, strings.ToLower(c.Status))
	if !c.ValidUntil.IsZero() {
		s += " until " + c.ValidUntil.UTC().Format(time.DateOnly)
	}
	if l.supersededBy != "" {
		s += ", superseded by " + l.supersededBy
	}
	return s + ")"
}

// certificateTimeoutsType is the type of the resource's timeouts block.
var certificateTimeoutsType = map[string]attr.Type{"create": types.StringType, "update": types.StringType, "delete": types.StringType}

// listedCertificateModel is the resource an import of c brings in, as far
// as the order tells (the certificate itself is downloaded by the import's
// refresh): the same arguments the resource's Read fills in after an import.
func listedCertificateModel(c *regfish.Certificate) (certificateModel, diag.Diagnostics) {
	var m certificateModel
	m.ID = types.StringValue(c.ID)
	m.fillFromOrder(c)
	diags := m.applyOrder(c)
	m.Timeouts = timeouts.Value{Object: types.ObjectNull(certificateTimeoutsType)}
	m.setRenewAfter()
	m.unknownToNull()
	return m, diags
}

func (r *certificateListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg certificateListModel
	diags := req.Config.Get(ctx, &cfg)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if r.data == nil {
		notConfigured(&diags, "listing certificates")
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	certs, err := r.data.client.ListCertificates(ctx)
	if err != nil {
		if !r.data.apiKeyProblem(err, &diags) {
			diags.AddError("Unable to List Certificate Orders", fmt.Sprintf("Listing the certificate orders of the regfish account: %v. Nothing was listed; run terraform query again.", err))
		}
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	selected := selectCertificates(certs, cfg.filter(ctx))
	stream.Results = func(push func(list.ListResult) bool) {
		for i, l := range selected {
			if req.Limit > 0 && int64(i) >= req.Limit {
				return
			}
			res := req.NewListResult(ctx)
			res.DisplayName = l.displayName()
			res.Diagnostics.Append(res.Identity.SetAttribute(ctx, path.Root(identityAttr), l.cert.ID)...)
			if req.IncludeResource {
				m, d := listedCertificateModel(l.cert)
				res.Diagnostics.Append(d...)
				res.Diagnostics.Append(res.Resource.Set(ctx, &m)...)
			}
			if !push(res) {
				return
			}
		}
	}
}
