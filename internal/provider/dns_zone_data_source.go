package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var _ datasource.DataSourceWithConfigure = (*dnsZoneDataSource)(nil)

// NewDNSZoneDataSource is the regfish_dns_zone data source.
func NewDNSZoneDataSource() datasource.DataSource { return &dnsZoneDataSource{} }

type dnsZoneDataSource struct{ data *providerData }

type dnsZoneDataModel struct {
	Name                    types.String `tfsdk:"name"`
	ID                      types.String `tfsdk:"id"`
	Domain                  types.String `tfsdk:"domain"`
	Active                  types.Bool   `tfsdk:"active"`
	Signed                  types.Bool   `tfsdk:"signed"`
	DNSSECState             types.String `tfsdk:"dnssec_state"`
	UsingRegfishNameservers types.Bool   `tfsdk:"using_regfish_nameservers"`
	Nameservers             types.List   `tfsdk:"nameservers"`
	RecordCount             types.Int64  `tfsdk:"record_count"`
	Records                 types.List   `tfsdk:"records"`
	SOA                     types.Object `tfsdk:"soa"`
	Counts                  types.Object `tfsdk:"counts"`
	DelegationNameservers   types.List   `tfsdk:"delegation_nameservers"`
	DNSSEC                  types.Object `tfsdk:"dnssec"`
}

var zoneRecordType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "name": types.StringType, "type": types.StringType, "data": types.StringType,
	"ttl": types.Int64Type, "priority": types.Int64Type, "auto": types.BoolType, "annotation": types.StringType,
}}

func (d *dnsZoneDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_dns_zone"
}

func (d *dnsZoneDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	attrs := map[string]schema.Attribute{
		"name": schema.StringAttribute{
			MarkdownDescription: "The zone's domain, e.g. `example.com`. Upper case and a trailing dot are accepted. " +
				"A name below a zone (`www.example.com`) is not a zone; the error then names the zone that holds it.",
			Required:   true,
			Validators: []validator.String{stringvalidator.RegexMatches(zoneNameRe, "must be a domain name such as example.com")},
		},
	}
	for k, v := range zoneDetailSchema() {
		attrs[k] = v
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one DNS zone of the account: its delegation, SOA, record counts and DNSSEC (`GET /dns/zones/{domain}`) and its " +
			"records (`GET /dns/{domain}/rr`: the zone detail lists records without their data). Zones are the account's domains hosted on regfish DNS; they cannot " +
			"be created through the API. Fails, naming the zone and listing the account's zones, when there is no such zone.",
		Attributes: attrs,
	}
	for k, v := range map[string]schema.Attribute{
		"id":           str("The zone's domain, lower case without trailing dot."),
		"domain":       str("The zone's domain, lower case without trailing dot (as `id`)."),
		"active":       schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether regfish serves the zone."},
		"signed":       schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the zone is DNSSEC-signed."},
		"dnssec_state": str("DNSSEC state reported by regfish, e.g. `unsigned` (null when the API does not say)."),
		"using_regfish_nameservers": schema.BoolAttribute{
			Computed: true, MarkdownDescription: "Whether the domain is delegated to the regfish nameservers, so records published here take effect.",
		},
		"nameservers": schema.ListAttribute{
			Computed: true, ElementType: types.StringType,
			MarkdownDescription: "The delegation nameservers of the domain, host names without trailing dot, in the API's order.",
		},
		"record_count": schema.Int64Attribute{Computed: true, MarkdownDescription: "Number of records in the zone as the zone detail " +
			"counts them: the records regfish keeps for the zone itself (such as its NS set) included, which the record listing does not show."},
		"records": schema.ListNestedAttribute{
			Computed: true,
			MarkdownDescription: "Every record the zone's record listing shows, ordered by id. Records managed by " +
				"`regfish_dns_record` appear here with the same `id`. A zone without records of its own lists none: the records " +
				"regfish keeps for the zone itself (its NS set) are not listed; should a listing show such a record, it has `auto = true`.",
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"id":         str("Record id (`rrid`), as `regfish_dns_record.id`."),
				"name":       str("Fully qualified record name as the API stores it (lower case, trailing dot)."),
				"type":       str("Record type, e.g. `A`, `CNAME`, `TXT`."),
				"data":       str("Record value."),
				"ttl":        schema.Int64Attribute{Computed: true, MarkdownDescription: "Time to live in seconds."},
				"priority":   schema.Int64Attribute{Computed: true, MarkdownDescription: "Priority of `MX` and `SRV` records; null for other types."},
				"auto":       schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether regfish manages the record itself (it cannot be changed)."},
				"annotation": str("Free-text note kept with the record (null when none)."),
			}},
		},
	} {
		attrs[k] = v
	}
}

