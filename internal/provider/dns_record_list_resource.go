package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The regfish_dns_record list resource: `terraform query` over the records
// of one DNS zone (GET /dns/{zone}/rr), filtered here by name and type.
// Records that cannot be managed are not listed: system-managed ones
// (auto: true, refused by the resource's import) and the _dnsauth records
// regfish_tls_certificate publishes and removes itself.

var (
	_ list.ListResourceWithConfigure      = (*dnsRecordListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*dnsRecordListResource)(nil)
)

// NewDNSRecordListResource is the regfish_dns_record list resource.
func NewDNSRecordListResource() list.ListResource { return &dnsRecordListResource{} }

type dnsRecordListResource struct{ data *providerData }

type dnsRecordListModel struct {
	Zone types.String `tfsdk:"zone"`
	Name types.String `tfsdk:"name"`
	Type types.String `tfsdk:"type"`
}

func (r *dnsRecordListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_dns_record"
}

func (r *dnsRecordListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the DNS records of one zone of the regfish account for `terraform query`, each with an " +
			"import block by identity (its record id); `terraform query -generate-config-out=FILE` also writes a " +
			"`regfish_dns_record` block for each. Not listed: system-managed records (`auto: true`; regfish keeps a zone's NS " +
			"set itself and does not list it, but should a listing show such a record), which regfish refuses to change or " +
			"delete and which therefore cannot be imported, and the `_dnsauth` validation records `regfish_tls_certificate` " +
			"publishes and removes by itself.",
		Attributes: map[string]schema.Attribute{
			"zone": schema.StringAttribute{
				MarkdownDescription: "The DNS zone to list, e.g. `example.com` (a zone of the account).",
				Required:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(recordNameRe, "must be a DNS zone name such as example.com")},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Only records with this fully qualified name, e.g. `www.example.com` (case and a trailing " +
					"dot do not matter).",
				Optional:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(recordNameRe, "must be a fully qualified domain name such as www.example.com")},
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "Only records of this type, one of " + joinQuoted(dnsRecordTypes) + ".",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(dnsRecordTypes...)},
			},
		},
	}
}

func (r *dnsRecordListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *dnsRecordListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var cfg dnsRecordListModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.Zone.IsUnknown() || cfg.Name.IsNull() || cfg.Name.IsUnknown() {
		return
	}
	if !regfish.InZone(cfg.Name.ValueString(), cfg.Zone.ValueString()) {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Name Outside the Zone",
			fmt.Sprintf("name %s does not lie in zone %s, so no record of the listed zone can have it.", cfg.Name.ValueString(), cfg.Zone.ValueString()))
	}
}

// listableRecord reports whether a record may be offered for import: not
// system-managed, not a DCV record of regfish_tls_certificate.
func listableRecord(rec *regfish.Record) bool {
	if rec.Auto {
		return false
	}
	_, dcv := order.ParseDCVAnnotation(rec.Annotation)
	return !dcv
}

// selectRecords applies the name and type filters to a zone's records.
func selectRecords(recs []regfish.Record, name, typ string) []*regfish.Record {
	var out []*regfish.Record
	for i := range recs {
		rec := &recs[i]
		if rec.ID <= 0 || !listableRecord(rec) {
			continue
		}
		if name != "" && regfish.Fqdn(rec.Name) != regfish.Fqdn(name) {
			continue
		}
		if typ != "" && !strings.EqualFold(rec.Type, typ) {
			continue
		}
		out = append(out, rec)
	}
	return out
}

// listedRecordModel is the resource an import of rec brings in: what the
// resource's Read writes after an import.
func listedRecordModel(rec *regfish.Record, zone string) dnsRecordModel {
	var m dnsRecordModel // null name and data: apply writes the API's spelling
	m.apply(rec)
	m.Zone = types.StringValue(zone)
	return m
}

func (r *dnsRecordListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg dnsRecordListModel
	diags := req.Config.Get(ctx, &cfg)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if r.data == nil {
		notConfigured(&diags, "listing DNS records")
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	zone := regfish.Hostname(cfg.Zone.ValueString())
	recs, err := r.data.client.ListRecords(ctx, zone)
	if err != nil {
		switch {
		case r.data.apiKeyProblem(err, &diags):
		case regfish.IsNotFound(err):
			diags.AddAttributeError(path.Root("zone"), "DNS Zone Not Found", fmt.Sprintf("The regfish account has no DNS zone %s: %v.", zone, err))
		default:
			diags.AddError("Unable to List DNS Records", fmt.Sprintf("Listing the records of DNS zone %s: %v. Nothing was listed; run terraform query again.", zone, err))
		}
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	selected := selectRecords(recs, cfg.Name.ValueString(), cfg.Type.ValueString())
	stream.Results = func(push func(list.ListResult) bool) {
		for i, rec := range selected {
			if req.Limit > 0 && int64(i) >= req.Limit {
				return
			}
			res := req.NewListResult(ctx)
			res.DisplayName = fmt.Sprintf("%s %s %s", rec.Name, rec.Type, rec.Data)
			res.Diagnostics.Append(res.Identity.SetAttribute(ctx, path.Root(identityAttr), strconv.FormatInt(int64(rec.ID), 10))...)
			if req.IncludeResource {
				m := listedRecordModel(rec, zone)
				res.Diagnostics.Append(res.Resource.Set(ctx, &m)...)
			}
			if !push(res) {
				return
			}
		}
	}
}
