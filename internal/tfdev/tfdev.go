// Package tfdev holds what the demo (internal/cmd/regfish-demo), the bench
// (internal/cmd/regfish-bench) and the tests need to run terraform or tofu
// against the provider built from this tree: the dev_overrides CLI
// configuration, and certificate requests.
package tfdev

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
)

// DevOverrides is a CLI configuration that takes the provider, under both
// the Terraform and the OpenTofu registry host, from providerDir (an
// absolute directory holding terraform-provider-regfish), and every other
// provider from its registry.
func DevOverrides(providerDir string) string {
	return fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"registry.terraform.io/regfish/regfish\" = %q\n    \"registry.opentofu.org/regfish/regfish\" = %q\n  }\n  direct {}\n}\n", providerDir, providerDir)
}

// CSRPEM is a PEM certificate request of key for common name cn with
// exactly dnsNames as its subject alternative names.
func CSRPEM(key crypto.Signer, cn string, dnsNames []string) (string, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames}, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// NewCSR is a PEM certificate request of a new ECDSA P-256 key for cn with
// exactly dnsNames as its subject alternative names.
func NewCSR(cn string, dnsNames ...string) (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	return CSRPEM(key, cn, dnsNames)
}
