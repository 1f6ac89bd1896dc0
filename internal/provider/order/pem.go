package order

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // only to reject DSA keys in CSRs
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// PEM and key helpers shared by the certificate resource, the orphan
// lookup and the data sources.

// IssuedCert is a downloaded certificate.
type IssuedCert struct {
	LeafPEM, ChainPEM, FullChainPEM string
	Leaf                            *x509.Certificate
	SHA256                          string
}

// SerialText is a certificate serial as openssl prints it (`openssl x509
// -serial`): upper-case hex, two digits per byte, leading zeros kept.
func SerialText(n *big.Int) string {
	if n == nil || n.Sign() == 0 {
		return "00"
	}
	return strings.ToUpper(hex.EncodeToString(n.Bytes()))
}

// SameSerialText compares two serials however they are spelled (hex, any
// case, colons, leading zeros): the API's and the state's.
func SameSerialText(a, b string) bool {
	parse := func(s string) (*big.Int, bool) {
		return new(big.Int).SetString(strings.ReplaceAll(strings.TrimSpace(s), ":", ""), 16)
	}
	x, ok1 := parse(a)
	y, ok2 := parse(b)
	if !ok1 || !ok2 {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return x.Cmp(y) == 0
}

// ParseChain splits a PEM download into leaf and chain.
func ParseChain(id string, data []byte) (*IssuedCert, error) {
	var blocks []*pem.Block
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("certificate %s: the PEM download holds no certificate", id)
	}
	leaf, err := x509.ParseCertificate(blocks[0].Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: the downloaded leaf does not parse: %w", id, err)
	}
	out := &IssuedCert{Leaf: leaf, LeafPEM: string(pem.EncodeToMemory(blocks[0]))}
	for _, b := range blocks[1:] {
		out.ChainPEM += string(pem.EncodeToMemory(b))
	}
	out.FullChainPEM = out.LeafPEM + out.ChainPEM
	sum := sha256.Sum256(leaf.Raw)
	out.SHA256 = hex.EncodeToString(sum[:])
	return out, nil
}

// KeyFingerprint is the first 16 hex digits of the SHA-256 of a public key.
// It is what the DCV record annotation carries (key=...) and what tells a
// CSR's key from a certificate's.
func KeyFingerprint(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// CSRKeyFingerprint returns the key fingerprint of a PEM CSR ("" if it does
// not parse).
func CSRKeyFingerprint(csrPEM string) string {
	csr, err := ParseCSR(csrPEM)
	if err != nil {
		return ""
	}
	return KeyFingerprint(csr.PublicKey)
}

// LeafKeyFingerprint returns the key fingerprint of the first certificate
// of a PEM text ("" if there is none).
func LeafKeyFingerprint(certPEM string) string {
	ic, err := ParseChain("", []byte(certPEM))
	if err != nil {
		return ""
	}
	return KeyFingerprint(ic.Leaf.PublicKey)
}

func csrBlock(s string) (*pem.Block, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if b == nil {
		return nil, errors.New("not a PEM block")
	}
	if b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("PEM block is %q, not CERTIFICATE REQUEST", b.Type)
	}
	return b, nil
}

func ParseCSR(s string) (*x509.CertificateRequest, error) {
	b, err := csrBlock(s)
	if err != nil {
		return nil, err
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, err
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return csr, nil
}

// SameCSR reports whether two PEM texts hold the same request: PEM
// whitespace, line endings and line length do not count.
func SameCSR(a, b string) bool {
	if a == b {
		return true
	}
	ba, err := csrBlock(a)
	if err != nil {
		return false
	}
	bb, err := csrBlock(b)
	if err != nil {
		return false
	}
	return ba.Type == bb.Type && bytes.Equal(ba.Bytes, bb.Bytes)
}

// CheckCSR validates a PEM CSR against the configured names ("" if fine).
func CheckCSR(csrPEM, cn string, sans []string) string {
	csr, err := ParseCSR(csrPEM)
	if err != nil {
		return "csr is not a valid PEM certificate signing request: " + err.Error()
	}
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Sprintf("the CSR's RSA key has %d bits; public CAs need at least 2048.", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
	case ed25519.PublicKey:
		return "the CSR has an Ed25519 key, which public CAs do not issue for; use RSA or ECDSA."
	case *dsa.PublicKey:
		return "the CSR has a DSA key; use RSA or ECDSA."
	default:
		return fmt.Sprintf("the CSR's key type %T is not supported; use RSA or ECDSA.", k)
	}
	want := regfish.NameSet(cn, sans)
	wantSet := map[string]bool{}
	for _, n := range want {
		wantSet[n] = true
	}
	if c := regfish.Hostname(csr.Subject.CommonName); c != "" && c != regfish.Hostname(cn) {
		return fmt.Sprintf("the CSR's subject common name is %q but common_name is %q.", c, cn)
	}
	var extra, missing []string
	for _, n := range regfish.NameSet(csr.Subject.CommonName, csr.DNSNames) {
		if !wantSet[n] {
			extra = append(extra, n)
		}
	}
	if len(csr.DNSNames) > 0 {
		have := map[string]bool{}
		for _, n := range regfish.NameSet("", csr.DNSNames) {
			have[n] = true
		}
		for _, n := range want {
			if !have[n] {
				missing = append(missing, n)
			}
		}
	}
	switch {
	case len(extra) > 0:
		return fmt.Sprintf("the CSR names %s, which are neither common_name nor in dns_names.", strings.Join(extra, ", "))
	case len(missing) > 0:
		return fmt.Sprintf("the CSR's subject alternative names lack %s from common_name/dns_names.", strings.Join(missing, ", "))
	}
	return ""
}
