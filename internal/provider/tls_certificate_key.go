package provider

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// This file holds the write-only private key (private_key_wo): parsing
// it, the key types the CA accepts, and the CSR the provider builds from
// it in memory. No error, log line or value here ever carries the key: only
// its public part leaves this file (the CSR, public_key_sha256).

// keyTypesAccepted names the keys private_key_wo may hold, for docs and
// errors: what public CAs (DigiCert, which regfish sells) issue for.
const keyTypesAccepted = "RSA of 2048, 3072 or 4096 bits, or ECDSA on P-256 or P-384"

// parsePrivateKey reads a PEM private key: PKCS #1 (RSA PRIVATE KEY),
// SEC 1 (EC PRIVATE KEY) or PKCS #8 (PRIVATE KEY), as tls_private_key's
// private_key_pem and private_key_pem_pkcs8 give them. The error says what
// is wrong without quoting the input.
func parsePrivateKey(text string) (crypto.Signer, error) {
	b, rest := pem.Decode([]byte(strings.TrimSpace(text)))
	if b == nil {
		return nil, errors.New("it is not a PEM private key (expected a block such as -----BEGIN PRIVATE KEY-----)")
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("it holds more than one PEM block; give the private key alone")
	}
	if x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck // only detected, never decrypted
		return nil, errors.New("it is an encrypted PEM key; give it unencrypted (it is never stored)")
	}
	var key any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("its PEM block is %q, not a private key (RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)", b.Type)
	}
	if err != nil {
		// x509's errors name the format, never the key's bytes
		return nil, fmt.Errorf("its %s block does not parse (%v)", b.Type, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("its key type %T cannot sign a CSR", key)
	}
	if msg := checkKeyType(s.Public()); msg != "" {
		return nil, errors.New(msg)
	}
	return s, nil
}

// checkKeyType returns why a public key is not accepted ("" if it is).
func checkKeyType(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 2048, 3072, 4096:
			return ""
		}
		return fmt.Sprintf("it is an RSA key of %d bits; accepted are %s", k.N.BitLen(), keyTypesAccepted)
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() || k.Curve == elliptic.P384() {
			return ""
		}
		return fmt.Sprintf("it is an ECDSA key on %s; accepted are %s", k.Curve.Params().Name, keyTypesAccepted)
	}
	name := "an unsupported"
	switch pub.(type) {
	case ed25519.PublicKey:
		name = "an Ed25519"
	case *ecdh.PublicKey:
		name = "an X25519 or other ECDH"
	}
	return fmt.Sprintf("it is %s key; accepted are %s", name, keyTypesAccepted)
}

