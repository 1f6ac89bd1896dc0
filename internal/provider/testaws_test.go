package provider

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	eschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/miekg/dns"
)

// testAWSProvider is a provider for the tests only, standing in for
// hashicorp/aws (no registry, no AWS here) under its name, aws, with the
// arguments the examples use:
//   - data aws_route53_zone (name → zone_id) and aws_route53_record
//     (zone_id, name, type, ttl, records, allow_overwrite), published by
//     RFC 2136 updates into the test DNS server that plays Route 53's name
//     servers (dns), so that the simulator's CA resolves them;
//   - aws_acm_certificate (private_key, certificate_body, certificate_chain:
//     an import, refused like ACM refuses it when the key does not match
//     the certificate);
//   - aws_secretsmanager_secret (name), aws_secretsmanager_secret_version
//     (secret_id, the write-only secret_string_wo with
//     secret_string_wo_version → version_id) and the ephemeral
//     aws_secretsmanager_secret_version (secret_id, version_id →
//     secret_string).
//
// What they hold lives in cloud, for the test to read. Only those
// arguments.
type testAWSProvider struct {
	dns   string // host:port of the DNS server standing in for Route 53
	cloud *testAWSCloud
}

// testAWSCloud is the stand-in's account.
type testAWSCloud struct {
	mu      sync.Mutex
	zones   map[string]string          // zone id → zone name (absolute)
	certs   map[string]testACMCert     // ARN → certificate
	secrets map[string][]testAWSSecret // secret ARN → versions, the current one last
}

type testACMCert struct{ Body, Chain string }

type testAWSSecret struct{ VersionID, Value string }

func (c *testAWSCloud) zoneID(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	name = dns.Fqdn(strings.ToLower(name))
	h := sha256.Sum256([]byte(name))
	id := "Z" + strings.ToUpper(hex.EncodeToString(h[:7]))
	if c.zones == nil {
		c.zones = map[string]string{}
	}
	c.zones[id] = name
	return id
}

func (c *testAWSCloud) zoneName(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.zones[id]
	return n, ok
}

func (c *testAWSCloud) cert(arn string) (testACMCert, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.certs[arn]
	return v, ok
}

func (c *testAWSCloud) putCert(arn string, v *testACMCert) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.certs == nil {
		c.certs = map[string]testACMCert{}
	}
	if v == nil {
		delete(c.certs, arn)
		return
	}
	c.certs[arn] = *v
}

// secret returns version id of the secret ("": the current one).
func (c *testAWSCloud) secret(arn, id string) (testAWSSecret, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	vs, ok := c.secrets[arn]
	switch {
	case !ok:
		return testAWSSecret{}, false
	case id == "" && len(vs) > 0:
		return vs[len(vs)-1], true
	case id == "":
		return testAWSSecret{}, true // the secret, without a value yet
	}
	i := slices.IndexFunc(vs, func(v testAWSSecret) bool { return v.VersionID == id })
	if i < 0 {
		return testAWSSecret{}, false
	}
	return vs[i], true
}

func (c *testAWSCloud) update(f func(map[string][]testAWSSecret)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secrets == nil {
		c.secrets = map[string][]testAWSSecret{}
	}
	f(c.secrets)
}

func (p *testAWSProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "aws"
}
func (p *testAWSProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {
}
func (p *testAWSProvider) Configure(_ context.Context, _ provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	resp.ResourceData, resp.DataSourceData, resp.EphemeralResourceData = p, p, p
}
func (p *testAWSProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &testRoute53Record{} },
		func() resource.Resource { return &testACMCertificate{} },
		func() resource.Resource { return &testAWSSecretResource{} },
		func() resource.Resource { return &testAWSSecretVersion{} },
	}
}
func (p *testAWSProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{func() datasource.DataSource { return &testRoute53Zone{} }}
}
func (p *testAWSProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{func() ephemeral.EphemeralResource { return &testAWSSecretValue{} }}
}

// awsOf is the provider of a Configure call's provider data.
func awsOf(data any) *testAWSProvider {
	p, _ := data.(*testAWSProvider)
	return p
}

// testRoute53Zone is data aws_route53_zone: a zone by name.
type testRoute53Zone struct{ p *testAWSProvider }

type testRoute53ZoneModel struct {
	ID     types.String `tfsdk:"id"`
	Name   types.String `tfsdk:"name"`
	ZoneID types.String `tfsdk:"zone_id"`
}

func (d *testRoute53Zone) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = "aws_route53_zone"
}

func (d *testRoute53Zone) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = dschema.Schema{Attributes: map[string]dschema.Attribute{
		"id":      dschema.StringAttribute{Computed: true},
		"name":    dschema.StringAttribute{Required: true},
		"zone_id": dschema.StringAttribute{Computed: true},
	}}
}

