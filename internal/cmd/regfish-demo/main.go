// Command regfish-demo runs `make demo`: it starts the regfish API simulator
// in-process on a loopback port, writes a dev_overrides CLI configuration
// for the freshly built provider into a temporary directory, applies
// examples/quick-start/main.tf as it is (an organization, an OV certificate
// staged while the organization is vetted and completed via org_id, a DV
// certificate with DCV records managed by the provider), then prints each
// issued certificate and verifies its chain against the simulator's root CA.
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

func run() error {
	providerDir := flag.String("provider-dir", "", "directory holding the built terraform-provider-regfish binary")
	tf := flag.String("terraform", "", "terraform or tofu binary (default: terraform, else tofu on PATH)")
	config := flag.String("config", "examples/quick-start/main.tf", "the configuration to apply, copied as it is")
	flag.Parse()
	if *providerDir == "" {
		return errors.New("-provider-dir is required (make demo builds the provider there)")
	}
	tfPath, err := tfdev.FindTerraform(*tf)
	if err != nil {
		return err
	}
	demoConfig, err := os.ReadFile(*config)
	if err != nil {
		return fmt.Errorf("the demo configuration: %w (run make demo from the repository's root)", err)
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
	env, err := tfdev.Workspace(dir, abs)
	if err != nil {
		return err
	}
	// the provider finds the simulator and its key in the environment, as
	// the example says
	env = append(env, "REGFISH_BASE_URL="+base, "REGFISH_API_KEY=demo-key")
	vars := []string{}
	for name, csr := range map[string][]string{"ov_csr": {"www.example.com", "api.example.com"}, "dv_csr": {"shop.example.org"}} {
		p, err := tfdev.NewCSR(csr[0], csr...)
		if err != nil {
			return err
		}
		vars = append(vars, "-var", name+"="+p)
	}
	for name, body := range map[string][]byte{filepath.Join(work, "main.tf"): demoConfig, filepath.Join(dir, "root.pem"): sim.CA().RootPEM} {
		if err := os.WriteFile(name, body, 0o600); err != nil {
			return err
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
	fmt.Printf("==> %s apply of %s (provider from %s via dev_overrides)\n", filepath.Base(tfPath), *config, abs)
	if err := tfRun(nil, append([]string{"apply", "-auto-approve", "-no-color"}, vars...)...); err != nil {
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
