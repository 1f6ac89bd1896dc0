package regfish_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

const productsBody = `{"success":true,"code":0,"response":[{"sku":"RapidSSL","name":"RapidSSL","type":"dv"}]}`

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080", "http://127.5.6.7", "http://localhost:1234/", "http://LOCALHOST.", "http://[::1]:9000", "https://api.example.com"} {
		if _, err := regfish.New(regfish.Config{BaseURL: base, APIKey: "k"}); err != nil {
			t.Errorf("%s refused: %v", base, err)
		}
	}
	for _, base := range []string{"http://api.regfish.com", "http://192.0.2.10:8080", "http://localhost.example.com", "http://[2001:db8::1]/"} {
		_, err := regfish.New(regfish.Config{BaseURL: base, APIKey: "k"})
		if !errors.Is(err, regfish.ErrInsecureBaseURL) || !strings.Contains(err.Error(), "unencrypted") {
			t.Errorf("%s accepted: %v", base, err)
		}
		if _, err := regfish.New(regfish.Config{BaseURL: base, APIKey: "k", AllowInsecureHTTP: true}); err != nil {
			t.Errorf("%s with AllowInsecureHTTP: %v", base, err)
		}
		if err := regfish.CheckBaseURL(base, false); !errors.Is(err, regfish.ErrInsecureBaseURL) {
			t.Errorf("CheckBaseURL(%s): %v", base, err)
		}
	}
}

// keyRecorder is a server that records the API keys it receives.
type keyRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	keys []string
}

func newKeyRecorder(t *testing.T, h http.HandlerFunc) *keyRecorder {
	k := &keyRecorder{}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.keys = append(k.keys, r.Header.Get("x-api-key"))
		k.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(k.Close)
	return k
}

func (k *keyRecorder) seen() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.keys...)
}

// The API key never follows a redirect to another host, port or scheme.
func TestRedirectToAnotherHostIsRefused(t *testing.T) {
	other := newKeyRecorder(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(productsBody)) })
	otherURL, _ := url.Parse(other.URL)
	for _, status := range []int{301, 302, 307, 308} {
		var target string
		api := newKeyRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target+r.URL.Path, status)
		})
		apiURL, _ := url.Parse(api.URL)
		for _, tgt := range []string{
			other.URL,                             // another port
			"http://localhost:" + otherURL.Port(), // another host name, same machine
			"https://" + apiURL.Host,              // another scheme
		} {
			target = tgt
			c, err := regfish.New(regfish.Config{BaseURL: api.URL, APIKey: "s3cret", MaxRetries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListProducts(ctx)
			if !errors.Is(err, regfish.ErrRedirect) || !strings.Contains(err.Error(), tgt) || !strings.Contains(err.Error(), "check base_url") {
				t.Fatalf("%d to %s: %v", status, tgt, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatal("key in the error")
			}
		}
		if n := len(api.seen()); n != 3 {
			t.Fatalf("%d: the redirect was retried: %d requests", status, n)
		}
	}
	if keys := other.seen(); len(keys) != 0 {
		t.Fatalf("the other host received %d requests (keys %q)", len(keys), keys)
	}
}

// Reads follow a redirect within base_url's host; writes never follow one.
func TestRedirectsWithinTheHost(t *testing.T) {
	var orders atomic.Int32
	api := newKeyRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old/tls/products":
			http.Redirect(w, r, "/tls/products", http.StatusMovedPermanently)
		case "/tls/products":
			_, _ = w.Write([]byte(productsBody))
		case "/tls/certificate/moved":
			orders.Add(1)
			_, _ = w.Write([]byte(`{"success":true,"response":{"id":"NEW"}}`))
		case "/tls/certificate":
			if r.Header.Get("X-Status") == "" {
				http.Redirect(w, r, "/tls/certificate/moved", http.StatusTemporaryRedirect)
			}
		}
	})
	c, _ := regfish.New(regfish.Config{BaseURL: api.URL + "/old", APIKey: "k"})
	ps, err := c.ListProducts(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("same-host redirect of a read: %v", err)
	}
	if keys := api.seen(); len(keys) != 2 || keys[1] != "k" {
		t.Fatalf("keys seen: %q", keys)
	}
	for status, maybe := range map[int]bool{307: false, 308: false, 303: true, 302: true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/tls/certificate" {
				http.Redirect(w, r, "/tls/certificate/moved", status)
				return
			}
			orders.Add(1)
		}))
		c, _ := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k"})
		_, err := c.CreateCertificate(ctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com"})
		if !errors.Is(err, regfish.ErrRedirect) || errors.Is(err, regfish.ErrMaybeProcessed) != maybe || !strings.Contains(err.Error(), "only reads follow redirects") {
			t.Fatalf("POST answered %d: %v (maybe processed: want %v)", status, err, maybe)
		}
		srv.Close()
	}
	if orders.Load() != 0 {
		t.Fatalf("a redirected order POST was followed %d times", orders.Load())
	}
}

