// Package tfdev holds what the demo (internal/cmd/regfish-demo), the bench
// (internal/cmd/regfish-bench) and the tests need to run terraform or tofu
// against the provider built from this tree: finding the binary, a
// workspace with the dev_overrides CLI configuration and its environment,
// and certificate requests.
package tfdev

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DevOverrides is a CLI configuration that takes the provider, under both
// the Terraform and the OpenTofu registry host, from providerDir (an
// absolute directory holding terraform-provider-regfish), and every other
// provider from its registry.
func DevOverrides(providerDir string) string {
	return fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"registry.terraform.io/regfish/regfish\" = %q\n    \"registry.opentofu.org/regfish/regfish\" = %q\n  }\n  direct {}\n}\n", providerDir, providerDir)
}

// FindTerraform returns the path of the terraform or tofu binary to run:
// name when given (a path or a name on PATH), else TF_ACC_TERRAFORM_PATH,
// else terraform, else tofu on PATH.
func FindTerraform(name string) (string, error) {
	if name == "" {
		name = os.Getenv("TF_ACC_TERRAFORM_PATH")
	}
	if name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s not found: install Terraform or OpenTofu, or pass TF_BIN=/path/to/binary to make", name)
		}
		return p, nil
	}
	for _, n := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("neither terraform nor tofu is on PATH: install Terraform or OpenTofu, or pass TF_BIN=/path/to/binary to make (TF_ACC_TERRAFORM_PATH for go test)")
}

// CLIConfigFile is the name of the CLI configuration Workspace writes.
const CLIConfigFile = ".cli.tfrc"

// Workspace writes the dev_overrides CLI configuration for providerDir into
// dir (CLIConfigFile) and returns the environment for terraform runs there:
// that configuration, no prompts, no checkpoint calls, and the caller's
// environment without any TF_* or REGFISH_* variable, so neither a stale
// terraform setting nor a real regfish API key from the caller's shell
// reaches a run against the simulator. Callers add what a run needs.
func Workspace(dir, providerDir string) ([]string, error) {
	cli := filepath.Join(dir, CLIConfigFile)
	if err := os.WriteFile(cli, []byte(DevOverrides(providerDir)), 0o600); err != nil {
		return nil, err
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + cli, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "REGFISH_") {
			env = append(env, kv)
		}
	}
	return env, nil
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
