package provider

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// testkeys is a provider for the tests only, standing in for
// hashicorp/tls's ephemeral tls_private_key (no registry here): its
// ephemeral testkeys_private_key makes a new key every time Terraform opens
// it, in the plan and again in the apply, as tls_private_key does. The
// public keys it made are kept, in order, so that tests can tell which
// run's key a certificate carries.
type testKeys struct {
	mu   sync.Mutex
	made []string // publicKeySHA256 of every key made
}

func (k *testKeys) add(pub crypto.PublicKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.made = append(k.made, publicKeySHA256(pub))
}

// all returns the public keys made so far.
func (k *testKeys) all() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.made...)
}

type testKeysProvider struct{ keys *testKeys }

func (p *testKeysProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "testkeys"
}
func (p *testKeysProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {
}
func (p *testKeysProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (p *testKeysProvider) Resources(context.Context) []func() resource.Resource       { return nil }
func (p *testKeysProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
func (p *testKeysProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{func() ephemeral.EphemeralResource { return &testKeyResource{keys: p.keys} }}
}

type testKeyResource struct{ keys *testKeys }

type testKeyModel struct {
	Algorithm types.String `tfsdk:"algorithm"`
	PEM       types.String `tfsdk:"private_key_pem"`
}

func (r *testKeyResource) Metadata(_ context.Context, _ ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = "testkeys_private_key"
}

func (r *testKeyResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"algorithm":       schema.StringAttribute{Optional: true, Description: "ECDSA (P-256, default), ECDSA-P521, RSA (2048), RSA1024, ED25519, or PKCS8 (ECDSA P-384 as PKCS #8)."},
		"private_key_pem": schema.StringAttribute{Computed: true, Sensitive: true},
	}}
}

func (r *testKeyResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m testKeyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	var block *pem.Block
	var pub crypto.PublicKey
	var err error
	switch m.Algorithm.ValueString() {
	case "RSA", "RSA1024":
		bits := 2048
		if m.Algorithm.ValueString() == "RSA1024" {
			bits = 1024
		}
		var k *rsa.PrivateKey
		if k, err = rsa.GenerateKey(rand.Reader, bits); err == nil { //nolint:gosec // a too-small key is the point of RSA1024
			block, pub = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}, k.Public()
		}
	case "ED25519":
		var k ed25519.PrivateKey
		var der []byte
		if _, k, err = ed25519.GenerateKey(rand.Reader); err == nil {
			if der, err = x509.MarshalPKCS8PrivateKey(k); err == nil {
				block, pub = &pem.Block{Type: "PRIVATE KEY", Bytes: der}, k.Public()
			}
		}
	default:
		curve, pkcs8 := elliptic.P256(), false
		switch m.Algorithm.ValueString() {
		case "ECDSA-P521":
			curve = elliptic.P521()
		case "PKCS8":
			curve, pkcs8 = elliptic.P384(), true
		}
		var k *ecdsa.PrivateKey
		var der []byte
		if k, err = ecdsa.GenerateKey(curve, rand.Reader); err == nil {
			if pkcs8 {
				der, err = x509.MarshalPKCS8PrivateKey(k)
				block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
			} else {
				der, err = x509.MarshalECPrivateKey(k)
				block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
			}
			pub = k.Public()
		}
	}
	if err != nil {
		resp.Diagnostics.AddError("Key Not Made", err.Error())
		return
	}
	r.keys.add(pub)
	m.PEM = types.StringValue(string(pem.EncodeToMemory(block)))
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