func (d *testRoute53Zone) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	d.p = awsOf(req.ProviderData)
}

func (d *testRoute53Zone) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m testRoute53ZoneModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || d.p == nil {
		return
	}
	id := d.p.cloud.zoneID(m.Name.ValueString())
	m.ID, m.ZoneID = types.StringValue(id), types.StringValue(id)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// testRoute53Record is aws_route53_record: one record set.
type testRoute53Record struct{ p *testAWSProvider }

type testRoute53RecordModel struct {
	ID             types.String   `tfsdk:"id"`
	ZoneID         types.String   `tfsdk:"zone_id"`
	Name           types.String   `tfsdk:"name"`
	Type           types.String   `tfsdk:"type"`
	TTL            types.Int64    `tfsdk:"ttl"`
	Records        []types.String `tfsdk:"records"`
	AllowOverwrite types.Bool     `tfsdk:"allow_overwrite"`
}

func (r *testRoute53Record) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "aws_route53_record"
}

func (r *testRoute53Record) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":              schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"zone_id":         schema.StringAttribute{Required: true, PlanModifiers: replace},
		"name":            schema.StringAttribute{Required: true, PlanModifiers: replace},
		"type":            schema.StringAttribute{Required: true, PlanModifiers: replace},
		"ttl":             schema.Int64Attribute{Optional: true},
		"records":         schema.SetAttribute{ElementType: types.StringType, Optional: true},
		"allow_overwrite": schema.BoolAttribute{Optional: true},
	}}
}

func (r *testRoute53Record) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.p = awsOf(req.ProviderData)
}

// publish replaces the record set at the name with m's records (none:
// removes it), by one RFC 2136 update.
func (r *testRoute53Record) publish(m testRoute53RecordModel, records []types.String) error {
	zone, ok := r.p.cloud.zoneName(m.ZoneID.ValueString())
	if !ok {
		return fmt.Errorf("no hosted zone %s", m.ZoneID.ValueString())
	}
	if r.p.dns == "" {
		return fmt.Errorf("the stand-in has no DNS server for zone %s", zone)
	}
	name, typ := dns.Fqdn(strings.ToLower(m.Name.ValueString())), strings.ToUpper(m.Type.ValueString())
	rrtype, ok := dns.StringToType[typ]
	if !ok || !dns.IsSubDomain(zone, name) {
		return fmt.Errorf("record %s %s does not belong in zone %s", name, typ, zone)
	}
	u := new(dns.Msg)
	u.SetUpdate(zone)
	u.RemoveRRset([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: rrtype}}})
	for _, v := range records {
		rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", name, m.TTL.ValueInt64(), typ, dns.Fqdn(v.ValueString())))
		if typ != "CNAME" {
			rr, err = dns.NewRR(fmt.Sprintf("%s %d IN %s %s", name, m.TTL.ValueInt64(), typ, v.ValueString()))
		}
		if err != nil {
			return err
		}
		u.Insert([]dns.RR{rr})
	}
	in, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(u, r.p.dns)
	if err != nil {
		return err
	}
	if in.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("change of %s %s answered %s", name, typ, dns.RcodeToString[in.Rcode])
	}
	return nil
}

func (r *testRoute53Record) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testRoute53RecordModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.publish(m, m.Records); err != nil {
		resp.Diagnostics.AddError("Route 53 Change Failed", err.Error())
		return
	}
	m.ID = types.StringValue(m.ZoneID.ValueString() + "_" + strings.ToLower(m.Name.ValueString()) + "_" + m.Type.ValueString())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Read finds the record set gone (removed from the state) or with other
// values (drift).
func (r *testRoute53Record) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m testRoute53RecordModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || r.p == nil || r.p.dns == "" {
		return
	}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(m.Name.ValueString()), dns.StringToType[strings.ToUpper(m.Type.ValueString())])
	in, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(q, r.p.dns)
	if err != nil {
		resp.Diagnostics.AddError("Route 53 Read Failed", err.Error())
		return
	}
	var got, had []string
	for _, rr := range in.Answer {
		if rr.Header().Rrtype == q.Question[0].Qtype {
			got = append(got, strings.TrimSuffix(strings.TrimPrefix(rr.String(), rr.Header().String()), "."))
		}
	}
	if len(got) == 0 {
		resp.State.RemoveResource(ctx)
		return
	}
	for _, v := range m.Records {
		had = append(had, strings.TrimSuffix(v.ValueString(), "."))
	}
	slices.Sort(got)
	slices.Sort(had)
	if !slices.Equal(got, had) {
		m.Records = nil
		for _, v := range got {
			m.Records = append(m.Records, types.StringValue(v))
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	}
}

