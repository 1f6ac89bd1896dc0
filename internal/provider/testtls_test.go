package provider

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the id hashicorp/tls gives a key: a hex SHA-1 of its public key
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	eschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// testTLSProvider is a provider for the tests only, standing in for
// hashicorp/tls (no registry here) under its name, tls, so that the
// examples run unchanged: tls_private_key (resource and ephemeral
// resource: algorithm RSA, ECDSA or ED25519, rsa_bits default 2048,
// ecdsa_curve P224, P256, P384 or P521, default P224; private_key_pem as
// hashicorp/tls encodes it — PKCS #1 for RSA, SEC 1 for ECDSA, PKCS #8 for
// ED25519 — private_key_pem_pkcs8 and public_key_pem) and tls_cert_request
// (private_key_pem, a subject block, dns_names and ip_addresses →
// cert_request_pem). Only those arguments: no OpenSSH encodings, no
// certificates.
type testTLSProvider struct{}

func (p *testTLSProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "tls"
}
func (p *testTLSProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {
}
func (p *testTLSProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (p *testTLSProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &testTLSKeyResource{} },
		func() resource.Resource { return &testTLSCSRResource{} },
	}
}
func (p *testTLSProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
func (p *testTLSProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{func() ephemeral.EphemeralResource { return &testTLSEphemeralKey{} }}
}

type testTLSKeyModel struct {
	ID         types.String `tfsdk:"id"`
	Algorithm  types.String `tfsdk:"algorithm"`
	RSABits    types.Int64  `tfsdk:"rsa_bits"`
	ECDSACurve types.String `tfsdk:"ecdsa_curve"`
	PEM        types.String `tfsdk:"private_key_pem"`
	PKCS8      types.String `tfsdk:"private_key_pem_pkcs8"`
	PublicPEM  types.String `tfsdk:"public_key_pem"`
}

// generate makes the key m asks for and fills in its encodings.
func (m *testTLSKeyModel) generate() error {
	bits, curve := int64(2048), "P224"
	if !m.RSABits.IsNull() && !m.RSABits.IsUnknown() {
		bits = m.RSABits.ValueInt64()
	}
	if !m.ECDSACurve.IsNull() && !m.ECDSACurve.IsUnknown() {
		curve = m.ECDSACurve.ValueString()
	}
	m.RSABits, m.ECDSACurve = types.Int64Value(bits), types.StringValue(curve)
	var key crypto.Signer
	var block *pem.Block
	switch m.Algorithm.ValueString() {
	case "RSA":
		k, err := rsa.GenerateKey(rand.Reader, int(bits))
		if err != nil {
			return err
		}
		key, block = k, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case "ECDSA":
		c := map[string]elliptic.Curve{"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()}[curve]
		if c == nil {
			return fmt.Errorf("invalid ecdsa_curve %q", curve)
		}
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			return err
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return err
		}
		key, block = k, &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	case "ED25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		key = k
	default:
		return fmt.Errorf("invalid algorithm %q", m.Algorithm.ValueString())
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if block == nil {
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	sum := sha1.Sum(pub) //nolint:gosec // an identifier, as hashicorp/tls's
	m.ID = types.StringValue(hex.EncodeToString(sum[:]))
	m.PEM = types.StringValue(string(pem.EncodeToMemory(block)))
	m.PKCS8 = types.StringValue(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})))
	m.PublicPEM = types.StringValue(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
	return nil
}

var (
	tlsAlgorithms = []string{"RSA", "ECDSA", "ED25519"}
	tlsCurves     = []string{"P224", "P256", "P384", "P521"}
)

type testTLSKeyResource struct{}

func (r *testTLSKeyResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "tls_private_key"
}

func (r *testTLSKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":                    schema.StringAttribute{Computed: true, PlanModifiers: keep},
		"algorithm":             schema.StringAttribute{Required: true, PlanModifiers: replace, Validators: []validator.String{stringvalidator.OneOf(tlsAlgorithms...)}},
		"rsa_bits":              schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(2048), PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()}},
		"ecdsa_curve":           schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("P224"), PlanModifiers: replace, Validators: []validator.String{stringvalidator.OneOf(tlsCurves...)}},
		"private_key_pem":       schema.StringAttribute{Computed: true, Sensitive: true, PlanModifiers: keep},
		"private_key_pem_pkcs8": schema.StringAttribute{Computed: true, Sensitive: true, PlanModifiers: keep},
		"public_key_pem":        schema.StringAttribute{Computed: true, PlanModifiers: keep},
	}}
}