// buildCSR signs a CSR for the certificate's names with key: subject CN
// the common name, SANs the common name and dns_names (as a CSR made by
// tls_cert_request for this resource would be).
func buildCSR(key crypto.Signer, commonName string, dnsNames []string) (string, error) {
	tmpl := &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: regfish.Hostname(commonName)},
		DNSNames: regfish.NameSet(commonName, dnsNames),
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return "", fmt.Errorf("signing the CSR: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// publicKeySHA256 is the SHA-256 of a public key's DER SubjectPublicKeyInfo,
// lower-case hex: what `openssl pkey -pubout -outform DER | sha256sum`
// prints for the private key ("" for a key that does not marshal).
func publicKeySHA256(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// csrPublicKeySHA256 is publicKeySHA256 of a PEM CSR's key ("" when it
// does not parse).
func csrPublicKeySHA256(csrPEM string) string {
	csr, err := order.ParseCSR(csrPEM)
	if err != nil {
		return ""
	}
	return publicKeySHA256(csr.PublicKey)
}

// privateKeyValidator checks private_key_wo at plan time, when it is known
// then (an ephemeral key is).
type privateKeyValidator struct{}

func (privateKeyValidator) Description(context.Context) string {
	return "a PEM private key: " + keyTypesAccepted
}

func (v privateKeyValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (privateKeyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parsePrivateKey(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Unusable Private Key", "private_key_wo cannot be used: "+err.Error()+".")
	}
}

// keyMode reports a certificate whose key comes from private_key_wo
// (private_key_wo_version set: the validators require both or neither).
func (m *certificateModel) keyMode() bool { return !m.PrivateKeyVersion.IsNull() }

// sameKeyVersion reports a planned private_key_wo_version known and equal
// to the state's.
func sameKeyVersion(plan, state *certificateModel) bool {
	return state != nil && !plan.PrivateKeyVersion.IsUnknown() && !plan.PrivateKeyVersion.IsNull() && !state.PrivateKeyVersion.IsNull() &&
		plan.PrivateKeyVersion.ValueInt64() == state.PrivateKeyVersion.ValueInt64()
}

// planKeyCSR plans csr and public_key_sha256. With a csr they follow it.
// With private_key_wo the state's CSR is kept while the version and the
// names stay (renewals and a product change reuse it: the key of the last
// version); else the apply builds one (known after apply).
func planKeyCSR(ctx context.Context, config certificateModel, plan, state *certificateModel) {
	plan.PrivateKeyWO = types.StringNull()
	if !plan.keyMode() {
		plan.CSR = config.CSR
	} else {
		plan.CSR = types.StringUnknown()
		if sameKeyVersion(plan, state) && !state.CSR.IsNull() && !state.CSR.IsUnknown() {
			names := plan.names(ctx)
			if names.Known && regfish.SameNames(names.V, regfish.NameSet(state.CommonName.ValueString(), setStrings(ctx, state.DNSNames))) &&
				regfish.Hostname(plan.CommonName.ValueString()) == regfish.Hostname(state.CommonName.ValueString()) {
				plan.CSR = state.CSR
			}
		}
	}
	plan.PublicKeySHA256 = csrKeyValue(plan.CSR)
}

// csrKeyValue is public_key_sha256 for a planned csr.
func csrKeyValue(csr types.String) types.String {
	switch {
	case csr.IsUnknown():
		return types.StringUnknown()
	case csr.IsNull():
		return types.StringNull()
	}
	return strOrNull(csrPublicKeySHA256(csr.ValueString()))
}

// keyVersionProblem is the plan-time check of a CSR the apply must build
// with an unchanged private_key_wo_version (the names change): the run's
// key must be that version's key, or the certificate would carry a key no
// secret store received. "" when fine or not known at plan time.
func keyVersionProblem(config certificateModel, plan, state *certificateModel) string {
	if !plan.keyMode() || !plan.CSR.IsUnknown() || !sameKeyVersion(plan, state) || config.PrivateKeyWO.IsUnknown() || config.PrivateKeyWO.IsNull() {
		return ""
	}
	key, err := parsePrivateKey(config.PrivateKeyWO.ValueString())
	if err != nil {
		return ""
	}
	return keyVersionMismatch(state, publicKeySHA256(key.Public()))
}

func keyVersionMismatch(state *certificateModel, fp string) string {
	recorded := state.PublicKeySHA256.ValueString()
	if recorded == "" || fp == recorded {
		return ""
	}
	return fmt.Sprintf("The names change, so certificate %s needs a new CSR, built from private_key_wo. But private_key_wo_version stays %d and the key this run holds "+
		"(public_key_sha256 %s) is not the key of version %d (%s): an ephemeral key is new on every run. Change private_key_wo_version, and give the "+
		"secret store that receives the key the same version, so that the new key is recorded on both sides; or give the key of version %d. Nothing was ordered.",
		state.ID.ValueString(), state.PrivateKeyVersion.ValueInt64(), fp, state.PrivateKeyVersion.ValueInt64(), recorded, state.PrivateKeyVersion.ValueInt64())
}

// buildKeyCSR is the apply's half of planKeyCSR: when the plan left csr to
// the apply, it builds the CSR from private_key_wo (as the apply's config
// holds it) for the planned names. state is nil on create.
func buildKeyCSR(ctx context.Context, config certificateModel, plan, state *certificateModel) error {
	if !plan.keyMode() || !plan.CSR.IsUnknown() {
		return nil
	}
	if config.PrivateKeyWO.IsNull() || config.PrivateKeyWO.IsUnknown() {
		return errors.New("private_key_wo holds no key at apply, and a new CSR is needed; set private_key_wo (with private_key_wo_version)")
	}
	key, err := parsePrivateKey(config.PrivateKeyWO.ValueString())
	if err != nil {
		return fmt.Errorf("private_key_wo cannot be used: %w", err)
	}
	fp := publicKeySHA256(key.Public())
	if sameKeyVersion(plan, state) {
		if msg := keyVersionMismatch(state, fp); msg != "" {
			return errors.New(msg)
		}
	}
	csr, err := buildCSR(key, plan.CommonName.ValueString(), setStrings(ctx, plan.DNSNames))
	if err != nil {
		return err
	}
	plan.CSR = types.StringValue(csr)
	plan.PublicKeySHA256 = types.StringValue(fp)
	tflog.Debug(ctx, "regfish: built the CSR from private_key_wo", map[string]any{"public_key_sha256": fp})
	return nil
}
