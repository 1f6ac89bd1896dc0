// Package testutil holds helpers shared by the tests: CSRs, a running
// simulator, and a client pointed at it.
package testutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/tfdev"
)

// CSR is a certificate request with its key.
type CSR struct {
	PEM string
	Key crypto.Signer
}

// NewCSR returns an ECDSA P-256 CSR for cn with the SANs cn + sans.
func NewCSR(t testing.TB, cn string, sans ...string) CSR {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return csrFor(t, k, cn, sans)
}

// NewCSRWithKey returns another CSR for the key of an existing one.
func NewCSRWithKey(t testing.TB, key crypto.Signer, cn string, sans ...string) CSR {
	t.Helper()
	return csrFor(t, key, cn, sans)
}

// NewRSACSR returns an RSA CSR of the given size.
func NewRSACSR(t testing.TB, bits int, cn string, sans ...string) CSR {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return csrFor(t, k, cn, sans)
}

func csrFor(t testing.TB, k crypto.Signer, cn string, sans []string) CSR {
	t.Helper()
	p, err := tfdev.CSRPEM(k, cn, append([]string{cn}, sans...))
	if err != nil {
		t.Fatal(err)
	}
	return CSR{PEM: p, Key: k}
}

// Sim is a simulator served by httptest.
type Sim struct {
	*simulator.Simulator
	Server *httptest.Server
	URL    string
}

// StartSim starts a simulator with fast timings unless opts says otherwise.
func StartSim(t testing.TB, opts simulator.Options) *Sim {
	t.Helper()
	if opts.ApprovalDelay == 0 {
		opts.ApprovalDelay = -1 // no approval delay
	}
	if os.Getenv("REGFISH_SIM_LOG") != "" && opts.Log == nil {
		opts.Log = testWriter{t}
	}
	s, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() }) // its DNS server, when Options.DNSListen asks for one
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &Sim{Simulator: s, Server: srv, URL: srv.URL}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// Client returns an API client for the simulator with fast retries.
func (s *Sim) Client(t testing.TB) *regfish.Client {
	t.Helper()
	c, err := regfish.New(regfish.Config{
		BaseURL: s.URL, APIKey: s.APIKey(), UserAgent: "regfish-tests",
		RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RootPool returns a pool holding the simulator's root.
func (s *Sim) RootPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.CA().Root)
	return p
}
