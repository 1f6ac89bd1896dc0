// Command regfish-demo runs the demo behind `make demo`: it starts the
// regfish API simulator in-process on a loopback port, orders a DV
// certificate through the API client (place the order, publish the DCV
// CNAMEs, poll until issued, download), prints the certificate and verifies
// its chain against the simulator's root.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run() error {
	flag.String("provider-dir", "", "directory holding the built provider (used by the Terraform demo)")
	flag.String("terraform", "terraform", "terraform or tofu binary (used by the Terraform demo)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	sim, err := simulator.New(simulator.Options{APIKey: "demo-key", ApprovalDelay: 2 * time.Second})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	fmt.Printf("==> regfish API simulator on %s (root CA at %s/_sim/ca.pem)\n", base, base)

	cl, err := regfish.New(regfish.Config{BaseURL: base, APIKey: "demo-key", UserAgent: "regfish-demo"})
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "www.example.com"}, DNSNames: []string{"www.example.com", "api.example.com"}}, key)
	if err != nil {
		return err
	}
	csr := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	c, err := cl.CreateCertificate(ctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.com",
		DNSNames: []string{"api.example.com"}, CSR: csr, DCVMethod: regfish.DCVMethodCNAME, ValidityDays: 90})
	if err != nil {
		return err
	}
	fmt.Printf("==> order %s placed: status %s, order_state %s, pending_reason %s\n", c.ID, c.Status, c.OrderState, c.PendingReason)
	for _, r := range c.Validation.DNSRecords {
		rec, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: r.Name, Data: r.Value, TTL: 60, Annotation: "regfish-demo; certificate_id=" + c.ID})
		if err != nil {
			return err
		}
		fmt.Printf("==> published DCV record %s CNAME %s (rrid %d)\n", rec.Name, rec.Data, rec.ID)
	}
	for !c.Ready() {
		time.Sleep(200 * time.Millisecond)
		if c, err = cl.GetCertificate(ctx, c.ID); err != nil {
			return err
		}
		fmt.Printf("==> order %s: status %s, order_state %s\n", c.ID, c.Status, c.OrderState)
	}
	chain, err := cl.DownloadCertificate(ctx, c.ID, "pem")
	if err != nil {
		return err
	}
	return verify(chain, sim.CA().Root)
}

// verify prints the leaf and checks the chain against the root.
func verify(chain []byte, root *x509.Certificate) error {
	var certs []*x509.Certificate
	for rest := chain; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return err
		}
		certs = append(certs, c)
	}
	if len(certs) < 2 {
		return errors.New("the download holds no chain")
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
		return fmt.Errorf("certificate does not verify against the simulator root: %w", err)
	}
	fmt.Println("==> OK: the certificate chain verifies against the simulator's root CA")
	return nil
}