// An API that accepts connections and never answers fails a call within
// the retry budget, naming base_url; the next calls fail at once.
func TestUnresponsiveAPIFailsWithinTheBudget(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	newClient := func() *regfish.Client {
		c, err := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k", MaxRetries: 20, RequestTimeout: 50 * time.Millisecond,
			MaxRetryDuration: 300 * time.Millisecond, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newClient()
	_, err := c.ListProducts(ctx)
	var te *regfish.TransportError
	if !errors.Is(err, regfish.ErrNoAnswer) || !errors.As(err, &te) || !strings.Contains(err.Error(), "the API at "+srv.URL+" did not answer within 50ms") {
		t.Fatalf("unresponsive: %v", err)
	}
	// Every attempt lasts its 50 ms: the 300 ms budget, not the 20
	// retries, ends the call.
	if n := int(hits.Load()); n < 2 || n > 7 || te.Attempts != n {
		t.Fatalf("%d attempts (error says %d), want 2..7", n, te.Attempts)
	}
	before := hits.Load()
	_, err = c.GetCertificate(ctx, "X")
	if !errors.Is(err, regfish.ErrNoAnswer) || !strings.Contains(err.Error(), "not sent") || hits.Load() != before {
		t.Fatalf("second call: %v (%d new requests)", err, hits.Load()-before)
	}
	// The order POST times out once, is not repeated, and may have been placed.
	c = newClient()
	before = hits.Load()
	_, err = c.CreateCertificate(ctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com"})
	if !errors.Is(err, regfish.ErrNoAnswer) || !errors.Is(err, regfish.ErrMaybeProcessed) || hits.Load()-before != 1 {
		t.Fatalf("order POST: %v after %d requests", err, hits.Load()-before)
	}
}

// timeoutErr is a network timeout.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// gatedRT times out GET /tls/products at once and holds /tls/certificate/B
// until gate is closed.
type gatedRT struct {
	next http.RoundTripper
	gate chan struct{}
	held chan struct{}
}

func (g *gatedRT) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.URL.Path {
	case "/tls/products":
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}
	case "/tls/certificate/B":
		g.held <- struct{}{}
		<-g.gate
	}
	return g.next.RoundTrip(r)
}

