package regfish_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

var ctx = context.Background()

func orderReq(t *testing.T) regfish.CertificateRequest {
	return regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: testutil.NewCSR(t, "example.com").PEM, DCVMethod: regfish.DCVMethodCNAME}
}

func TestNewValidatesConfig(t *testing.T) {
	if _, err := regfish.New(regfish.Config{APIKey: "k", BaseURL: "ftp://x"}); err == nil {
		t.Fatal("ftp base URL accepted")
	}
	if _, err := regfish.New(regfish.Config{APIKey: "k", BaseURL: "not a url"}); err == nil {
		t.Fatal("relative base URL accepted")
	}
	if _, err := regfish.New(regfish.Config{BaseURL: "https://api.regfish.com"}); err == nil {
		t.Fatal("missing key accepted")
	}
	c, err := regfish.New(regfish.Config{APIKey: "k", BaseURL: "http://127.0.0.1:1/"})
	if err != nil || c.BaseURL() != "http://127.0.0.1:1" {
		t.Fatalf("trailing slash: %v %v", c, err)
	}
	c, err = regfish.New(regfish.Config{APIKey: "k"})
	if err != nil || c.BaseURL() != regfish.DefaultBaseURL {
		t.Fatalf("default base URL: %v", err)
	}
}

func TestHeadersAndKeyNeverInErrors(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"message":"Unauthorized"}`))
	}))
	defer srv.Close()
	const key = "secret.key=value"
	c, err := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: key, UserAgent: "terraform-provider-regfish/1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListProducts(ctx)
	if !errors.Is(err, regfish.ErrUnauthorized) {
		t.Fatalf("401: %v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Fatalf("error message leaks the key: %v", err)
	}
	if got.Get("x-api-key") != key || got.Get("User-Agent") != "terraform-provider-regfish/1.2.3" || got.Get("Accept") != "application/json" {
		t.Fatalf("headers: %v", got)
	}
	if got.Get("Content-Type") != "" {
		t.Fatal("Content-Type sent without a body")
	}
}

type captureLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *captureLogger) add(msg string, f map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprint(msg, f))
}
func (l *captureLogger) Debug(_ context.Context, msg string, f map[string]any) { l.add(msg, f) }
func (l *captureLogger) Warn(_ context.Context, msg string, f map[string]any)  { l.add(msg, f) }

func simClient(t *testing.T, sim *testutil.Sim, mod func(*regfish.Config)) *regfish.Client {
	t.Helper()
	cfg := regfish.Config{BaseURL: sim.URL, APIKey: sim.APIKey(), RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := regfish.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetries5xxAndResetsOnReads(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	log := &captureLogger{}
	c := simClient(t, sim, func(cfg *regfish.Config) { cfg.Logger = log })
	if err := sim.SetFaults(
		simulator.Fault{Kind: simulator.FaultStatus, Status: 500, Path: "/tls/products", Count: 2},
		simulator.Fault{Kind: simulator.FaultReset, Path: "/tls/products", Count: 1},
	); err != nil {
		t.Fatal(err)
	}
	ps, err := c.ListProducts(ctx)
	if err != nil || len(ps) != 7 {
		t.Fatalf("after 2x500 + reset: %v", err)
	}
	if n := sim.Stats().Requests["GET /tls/products"]; n != 4 {
		t.Fatalf("attempts %d, want 4", n)
	}
	joined := strings.Join(log.lines, "\n")
	if !strings.Contains(joined, "retrying") || strings.Contains(joined, sim.APIKey()) {
		t.Fatalf("log lines: %s", joined)
	}
}

func TestRetriesExhausted(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	c := simClient(t, sim, func(cfg *regfish.Config) { cfg.MaxRetries = 2 })
	_ = sim.SetFaults(simulator.Fault{Kind: simulator.FaultStatus, Status: 502, Path: "/tls/certificate/*"})
	_, err := c.GetCertificate(ctx, "X")
	var ae *regfish.APIError
	if !errors.Is(err, regfish.ErrServer) || !errors.As(err, &ae) || ae.StatusCode != 502 {
		t.Fatalf("exhausted: %v", err)
	}
	if n := sim.Stats().Requests["GET /tls/certificate/{id}"]; n != 3 {
		t.Fatalf("attempts %d, want 3", n)
	}
	c = simClient(t, sim, func(cfg *regfish.Config) { cfg.MaxRetries = -1 })
	if _, err := c.GetCertificate(ctx, "X"); !errors.Is(err, regfish.ErrServer) {
		t.Fatal(err)
	}
	if n := sim.Stats().Requests["GET /tls/certificate/{id}"]; n != 4 {
		t.Fatalf("MaxRetries -1 must not retry: %d attempts", n)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	c := simClient(t, sim, nil)
	_ = sim.SetFaults(simulator.Fault{Kind: simulator.FaultStatus, Status: 429, RetryAfter: 1, Path: "/tls/products", Count: 1})
	start := time.Now()
	if _, err := c.ListProducts(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("Retry-After: 1 not honoured, retried after %v", d)
	}
	// a Retry-After beyond MaxRetryAfter fails at once with the wait in the error
	c = simClient(t, sim, func(cfg *regfish.Config) { cfg.MaxRetryAfter = 5 * time.Second })
	_ = sim.SetFaults(simulator.Fault{Kind: simulator.FaultStatus, Status: 429, RetryAfter: 3600, Path: "/tls/products", Count: 1})
	start = time.Now()
	_, err := c.ListProducts(ctx)
	var ae *regfish.APIError
	if !errors.Is(err, regfish.ErrRateLimited) || !errors.As(err, &ae) || ae.RetryAfter != time.Hour || time.Since(start) > time.Second {
		t.Fatalf("long Retry-After: %v (%+v)", err, ae)
	}
}

func TestBackoff(t *testing.T) {
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": []string{"7"}}}
	if d := regfish.Backoff(time.Second, time.Minute, 0, resp); d != 7*time.Second {
		t.Fatalf("Retry-After seconds: %v", d)
	}
	resp.Header.Set("Retry-After", time.Now().Add(20*time.Second).UTC().Format(http.TimeFormat))
	if d := regfish.Backoff(time.Second, time.Minute, 0, resp); d < 18*time.Second || d > 20*time.Second {
		t.Fatalf("Retry-After date: %v", d)
	}
	for attempt := 0; attempt < 12; attempt++ {
		ceil := time.Second << attempt
		if ceil > 30*time.Second {
			ceil = 30 * time.Second
		}
		for i := 0; i < 50; i++ {
			d := regfish.Backoff(time.Second, 30*time.Second, attempt, &http.Response{StatusCode: 500})
			if d < ceil/2 || d > ceil {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, ceil/2, ceil)
			}
		}
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	c := simClient(t, sim, func(cfg *regfish.Config) {
		cfg.RetryWaitMin, cfg.RetryWaitMax, cfg.MaxRetries = 10*time.Second, 10*time.Second, 10
	})
	_ = sim.SetFaults(simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Path: "/tls/products"})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListProducts(cctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("cancel: %v after %v", err, time.Since(start))
	}
}

// The order POST must never be repeated once it may have reached the server.
func TestOrderNotRepeatedAfterResetOrServerError(t *testing.T) {
	for _, f := range []simulator.Fault{
		{Kind: simulator.FaultReset, Method: "POST", Path: "/tls/certificate", After: true, Count: 1},
		{Kind: simulator.FaultStatus, Status: 500, Method: "POST", Path: "/tls/certificate", After: true, Count: 1},
		{Kind: simulator.FaultStatus, Status: 503, Method: "POST", Path: "/tls/certificate", Count: 1},
	} {
		t.Run(fmt.Sprintf("%s-%d-after-%v", f.Kind, f.Status, f.After), func(t *testing.T) {
			sim := testutil.StartSim(t, simulator.Options{})
			c := simClient(t, sim, nil)
			_ = sim.SetFaults(f)
			_, err := c.CreateCertificate(ctx, orderReq(t))
			if !errors.Is(err, regfish.ErrMaybeProcessed) {
				t.Fatalf("want ErrMaybeProcessed, got %v", err)
			}
			if n := sim.Stats().Requests["POST /tls/certificate"]; n != 1 {
				t.Fatalf("order POST sent %d times", n)
			}
			want := 0
			if f.After {
				want = 1
			}
			if n := len(sim.Orders()); n != want {
				t.Fatalf("%d orders, want %d", n, want)
			}
		})
	}
}

func TestOrderRetriedOn429(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	c := simClient(t, sim, nil)
	_ = sim.SetFaults(simulator.Fault{Kind: simulator.FaultStatus, Status: 429, Method: "POST", Path: "/tls/certificate", Count: 2})
	o, err := c.CreateCertificate(ctx, orderReq(t))
	if err != nil || o.ID == "" {
		t.Fatal(err)
	}
	if n := sim.Stats().Requests["POST /tls/certificate"]; n != 3 {
		t.Fatalf("POST attempts %d, want 3", n)
	}
	if len(sim.Orders()) != 1 {
		t.Fatal("duplicate order")
	}
}

// failFirstDial fails the first dial like a refused connection.
type failFirstDial struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (f *failFirstDial) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.n.Add(1) == 1 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return f.next.RoundTrip(r)
}

func TestOrderRetriedWhenNeverSent(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	rt := &failFirstDial{next: http.DefaultTransport}
	c := simClient(t, sim, func(cfg *regfish.Config) { cfg.HTTPClient = &http.Client{Transport: rt} })
	if _, err := c.CreateCertificate(ctx, orderReq(t)); err != nil {
		t.Fatalf("a refused connection is safe to retry: %v", err)
	}
	if rt.n.Load() != 2 || len(sim.Orders()) != 1 {
		t.Fatalf("attempts %d, orders %d", rt.n.Load(), len(sim.Orders()))
	}
}

func TestTransportErrorNotAmbiguousForReads(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := regfish.New(regfish.Config{BaseURL: url, APIKey: "k", MaxRetries: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	_, err := c.ListProducts(ctx)
	var te *regfish.TransportError
	if !errors.As(err, &te) || errors.Is(err, regfish.ErrMaybeProcessed) {
		t.Fatalf("closed server: %v", err)
	}
	_, err = c.CreateCertificate(ctx, orderReq(t))
	if errors.Is(err, regfish.ErrMaybeProcessed) {
		t.Fatalf("refused connection is not ambiguous: %v", err)
	}
}

func TestErrorDecoding(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   error
		msg    string
	}{
		{404, `{"success":false,"message":"DNS zone not found","error":"DNS zone not found","code":15002}`, regfish.ErrNotFound, "DNS zone not found"},
		{417, `{"success":false,"error":"Record already exists","code":15003}`, regfish.ErrDuplicate, "Record already exists"},
		{409, `{"message":"certificate not ready"}`, regfish.ErrConflict, "certificate not ready"},
		{400, `{"success":false,"message":"Invalid request","error":"csr is not PEM"}`, regfish.ErrValidation, "csr is not PEM"},
		{403, `plain text`, regfish.ErrForbidden, "plain text"},
		{200, `{"success":false,"error":"Record not found","code":15001}`, regfish.ErrNotFound, "Record not found"},
		{200, `{"success":false,"message":"odd"}`, regfish.ErrInvalidResponse, "odd"},
		{200, `<html>`, regfish.ErrInvalidResponse, "not a JSON envelope"},
		{200, `{"code":0,"response":[]}`, regfish.ErrInvalidResponse, "success:true"},
		{200, `{"success":true,"response":{"id":5}}`, regfish.ErrInvalidResponse, "cannot decode"},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		c, _ := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k", MaxRetries: -1})
		_, err := c.ListRecords(ctx, "example.com")
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%d %s: got %v, want %v with %q", tc.status, tc.body, err, tc.want, tc.msg)
		}
		srv.Close()
	}
}

func TestFlexibleFields(t *testing.T) {
	var c regfish.Certificate
	body := `{"success":true,"response":{"id":"X","status":"issued","organization_id":42,"valid_from":"","valid_until":null,
	  "reissue":{"id":"332211","status":"processing"},"pending_reason":null,"extra_field":{"a":1}}}`
	if err := regfish.DecodeEnvelope(200, []byte(body), &c); err != nil {
		t.Fatal(err)
	}
	if c.OrganizationID != "42" || !c.ValidFrom.IsZero() || c.Reissue.ID != 332211 || !c.Reissue.Active() || c.PendingReason != "" {
		t.Fatalf("decoded: %+v", c)
	}
	p := regfish.Product{SKU: "FooWildcard"}
	if !p.SupportsWildcard() {
		t.Fatal("wildcard by name")
	}
	f := false
	p.Wildcard = &f
	if p.SupportsWildcard() {
		t.Fatal("explicit wildcard:false")
	}
}

func TestNames(t *testing.T) {
	if regfish.Fqdn("WWW.Example.COM") != "www.example.com." || regfish.Fqdn("a.b.") != "a.b." || regfish.Fqdn(" ") != "" {
		t.Fatal("Fqdn")
	}
	got := regfish.NameSet("Example.com.", []string{"www.example.com", "example.com"})
	if strings.Join(got, ",") != "example.com,www.example.com" {
		t.Fatalf("NameSet %v", got)
	}
	if !regfish.SameNames([]string{"a.example.com."}, []string{"A.example.com"}) || regfish.SameNames([]string{"a.x"}, []string{"b.x"}) {
		t.Fatal("SameNames")
	}
	if !regfish.InZone("_dnsauth.www.example.com.", "example.com") || regfish.InZone("badexample.com", "example.com") {
		t.Fatal("InZone")
	}
}

// A key without the role for a part of the API: 403 names the part; a 401
// after the other part took the key in this run says it most likely lacks
// the role (regfish may answer a missing role with 401); a 401 before any
// success stays a plain 401.
func TestRoleProblems(t *testing.T) {
	for _, variant := range []string{"403", "401"} {
		sim := testutil.StartSim(t, simulator.Options{Keys: map[string][]string{"tls-only": {"tls"}}, Variants: simulator.Variants{RoleDenied: variant}})
		cl := simClient(t, sim, func(c *regfish.Config) { c.APIKey = "tls-only" })
		if variant == "401" {
			_, err := cl.ListZones(ctx)
			var ae *regfish.APIError
			if !errors.As(err, &ae) || ae.RoleProblem() || !errors.Is(err, regfish.ErrUnauthorized) || strings.Contains(err.Error(), "role") {
				t.Fatalf("401 before any success: %v", err)
			}
		}
		if _, err := cl.ListProducts(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := cl.ListZones(ctx)
		var ae *regfish.APIError
		if !errors.As(err, &ae) || !ae.RoleProblem() || ae.Part != "DNS" || !strings.Contains(err.Error(), "role for the DNS endpoints") {
			t.Fatalf("%s: %v", variant, err)
		}
		if variant == "401" && !strings.Contains(err.Error(), "other regfish endpoints accepted the API key") {
			t.Fatalf("401 after a success: %v", err)
		}
	}
}

// A 403 after the same part of the API took the key refuses the call (an
// action offered only in the Console, say), not the key's role: no role
// hint.
func TestForbiddenAfterThePartTookTheKey(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{Variants: simulator.Variants{Cancel: "refused"}})
	cl := simClient(t, sim, nil)
	c, err := cl.CreateCertificate(ctx, orderReq(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.CancelCertificate(ctx, c.ID)
	var ae *regfish.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.RoleProblem() || strings.Contains(err.Error(), "role") {
		t.Fatalf("403 on cancel after the TLS part took the key: %v", err)
	}
}

// Sleep returns at once for d <= 0 (with the context's error when it has
// ended) and stops waiting when the context ends.
func TestSleep(t *testing.T) {
	if err := regfish.Sleep(context.Background(), 0); err != nil {
		t.Fatalf("Sleep(live, 0) = %v, want nil", err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := regfish.Sleep(done, -time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep(ended, -1s) = %v, want context.Canceled", err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := regfish.Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sleep(20ms deadline, 1h) = %v, want context.DeadlineExceeded", err)
	}
	if err := regfish.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep(live, 1ms) = %v, want nil", err)
	}
}