func (d *dnsZoneDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// zoneNotFoundDetail explains a missing zone with the account's zones, and
// names the zone holding name when name lies below one.
func zoneNotFoundDetail(field, name string, zones []regfish.Zone) string {
	var all []string
	holder := ""
	for _, z := range zones {
		h := regfish.Hostname(z.Domain)
		all = append(all, h)
		if regfish.InZone(name, h) && len(h) > len(holder) {
			holder = h
		}
	}
	list := "none"
	if len(all) > 0 {
		list = strings.Join(all, ", ")
	}
	s := fmt.Sprintf("The account has no DNS zone %s. Its zones: %s.", name, list)
	if holder != "" {
		s += fmt.Sprintf(" %s lies in the zone %s: set %s = %q.", name, holder, field, holder)
	} else {
		s += " Zones are the account's domains hosted on regfish DNS; add the domain in the regfish Console first."
	}
	return s
}

func zoneRecordsValue(recs []regfish.Record) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	elems := make([]attr.Value, 0, len(recs))
	for _, r := range recs {
		prio := types.Int64Null()
		if r.Priority != nil {
			prio = types.Int64Value(int64(*r.Priority))
		}
		o, d := types.ObjectValue(zoneRecordType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(strconv.FormatInt(int64(r.ID), 10)), "name": types.StringValue(r.Name),
			"type": types.StringValue(r.Type), "data": types.StringValue(r.Data), "ttl": types.Int64Value(int64(r.TTL)),
			"priority": prio, "auto": types.BoolValue(r.Auto), "annotation": strOrNull(r.Annotation),
		})
		diags.Append(d...)
		elems = append(elems, o)
	}
	l, d := types.ListValue(zoneRecordType, elems)
	diags.Append(d...)
	return l, diags
}

func (d *dnsZoneDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m dnsZoneDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := regfish.Hostname(m.Name.ValueString())
	z, err := d.data.client.GetZone(ctx, name)
	if regfish.IsNotFound(err) {
		zones, lerr := d.data.client.ListZones(ctx)
		if lerr != nil {
			resp.Diagnostics.AddAttributeError(path.Root("name"), "DNS Zone Not Found",
				fmt.Sprintf("The account has no DNS zone %s (listing the account's zones failed too: %s).", name, lerr))
			return
		}
		resp.Diagnostics.AddAttributeError(path.Root("name"), "DNS Zone Not Found", zoneNotFoundDetail("name", name, zones))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read DNS Zone", fmt.Sprintf("Reading the DNS zone %s failed: %s", name, err))
		return
	}
	// The zone detail's records carry no data (documented): the listing
	// has them.
	recs, err := d.data.client.ListRecords(ctx, name)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read DNS Records", fmt.Sprintf("Listing the records of the DNS zone %s failed: %s", name, err))
		return
	}
	domain := regfish.Hostname(z.Domain)
	if domain == "" {
		domain = name
	}
	m.ID = types.StringValue(domain)
	m.Domain = types.StringValue(domain)
	m.Active = types.BoolValue(z.Active)
	m.Signed = types.BoolValue(z.Signed)
	m.DNSSECState = strOrNull(z.DNSSECState)
	m.UsingRegfishNameservers = types.BoolValue(z.UsingRegfishNameservers)
	var ns []string
	for _, n := range z.DelegationNameservers {
		if h := regfish.Hostname(n.Host); h != "" {
			ns = append(ns, h)
		}
	}
	var diags diag.Diagnostics
	m.Nameservers, diags = stringList(ns)
	resp.Diagnostics.Append(diags...)
	count := z.RecordCount
	if count == 0 {
		count = len(recs)
	}
	m.RecordCount = types.Int64Value(int64(count))
	m.Records, diags = zoneRecordsValue(recs)
	resp.Diagnostics.Append(diags...)
	m.SOA, diags = zoneSOAValue(z.SOA)
	resp.Diagnostics.Append(diags...)
	m.Counts, diags = zoneCountsValue(z.Counts)
	resp.Diagnostics.Append(diags...)
	m.DelegationNameservers, diags = zoneNameserversValue(z.DelegationNameservers)
	resp.Diagnostics.Append(diags...)
	m.DNSSEC, diags = zoneDNSSECValue(ctx, z.DNSSEC)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