func (r *testTLSKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testTLSKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if err := m.generate(); err != nil {
		resp.Diagnostics.AddError("Key Not Made", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testTLSKeyResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *testTLSKeyResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw // every argument replaces
}

func (r *testTLSKeyResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// testTLSEphemeralKey is the ephemeral tls_private_key: a new key every
// time Terraform opens it.
type testTLSEphemeralKey struct{}

type testTLSEphemeralKeyModel struct {
	Algorithm  types.String `tfsdk:"algorithm"`
	RSABits    types.Int64  `tfsdk:"rsa_bits"`
	ECDSACurve types.String `tfsdk:"ecdsa_curve"`
	PEM        types.String `tfsdk:"private_key_pem"`
	PKCS8      types.String `tfsdk:"private_key_pem_pkcs8"`
	PublicPEM  types.String `tfsdk:"public_key_pem"`
}

func (r *testTLSEphemeralKey) Metadata(_ context.Context, _ ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = "tls_private_key"
}

func (r *testTLSEphemeralKey) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = eschema.Schema{Attributes: map[string]eschema.Attribute{
		"algorithm":             eschema.StringAttribute{Required: true, Validators: []validator.String{stringvalidator.OneOf(tlsAlgorithms...)}},
		"rsa_bits":              eschema.Int64Attribute{Optional: true, Computed: true},
		"ecdsa_curve":           eschema.StringAttribute{Optional: true, Computed: true, Validators: []validator.String{stringvalidator.OneOf(tlsCurves...)}},
		"private_key_pem":       eschema.StringAttribute{Computed: true, Sensitive: true},
		"private_key_pem_pkcs8": eschema.StringAttribute{Computed: true, Sensitive: true},
		"public_key_pem":        eschema.StringAttribute{Computed: true},
	}}
}

func (r *testTLSEphemeralKey) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var e testTLSEphemeralKeyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &e)...)
	m := testTLSKeyModel{Algorithm: e.Algorithm, RSABits: e.RSABits, ECDSACurve: e.ECDSACurve}
	if err := m.generate(); err != nil {
		resp.Diagnostics.AddError("Key Not Made", err.Error())
		return
	}
	e.RSABits, e.ECDSACurve, e.PEM, e.PKCS8, e.PublicPEM = m.RSABits, m.ECDSACurve, m.PEM, m.PKCS8, m.PublicPEM
	resp.Diagnostics.Append(resp.Result.Set(ctx, &e)...)
}

// testTLSCSRResource is tls_cert_request: a PKCS #10 CSR signed with the
// given key.
type testTLSCSRResource struct{}

type testTLSCSRModel struct {
	ID          types.String         `tfsdk:"id"`
	KeyPEM      types.String         `tfsdk:"private_key_pem"`
	Subject     []testTLSSubjectName `tfsdk:"subject"`
	DNSNames    []types.String       `tfsdk:"dns_names"`
	IPAddresses []types.String       `tfsdk:"ip_addresses"`
	CSRPEM      types.String         `tfsdk:"cert_request_pem"`
	KeyAlg      types.String         `tfsdk:"key_algorithm"`
}