func (r *testRoute53Record) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m testRoute53RecordModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.publish(m, m.Records); err != nil {
		resp.Diagnostics.AddError("Route 53 Change Failed", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testRoute53Record) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m testRoute53RecordModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if err := r.publish(m, nil); err != nil {
		resp.Diagnostics.AddError("Route 53 Change Failed", err.Error())
	}
}

// testACMCertificate is aws_acm_certificate, imported: the certificate,
// its chain and its private key.
type testACMCertificate struct{ p *testAWSProvider }

type testACMCertificateModel struct {
	ID               types.String `tfsdk:"id"`
	ARN              types.String `tfsdk:"arn"`
	PrivateKey       types.String `tfsdk:"private_key"`
	CertificateBody  types.String `tfsdk:"certificate_body"`
	CertificateChain types.String `tfsdk:"certificate_chain"`
}

func (r *testACMCertificate) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "aws_acm_certificate"
}

func (r *testACMCertificate) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":                schema.StringAttribute{Computed: true, PlanModifiers: keep},
		"arn":               schema.StringAttribute{Computed: true, PlanModifiers: keep},
		"private_key":       schema.StringAttribute{Optional: true, Sensitive: true},
		"certificate_body":  schema.StringAttribute{Optional: true},
		"certificate_chain": schema.StringAttribute{Optional: true},
	}}
}

func (r *testACMCertificate) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.p = awsOf(req.ProviderData)
}

// importCert checks m as ACM's ImportCertificate does (a certificate, a
// chain, and the certificate's own key) and stores it under arn.
func (r *testACMCertificate) importCert(m testACMCertificateModel, arn string) error {
	if c, _ := pem.Decode([]byte(m.CertificateChain.ValueString())); c == nil {
		return fmt.Errorf("certificate_chain holds no PEM certificate")
	}
	if err := keyMatchesCert(m.PrivateKey.ValueString(), m.CertificateBody.ValueString()); err != nil {
		return err
	}
	r.p.cloud.putCert(arn, &testACMCert{Body: m.CertificateBody.ValueString(), Chain: m.CertificateChain.ValueString()})
	return nil
}

func (r *testACMCertificate) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testACMCertificateModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	h := sha256.Sum256([]byte(m.CertificateBody.ValueString()))
	arn := "arn:aws:acm:eu-central-1:123456789012:certificate/" + hex.EncodeToString(h[:16])
	if err := r.importCert(m, arn); err != nil {
		resp.Diagnostics.AddError("ACM Import Refused", err.Error())
		return
	}
	m.ID, m.ARN = types.StringValue(arn), types.StringValue(arn)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testACMCertificate) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m testACMCertificateModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if r.p != nil {
		if _, ok := r.p.cloud.cert(m.ARN.ValueString()); !ok {
			resp.State.RemoveResource(ctx)
		}
	}
}

// Update re-imports under the same ARN, as ACM does.
func (r *testACMCertificate) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m testACMCertificateModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.importCert(m, m.ARN.ValueString()); err != nil {
		resp.Diagnostics.AddError("ACM Import Refused", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testACMCertificate) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m testACMCertificateModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	r.p.cloud.putCert(m.ARN.ValueString(), nil)
}

// testAWSSecretResource is aws_secretsmanager_secret.
type testAWSSecretResource struct{ p *testAWSProvider }

type testAWSSecretModel struct {
	ID   types.String `tfsdk:"id"`
	ARN  types.String `tfsdk:"arn"`
	Name types.String `tfsdk:"name"`
}

func (r *testAWSSecretResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "aws_secretsmanager_secret"
}

func (r *testAWSSecretResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":   schema.StringAttribute{Computed: true, PlanModifiers: keep},
		"arn":  schema.StringAttribute{Computed: true, PlanModifiers: keep},
		"name": schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
	}}
}

func (r *testAWSSecretResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.p = awsOf(req.ProviderData)
}

func (r *testAWSSecretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testAWSSecretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	arn := "arn:aws:secretsmanager:eu-central-1:123456789012:secret:" + m.Name.ValueString()
	r.p.cloud.update(func(s map[string][]testAWSSecret) { s[arn] = nil })
	m.ID, m.ARN = types.StringValue(arn), types.StringValue(arn)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testAWSSecretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m testAWSSecretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if r.p != nil {
		if _, ok := r.p.cloud.secret(m.ARN.ValueString(), ""); !ok {
			resp.State.RemoveResource(ctx)
		}
	}
}

func (r *testAWSSecretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m testAWSSecretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testAWSSecretResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m testAWSSecretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	r.p.cloud.update(func(s map[string][]testAWSSecret) { delete(s, m.ARN.ValueString()) })
}

// testAWSSecretVersion is aws_secretsmanager_secret_version with the
// write-only secret_string_wo: a new version whenever
// secret_string_wo_version changes.
type testAWSSecretVersion struct{ p *testAWSProvider }