// After a call gave up without any answer, calls fail at once; an answer
// to a request still in flight ends that.
func TestAnAnswerEndsFailingAtOnce(t *testing.T) {
	_, api := newScripted(t, map[string][]string{"GET /tls/certificate/B": {`{"success":true,"response":{"id":"B"}}`},
		"GET /tls/certificate/C": {`{"success":true,"response":{"id":"C"}}`}})
	rt := &gatedRT{next: http.DefaultTransport, gate: make(chan struct{}), held: make(chan struct{}, 1)}
	c, _ := regfish.New(regfish.Config{BaseURL: api.BaseURL(), APIKey: "k", MaxRetries: -1, HTTPClient: &http.Client{Transport: rt}})
	errB := make(chan error, 1)
	go func() {
		_, err := c.GetCertificate(ctx, "B")
		errB <- err
	}()
	<-rt.held
	if _, err := c.ListProducts(ctx); !errors.Is(err, regfish.ErrNoAnswer) {
		t.Fatalf("timeout: %v", err)
	}
	if _, err := c.GetCertificate(ctx, "C"); !errors.Is(err, regfish.ErrNoAnswer) || !strings.Contains(err.Error(), "not sent") {
		t.Fatalf("while no answer came: %v", err)
	}
	close(rt.gate)
	if err := <-errB; err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCertificate(ctx, "C"); err != nil {
		t.Fatalf("after an answer: %v", err)
	}
}

func TestConnectionRefusedIsReportedAsSuch(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c, _ := regfish.New(regfish.Config{BaseURL: base, APIKey: "k", MaxRetries: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	_, err := c.ListProducts(ctx)
	u, _ := url.Parse(base)
	if !errors.Is(err, regfish.ErrConnectionRefused) || !strings.Contains(err.Error(), "connection refused by "+u.Host) {
		t.Fatalf("refused: %v", err)
	}
}

func TestUnresolvableHostIsReportedAsSuch(t *testing.T) {
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
		dials.Add(1)
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}}
	c, _ := regfish.New(regfish.Config{BaseURL: "https://api.regfish.invalid", APIKey: "k", HTTPClient: &http.Client{Transport: tr},
		RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	_, err := c.CreateCertificate(ctx, regfish.CertificateRequest{SKU: "RapidSSL"})
	if !errors.Is(err, regfish.ErrHostNotFound) || errors.Is(err, regfish.ErrMaybeProcessed) ||
		!strings.Contains(err.Error(), "cannot resolve host api.regfish.invalid") || !strings.Contains(err.Error(), "check base_url") {
		t.Fatalf("DNS: %v", err)
	}
	if dials.Load() != 1 {
		t.Fatalf("a name that does not exist was looked up %d times", dials.Load())
	}
}

func TestTLSFailureIsReportedAsSuch(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(productsBody)) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	c, _ := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k", RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	_, err := c.ListProducts(ctx)
	if !errors.Is(err, regfish.ErrTLS) || !strings.Contains(err.Error(), "TLS handshake with "+u.Host+" failed") || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	if conns.Load() != 1 {
		t.Fatalf("a certificate error was retried: %d connections", conns.Load())
	}
	// with the server's certificate trusted, the same client setup works
	c, _ = regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k", HTTPClient: srv.Client()})
	if _, err := c.ListProducts(ctx); err != nil {
		t.Fatal(err)
	}
}

// A 404 on an endpoint the API always serves points at a wrong base_url;
// it is not "not found" (which would make a resource look deleted).
func TestNotFoundOnACollectionHintsAtBaseURL(t *testing.T) {
	s, c := newScripted(t, nil)
	for name, call := range map[string]func() error{
		"/tls/products":     func() error { _, err := c.ListProducts(ctx); return err },
		"/tls/certificate":  func() error { _, err := c.ListCertificates(ctx); return err },
		"/tls/organization": func() error { _, err := c.ListOrganizations(ctx); return err },
		"/dns/zones":        func() error { _, err := c.ListZones(ctx); return err },
	} {
		err := call()
		if !errors.Is(err, regfish.ErrWrongBaseURL) || regfish.IsNotFound(err) || !strings.Contains(err.Error(), "check base_url: the API at "+c.BaseURL()+" does not serve "+name) {
			t.Errorf("%s: %v", name, err)
		}
		if n := s.count("GET " + name); n != 1 {
			t.Errorf("%s: %d attempts", name, n)
		}
	}
	if _, err := c.GetCertificate(ctx, "X"); !regfish.IsNotFound(err) || errors.Is(err, regfish.ErrWrongBaseURL) {
		t.Fatalf("404 of one certificate: %v", err)
	}
}