type testTLSSubjectName struct {
	CommonName         types.String `tfsdk:"common_name"`
	Organization       types.String `tfsdk:"organization"`
	OrganizationalUnit types.String `tfsdk:"organizational_unit"`
	Locality           types.String `tfsdk:"locality"`
	Province           types.String `tfsdk:"province"`
	Country            types.String `tfsdk:"country"`
	PostalCode         types.String `tfsdk:"postal_code"`
}

func (r *testTLSCSRResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "tls_cert_request"
}

func (r *testTLSCSRResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	names := map[string]schema.Attribute{}
	for _, n := range []string{"common_name", "organization", "organizational_unit", "locality", "province", "country", "postal_code"} {
		names[n] = schema.StringAttribute{Optional: true, PlanModifiers: replace}
	}
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id":               schema.StringAttribute{Computed: true, PlanModifiers: keep},
			"private_key_pem":  schema.StringAttribute{Required: true, Sensitive: true, PlanModifiers: replace},
			"dns_names":        schema.ListAttribute{ElementType: types.StringType, Optional: true, PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()}},
			"ip_addresses":     schema.ListAttribute{ElementType: types.StringType, Optional: true, PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()}},
			"cert_request_pem": schema.StringAttribute{Computed: true, PlanModifiers: keep},
			"key_algorithm":    schema.StringAttribute{Computed: true, PlanModifiers: keep},
		},
		Blocks: map[string]schema.Block{
			"subject": schema.ListNestedBlock{
				Validators:    []validator.List{listvalidator.SizeAtMost(1)},
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()},
				NestedObject:  schema.NestedBlockObject{Attributes: names},
			},
		},
	}
}

// parseTestTLSKey reads a private key in any of hashicorp/tls's PEM
// encodings.
func parseTestTLSKey(s string) (crypto.Signer, string, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, "", errors.New("private_key_pem holds no PEM block")
	}
	var k any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, "", err
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, "RSA", nil
	case *ecdsa.PrivateKey:
		return k, "ECDSA", nil
	case ed25519.PrivateKey:
		return k, "ED25519", nil
	}
	return nil, "", fmt.Errorf("unsupported key %T", k)
}

func (r *testTLSCSRResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testTLSCSRModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	key, alg, err := parseTestTLSKey(m.KeyPEM.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Invalid private_key_pem", err.Error())
		return
	}
	tpl := &x509.CertificateRequest{}
	if len(m.Subject) == 1 {
		s := m.Subject[0]
		tpl.Subject = pkix.Name{CommonName: s.CommonName.ValueString()}
		for _, f := range []struct {
			v   types.String
			dst *[]string
		}{{s.Organization, &tpl.Subject.Organization}, {s.OrganizationalUnit, &tpl.Subject.OrganizationalUnit},
			{s.Locality, &tpl.Subject.Locality}, {s.Province, &tpl.Subject.Province},
			{s.Country, &tpl.Subject.Country}, {s.PostalCode, &tpl.Subject.PostalCode}} {
			if f.v.ValueString() != "" {
				*f.dst = []string{f.v.ValueString()}
			}
		}
	}
	for _, n := range m.DNSNames {
		tpl.DNSNames = append(tpl.DNSNames, n.ValueString())
	}
	for _, a := range m.IPAddresses {
		ip := net.ParseIP(a.ValueString())
		if ip == nil {
			resp.Diagnostics.AddError("Invalid ip_addresses", fmt.Sprintf("%q is no IP address", a.ValueString()))
			return
		}
		tpl.IPAddresses = append(tpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tpl, key)
	if err != nil {
		resp.Diagnostics.AddError("CSR Not Made", err.Error())
		return
	}
	sum := sha1.Sum(der) //nolint:gosec // an identifier
	m.ID = types.StringValue(hex.EncodeToString(sum[:]))
	m.CSRPEM = types.StringValue(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})))
	m.KeyAlg = types.StringValue(alg)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testTLSCSRResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *testTLSCSRResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw // every argument replaces
}

func (r *testTLSCSRResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