type testAWSSecretVersionModel struct {
	ID        types.String `tfsdk:"id"`
	SecretID  types.String `tfsdk:"secret_id"`
	WO        types.String `tfsdk:"secret_string_wo"`
	WOVersion types.Int64  `tfsdk:"secret_string_wo_version"`
	VersionID types.String `tfsdk:"version_id"`
}

func (r *testAWSSecretVersion) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "aws_secretsmanager_secret_version"
}

func (r *testAWSSecretVersion) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":                       schema.StringAttribute{Computed: true},
		"secret_id":                schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
		"secret_string_wo":         schema.StringAttribute{Optional: true, Sensitive: true, WriteOnly: true},
		"secret_string_wo_version": schema.Int64Attribute{Optional: true, PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()}},
		"version_id":               schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
	}}
}

func (r *testAWSSecretVersion) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.p = awsOf(req.ProviderData)
}

func (r *testAWSSecretVersion) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m, cfg testAWSSecretVersionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	arn := m.SecretID.ValueString()
	if _, ok := r.p.cloud.secret(arn, ""); !ok {
		resp.Diagnostics.AddError("No Such Secret", arn)
		return
	}
	h := sha256.Sum256([]byte(fmt.Sprint(arn, time.Now().UnixNano())))
	v := testAWSSecret{VersionID: hex.EncodeToString(h[:16]), Value: cfg.WO.ValueString()}
	r.p.cloud.update(func(s map[string][]testAWSSecret) { s[arn] = append(s[arn], v) })
	m.VersionID, m.ID, m.WO = types.StringValue(v.VersionID), types.StringValue(arn+"|"+v.VersionID), types.StringNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testAWSSecretVersion) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m testAWSSecretVersionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if r.p != nil {
		if _, ok := r.p.cloud.secret(m.SecretID.ValueString(), m.VersionID.ValueString()); !ok {
			resp.State.RemoveResource(ctx)
		}
	}
}

func (r *testAWSSecretVersion) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m testAWSSecretVersionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	m.WO = types.StringNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testAWSSecretVersion) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m testAWSSecretVersionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	r.p.cloud.update(func(s map[string][]testAWSSecret) {
		arn := m.SecretID.ValueString()
		s[arn] = slices.DeleteFunc(s[arn], func(v testAWSSecret) bool { return v.VersionID == m.VersionID.ValueString() })
	})
}

// testAWSSecretValue is the ephemeral aws_secretsmanager_secret_version:
// a version's value (the current one without version_id).
type testAWSSecretValue struct{ p *testAWSProvider }

type testAWSSecretValueModel struct {
	SecretID     types.String `tfsdk:"secret_id"`
	VersionID    types.String `tfsdk:"version_id"`
	SecretString types.String `tfsdk:"secret_string"`
}

func (r *testAWSSecretValue) Metadata(_ context.Context, _ ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = "aws_secretsmanager_secret_version"
}

func (r *testAWSSecretValue) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = eschema.Schema{Attributes: map[string]eschema.Attribute{
		"secret_id":     eschema.StringAttribute{Required: true},
		"version_id":    eschema.StringAttribute{Optional: true, Computed: true},
		"secret_string": eschema.StringAttribute{Computed: true, Sensitive: true},
	}}
}

func (r *testAWSSecretValue) Configure(_ context.Context, req ephemeral.ConfigureRequest, _ *ephemeral.ConfigureResponse) {
	r.p = awsOf(req.ProviderData)
}

func (r *testAWSSecretValue) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m testAWSSecretValueModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	v, ok := r.p.cloud.secret(m.SecretID.ValueString(), m.VersionID.ValueString())
	if !ok || v.VersionID == "" {
		resp.Diagnostics.AddError("No Such Secret Version", m.SecretID.ValueString()+" "+m.VersionID.ValueString())
		return
	}
	m.VersionID, m.SecretString = types.StringValue(v.VersionID), types.StringValue(v.Value)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}

// keyMatchesCert fails unless keyPEM is the private key of the first
// certificate in certPEM.
func keyMatchesCert(keyPEM, certPEM string) error {
	cb, _ := pem.Decode([]byte(certPEM))
	if cb == nil {
		return fmt.Errorf("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return fmt.Errorf("the certificate: %w", err)
	}
	kb, _ := pem.Decode([]byte(keyPEM))
	if kb == nil {
		return fmt.Errorf("no PEM private key")
	}
	var key any
	switch kb.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(kb.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(kb.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(kb.Bytes)
	}
	if err != nil {
		return fmt.Errorf("the private key: %w", err)
	}
	if signer, ok := key.(crypto.Signer); !ok || !reflect.DeepEqual(signer.Public(), cert.PublicKey) {
		return fmt.Errorf("the private key does not match the certificate's public key")
	}
	return nil
}
