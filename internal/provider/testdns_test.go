package provider

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/miekg/dns"
)

// testDNSProvider is a provider for the tests only, standing in for
// hashicorp/dns (no registry here) under its name, dns, so that
// configurations written for hashicorp/dns run unchanged: the provider's
// update block (server, port — default 53) and dns_cname_record, which
// publishes a CNAME into that server by RFC 2136 dynamic updates with
// hashicorp/dns's arguments — zone (absolute, with the trailing dot), name
// relative to the zone, cname absolute, ttl (default 3600). Like
// hashicorp/dns it appends the zone to name, so a name given absolute
// ("_dnsauth.example.net") ends up under a doubled zone suffix. Only those
// arguments: no TSIG keys, no other record types.
type testDNSProvider struct{}

type testDNSProviderModel struct {
	Update []testDNSUpdateModel `tfsdk:"update"`
}

type testDNSUpdateModel struct {
	Server types.String `tfsdk:"server"`
	Port   types.Int64  `tfsdk:"port"`
}

func (p *testDNSProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "dns"
}

func (p *testDNSProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{Blocks: map[string]pschema.Block{
		"update": pschema.ListNestedBlock{
			Validators: []validator.List{listvalidator.SizeAtMost(1)},
			NestedObject: pschema.NestedBlockObject{Attributes: map[string]pschema.Attribute{
				"server": pschema.StringAttribute{Required: true, Description: "The DNS server that takes the updates."},
				"port":   pschema.Int64Attribute{Optional: true, Description: "Its port (default 53)."},
			}},
		},
	}}
}

func (p *testDNSProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m testDNSProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || len(m.Update) == 0 {
		return
	}
	port := int64(53)
	if !m.Update[0].Port.IsNull() {
		port = m.Update[0].Port.ValueInt64()
	}
	resp.ResourceData = net.JoinHostPort(m.Update[0].Server.ValueString(), strconv.FormatInt(port, 10))
}

func (p *testDNSProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &testCNAMEResource{} }}
}
func (p *testDNSProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
func (p *testDNSProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return nil
}

type testCNAMEResource struct{ server string }

type testCNAMEModel struct {
	ID    types.String `tfsdk:"id"`
	Zone  types.String `tfsdk:"zone"`
	Name  types.String `tfsdk:"name"`
	CNAME types.String `tfsdk:"cname"`
	TTL   types.Int64  `tfsdk:"ttl"`
}

func (m testCNAMEModel) owner() string {
	return strings.ToLower(m.Name.ValueString() + "." + m.Zone.ValueString())
}

func (r *testCNAMEResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "dns_cname_record"
}

func (r *testCNAMEResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":    schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"zone":  schema.StringAttribute{Required: true, PlanModifiers: replace},
		"name":  schema.StringAttribute{Required: true, PlanModifiers: replace},
		"cname": schema.StringAttribute{Required: true},
		"ttl":   schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(3600)},
	}}
}

func (r *testCNAMEResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if s, ok := req.ProviderData.(string); ok {
		r.server = s
	}
}

// update sends one RFC 2136 update to the server: the zone's CNAME at the
// owner replaced by target ("" removes it).
func (r *testCNAMEResource) update(m testCNAMEModel, target string) error {
	zone, owner := m.Zone.ValueString(), m.owner()
	if r.server == "" {
		return fmt.Errorf("the dns provider has no update block: no server to send updates to")
	}
	if !strings.HasSuffix(zone, ".") {
		return fmt.Errorf("zone %q must be absolute (end with a dot), as hashicorp/dns wants", zone)
	}
	u := new(dns.Msg)
	u.SetUpdate(zone)
	u.RemoveRRset([]dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME}}})
	if target != "" {
		u.Insert([]dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: uint32(m.TTL.ValueInt64())}, Target: target}})
	}
	in, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(u, r.server)
	if err != nil {
		return err
	}
	if in.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("DNS update of %s answered %s", owner, dns.RcodeToString[in.Rcode])
	}
	return nil
}

func (r *testCNAMEResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testCNAMEModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if err := r.update(m, m.CNAME.ValueString()); err != nil {
		resp.Diagnostics.AddError("DNS Update Failed", err.Error())
		return
	}
	m.ID = types.StringValue(m.owner())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testCNAMEResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m testCNAMEModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	q := new(dns.Msg)
	q.SetQuestion(m.owner(), dns.TypeCNAME)
	in, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(q, r.server)
	if err != nil {
		resp.Diagnostics.AddError("DNS Query Failed", err.Error())
		return
	}
	for _, rr := range in.Answer {
		if c, ok := rr.(*dns.CNAME); ok {
			m.CNAME = types.StringValue(c.Target)
			resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
			return
		}
	}
	resp.State.RemoveResource(ctx) // gone, as hashicorp/dns does
}

func (r *testCNAMEResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m testCNAMEModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if err := r.update(m, m.CNAME.ValueString()); err != nil {
		resp.Diagnostics.AddError("DNS Update Failed", err.Error())
		return
	}
	m.ID = types.StringValue(m.owner())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testCNAMEResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m testCNAMEModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if err := r.update(m, ""); err != nil {
		resp.Diagnostics.AddError("DNS Update Failed", err.Error())
	}
}
