// Command regfish-demo runs `make demo`: it starts the regfish API simulator
// in-process on a loopback port, writes a dev_overrides CLI configuration
// for the freshly built provider into a temporary directory, applies a demo
// configuration (an organization, a staged OV certificate completed via
// org_id, a DV certificate with DCV records managed by the provider), then
// prints each issued certificate and verifies its chain against the
// simulator's root CA.
package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/tfdev"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

const demoConfig = `terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

variable "base_url" {
  type = string
}

provider "regfish" {
  base_url          = var.base_url
  api_key           = "demo-key"
  poll_interval     = "500ms"
  max_poll_interval = "2s"
}

resource "regfish_tls_organization" "acme" {
  organization = "Example GmbH"
  first_name   = "Ada"
  last_name    = "Admin"
  address      = "Musterstrasse 1"
  postal_code  = "10115"
  city         = "Berlin"
  country_code = "DE"
  phone        = "+49 30 1234567"
  email        = "admin@example.com"
}

# OV: the organization is still being vetted when the order is placed, so the
# order is staged; the provider completes it with org_id once it is usable.
resource "regfish_tls_certificate" "ov" {
  product     = "SecureSite"
  common_name = "www.example.com"
  dns_names   = ["api.example.com"]
  csr         = file("${path.module}/ov.csr")
  org_id      = regfish_tls_organization.acme.id
}

# DV: the provider publishes the _dnsauth CNAMEs in regfish DNS itself.
resource "regfish_tls_certificate" "dv" {
  product     = "RapidSSL"
  common_name = "shop.example.org"
  csr         = file("${path.module}/dv.csr")
}

output "certificates" {
  sensitive = true # only to keep the PEMs out of the apply output
  value = {
    ov = { id = regfish_tls_certificate.ov.id, full_chain_pem = regfish_tls_certificate.ov.full_chain_pem }
    dv = { id = regfish_tls_certificate.dv.id, full_chain_pem = regfish_tls_certificate.dv.full_chain_pem }
  }
}
`

func run() error {
	providerDir := flag.String("provider-dir", "", "directory holding the built terraform-provider-regfish binary")
	tf := flag.String("terraform", "terraform", "terraform or tofu binary")
	flag.Parse()
	if *providerDir == "" {
		return errors.New("-provider-dir is required (make demo builds the provider there)")
	}
	tfPath, err := exec.LookPath(*tf)
	if err != nil {
		return fmt.Errorf("%s not found: install Terraform or OpenTofu, or pass TF_BIN=/path/to/binary to make", *tf)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	sim, err := simulator.New(simulator.Options{APIKey: "demo-key", ApprovalDelay: 2 * time.Second, OrgReadyDelay: 3 * time.Second})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	base := "http://" + ln.Addr().String()
	fmt.Printf("==> regfish API simulator on %s (root CA: %s/_sim/ca.pem)\n", base, base)

	dir, err := os.MkdirTemp("", "regfish-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	abs, _ := filepath.Abs(*providerDir)
	cli := tfdev.DevOverrides(abs)
	files := map[string]string{filepath.Join(dir, "cli.tfrc"): cli, filepath.Join(work, "main.tf"): demoConfig,
		filepath.Join(dir, "root.pem"): string(sim.CA().RootPEM)}
	for name, csr := range map[string][]string{"ov.csr": {"www.example.com", "api.example.com"}, "dv.csr": {"shop.example.org"}} {
		p, err := tfdev.NewCSR(csr[0], csr...)
		if err != nil {
			return err
		}
		files[filepath.Join(work, name)] = p
	}
	for name, body := range files {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			return err
		}
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + filepath.Join(dir, "cli.tfrc"), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") {
			env = append(env, kv)
		}
	}
	tfRun := func(stdout *bytes.Buffer, args ...string) error {
		cmd := exec.CommandContext(ctx, tfPath, args...)
		cmd.Dir, cmd.Env, cmd.Stderr = work, env, os.Stderr
		if stdout != nil {
			cmd.Stdout = stdout
		} else {
			cmd.Stdout = os.Stdout
		}
		return cmd.Run()
	}
	fmt.Printf("==> %s apply (provider from %s via dev_overrides)\n", filepath.Base(tfPath), abs)
	if err := tfRun(nil, "apply", "-auto-approve", "-no-color", "-var", "base_url="+base); err != nil {
		return fmt.Errorf("terraform apply: %w", err)
	}
	var out bytes.Buffer
	if err := tfRun(&out, "output", "-json", "certificates"); err != nil {
		return fmt.Errorf("terraform output: %w", err)
	}
	var certs map[string]struct {
		ID           string `json:"id"`
		FullChainPEM string `json:"full_chain_pem"`
	}
	if err := json.Unmarshal(out.Bytes(), &certs); err != nil {
		return fmt.Errorf("terraform output: %w", err)
	}
	for _, name := range []string{"ov", "dv"} {
		c := certs[name]
		fmt.Printf("\n==> %s certificate %s\n", strings.ToUpper(name), c.ID)
		if err := verify(c.FullChainPEM, sim.CA().Root, filepath.Join(dir, "root.pem"), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("%s certificate %s: %w", name, c.ID, err)
		}
	}
	completes := sim.Stats().Requests["POST /tls/certificate/{id}/complete"]
	if completes == 0 {
		return errors.New("the OV order was never completed through POST /tls/certificate/{id}/complete")
	}
	fmt.Printf("\n==> the OV order was staged while the organization was vetted, then completed with org_id (POST /tls/certificate/{id}/complete called %d time(s))\n", completes)
	orders := sim.Orders()
	fmt.Printf("==> the simulator holds %d certificate orders (one per resource), all %s\n", len(orders), orders[0].Status)
	for _, o := range orders {
		if o.Status != "issued" {
			return fmt.Errorf("order %s is %s", o.ID, o.Status)
		}
	}
	fmt.Println("==> demo OK")
	return nil
}

// verify prints the leaf and checks the chain against the root, with Go's
// x509 and, when installed, with openssl.
func verify(chain string, root *x509.Certificate, rootFile, prefix string) error {
	var certs []*x509.Certificate
	var blocks []string
	for rest := []byte(chain); ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return err
		}
		certs = append(certs, c)
		blocks = append(blocks, string(pem.EncodeToMemory(b)))
	}
	if len(certs) < 2 {
		return errors.New("full_chain_pem holds no chain")
	}
	leaf := certs[0]
	fmt.Printf("    subject:  %s\n    SANs:     %s\n    issuer:   %s\n    validity: %s .. %s\n    serial:   %X\n",
		leaf.Subject, strings.Join(leaf.DNSNames, ", "), leaf.Issuer, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339), leaf.SerialNumber)
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: leaf.DNSNames[0]}); err != nil {
		return fmt.Errorf("does not verify against the simulator root: %w", err)
	}
	fmt.Println("    x509.Verify against the simulator root: OK")
	if openssl, err := exec.LookPath("openssl"); err == nil {
		leafFile, chainFile := prefix+"-leaf.pem", prefix+"-chain.pem"
		_ = os.WriteFile(leafFile, []byte(blocks[0]), 0o600)
		_ = os.WriteFile(chainFile, []byte(strings.Join(blocks[1:], "")), 0o600)
		out, err := exec.Command(openssl, "verify", "-CAfile", rootFile, "-untrusted", chainFile, leafFile).CombinedOutput()
		fmt.Printf("    openssl verify -CAfile root.pem -untrusted chain.pem leaf.pem: %s", strings.ReplaceAll(string(out), filepath.Dir(leafFile)+"/", ""))
		if err != nil {
			return fmt.Errorf("openssl verify: %v", err)
		}
	}
	return nil
}
