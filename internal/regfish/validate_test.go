package regfish_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// scripted is an API that answers each "METHOD /path" with the given
// bodies in turn (the last one repeats) and counts the requests.
type scripted struct {
	mu      sync.Mutex
	answers map[string][]string
	hits    map[string]int
}

func newScripted(t *testing.T, answers map[string][]string) (*scripted, *regfish.Client) {
	t.Helper()
	s := &scripted{answers: answers, hits: map[string]int{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k", MaxRetries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	s.mu.Lock()
	bodies := s.answers[key]
	n := s.hits[key]
	s.hits[key]++
	s.mu.Unlock()
	if len(bodies) == 0 {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"success":false,"message":"no script for ` + key + `"}`))
		return
	}
	_, _ = w.Write([]byte(bodies[min(n, len(bodies)-1)]))
}

func (s *scripted) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[key]
}

// Bodies a broken API or a proxy in the way may answer with 200.
var invalidObjects = map[string]string{
	"null":        `{"success":true,"code":0,"response":null}`,
	"missing":     `{"success":true,"code":0}`,
	"empty":       `{"success":true,"code":0,"response":{}}`,
	"no id":       `{"success":true,"code":0,"response":{"status":"pending","common_name":"example.com","name":"x.example.com.","type":"A"}}`,
	"array":       `{"success":true,"code":0,"response":[]}`,
	"html":        `<html><body>Service temporarily unavailable</body></html>`,
	"not success": `{"success":false,"message":"try again"}`,
}

const (
	certWANT  = `{"success":true,"code":0,"response":{"id":"WANT","status":"pending"}}`
	certOTHER = `{"success":true,"code":0,"response":{"id":"OTHER","status":"issued"}}`
	rec42     = `{"success":true,"code":0,"response":{"id":42,"name":"a.example.com.","type":"A","data":"192.0.2.1","ttl":60}}`
	rec43     = `{"success":true,"code":0,"response":{"id":43,"name":"b.example.com.","type":"A","data":"192.0.2.2","ttl":60}}`
	org1      = `{"success":true,"code":0,"response":{"id":"hdl_NEW","organization":"Example GmbH"}}`
)

// A read answered with an invalid 2xx is retried like a 5xx and, when the
// answer stays invalid, fails with ErrInvalidResponse after the retries;
// it never returns an object without (or with another) id.
func TestInvalidAnswersToReadsAreRetriedThenFail(t *testing.T) {
	reads := []struct {
		name, key, valid, other string
		call                    func(*regfish.Client) (any, error)
	}{
		{"GetCertificate", "GET /tls/certificate/WANT", certWANT, certOTHER, func(c *regfish.Client) (any, error) { return c.GetCertificate(ctx, "WANT") }},
		{"GetRecord", "GET /dns/rr/42", rec42, rec43, func(c *regfish.Client) (any, error) { return c.GetRecord(ctx, 42) }},
		{"GetZone", "GET /dns/zones/example.com", `{"success":true,"response":{"domain":"example.com."}}`, `{"success":true,"response":{"domain":"example.org."}}`,
			func(c *regfish.Client) (any, error) { return c.GetZone(ctx, "example.com") }},
		{"UpdateRecord", "PATCH /dns/rr/42", rec42, "", func(c *regfish.Client) (any, error) {
			return c.UpdateRecord(ctx, 42, regfish.RecordRequest{Type: "A", Name: "a", Data: "192.0.2.1"})
		}},
	}
	for _, r := range reads {
		bad := map[string]string{}
		for k, v := range invalidObjects {
			bad[k] = v
		}
		if r.other != "" {
			bad["another id"] = r.other
		}
		for what, body := range bad {
			t.Run(r.name+"/"+what, func(t *testing.T) {
				s, c := newScripted(t, map[string][]string{r.key: {body}})
				got, err := r.call(c)
				if !errors.Is(err, regfish.ErrInvalidResponse) || errors.Is(err, regfish.ErrMaybeProcessed) {
					t.Fatalf("want ErrInvalidResponse (not ErrMaybeProcessed), got %v", err)
				}
				if n := s.count(r.key); n != 3 {
					t.Fatalf("%d attempts, want 3 (retried like a 5xx)", n)
				}
				if !isNil(got) {
					t.Fatalf("returned %+v with the error", got)
				}
				// once, then a valid answer: the retry succeeds
				s2, c2 := newScripted(t, map[string][]string{r.key: {body, r.valid}})
				if _, err := r.call(c2); err != nil {
					t.Fatalf("invalid then valid: %v", err)
				}
				if n := s2.count(r.key); n != 2 {
					t.Fatalf("invalid then valid: %d attempts", n)
				}
			})
		}
	}
}

func isNil(v any) bool {
	switch x := v.(type) {
	case *regfish.Certificate:
		return x == nil
	case *regfish.Record:
		return x == nil
	case *regfish.Zone:
		return x == nil
	case *regfish.Organization:
		return x == nil
	case nil:
		return true
	}
	return false
}

// The creating POSTs are never repeated: an invalid 2xx means the request
// was carried out, and the error says so (ErrMaybeProcessed) so that the
// caller looks the object up. An empty id is never returned as a success.
func TestInvalidAnswersToCreatesMayHaveBeenProcessed(t *testing.T) {
	creates := []struct {
		name, key string
		call      func(*regfish.Client) (any, error)
	}{
		{"CreateCertificate", "POST /tls/certificate", func(c *regfish.Client) (any, error) {
			return c.CreateCertificate(ctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com"})
		}},
		{"CreateOrganization", "POST /tls/organization", func(c *regfish.Client) (any, error) {
			return c.CreateOrganization(ctx, regfish.OrganizationRequest{Organization: "Example GmbH"})
		}},
		{"CreateRecord", "POST /dns/rr", func(c *regfish.Client) (any, error) {
			return c.CreateRecord(ctx, regfish.RecordRequest{Type: "A", Name: "a.example.com", Data: "192.0.2.1"})
		}},
	}
	bad := map[string]string{"id zero": `{"success":true,"response":{"id":0,"name":"a.example.com."}}`, "id empty": `{"success":true,"response":{"id":""}}`}
	for k, v := range invalidObjects {
		bad[k] = v
	}
	for _, cr := range creates {
		for what, body := range bad {
			t.Run(cr.name+"/"+what, func(t *testing.T) {
				s, c := newScripted(t, map[string][]string{cr.key: {body, `{"success":true,"response":{"id":"SECOND"}}`}})
				got, err := cr.call(c)
				if !errors.Is(err, regfish.ErrInvalidResponse) || !errors.Is(err, regfish.ErrMaybeProcessed) {
					t.Fatalf("want ErrInvalidResponse + ErrMaybeProcessed, got %v", err)
				}
				if !strings.Contains(err.Error(), "may have been processed") {
					t.Fatalf("message does not say so: %v", err)
				}
				if n := s.count(cr.key); n != 1 {
					t.Fatalf("POST sent %d times", n)
				}
				if !isNil(got) {
					t.Fatalf("returned %+v with the error", got)
				}
			})
		}
	}
}

// The certificate actions must answer with the certificate asked for; an
// invalid answer is not repeated (the action was carried out) and says so.
func TestCertificateActionsMustAnswerTheirCertificate(t *testing.T) {
	actions := map[string]func(*regfish.Client) (*regfish.Certificate, error){
		"complete": func(c *regfish.Client) (*regfish.Certificate, error) {
			return c.CompleteCertificate(ctx, "WANT", "hdl_X")
		},
		"reissue": func(c *regfish.Client) (*regfish.Certificate, error) {
			return c.ReissueCertificate(ctx, "WANT", regfish.ReissueRequest{CSR: "x", DCVMethod: regfish.DCVMethodCNAME})
		},
		"revoke": func(c *regfish.Client) (*regfish.Certificate, error) {
			return c.RevokeCertificate(ctx, "WANT", regfish.RevokeRequest{})
		},
		"cancel": func(c *regfish.Client) (*regfish.Certificate, error) { return c.CancelCertificate(ctx, "WANT") },
	}
	for action, call := range actions {
		key := "POST /tls/certificate/WANT/" + action
		for what, body := range map[string]string{"another id": certOTHER, "null": invalidObjects["null"], "empty": invalidObjects["empty"], "html": invalidObjects["html"]} {
			t.Run(action+"/"+what, func(t *testing.T) {
				s, c := newScripted(t, map[string][]string{key: {body, certWANT}})
				got, err := call(c)
				if !errors.Is(err, regfish.ErrInvalidResponse) || !errors.Is(err, regfish.ErrMaybeProcessed) || got != nil {
					t.Fatalf("want ErrInvalidResponse + ErrMaybeProcessed, got %+v %v", got, err)
				}
				if n := s.count(key); n != 1 {
					t.Fatalf("action sent %d times", n)
				}
			})
		}
		t.Run(action+"/valid", func(t *testing.T) {
			_, c := newScripted(t, map[string][]string{key: {certWANT}})
			if got, err := call(c); err != nil || got.ID != "WANT" {
				t.Fatalf("%+v %v", got, err)
			}
		})
	}
}

// Only [] is an empty list: a null list, or a list element without an id,
// is an invalid answer (retried, then ErrInvalidResponse).
func TestListAnswers(t *testing.T) {
	lists := []struct {
		name, key, noID string
		call            func(*regfish.Client) (int, error)
	}{
		{"ListCertificates", "GET /tls/certificate", `{"success":true,"response":[{"id":"A"},{"status":"pending"}]}`,
			func(c *regfish.Client) (int, error) { l, err := c.ListCertificates(ctx); return len(l), err }},
		{"ListOrganizations", "GET /tls/organization", `{"success":true,"response":[{"id":null,"name":"x"}]}`,
			func(c *regfish.Client) (int, error) { l, err := c.ListOrganizations(ctx); return len(l), err }},
		{"ListRecords", "GET /dns/example.com/rr", `{"success":true,"response":[{"id":1,"name":"a."},{"id":0,"name":"b."}]}`,
			func(c *regfish.Client) (int, error) { l, err := c.ListRecords(ctx, "example.com"); return len(l), err }},
		{"ListZones", "GET /dns/zones", `{"success":true,"response":[{"domain":""}]}`,
			func(c *regfish.Client) (int, error) { l, err := c.ListZones(ctx); return len(l), err }},
		{"ListProducts", "GET /tls/products", `{"success":true,"response":[{"name":"no sku"}]}`,
			func(c *regfish.Client) (int, error) { l, err := c.ListProducts(ctx); return len(l), err }},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			_, c := newScripted(t, map[string][]string{l.key: {`{"success":true,"code":0,"response":null}`}})
			if n, err := l.call(c); !errors.Is(err, regfish.ErrInvalidResponse) || n != 0 {
				t.Fatalf("null list: %d %v, want an invalid answer (not an empty list)", n, err)
			}
			_, c = newScripted(t, map[string][]string{l.key: {`{"success":true,"code":0,"response":[]}`}})
			if n, err := l.call(c); err != nil || n != 0 {
				t.Fatalf("empty list: %d %v", n, err)
			}
			s, c := newScripted(t, map[string][]string{l.key: {l.noID}})
			n, err := l.call(c)
			if !errors.Is(err, regfish.ErrInvalidResponse) || n != 0 {
				t.Fatalf("element without id: %d %v", n, err)
			}
			if s.count(l.key) != 3 {
				t.Fatalf("%d attempts, want 3", s.count(l.key))
			}
			_, c = newScripted(t, map[string][]string{l.key: {`{"success":true,"response":{}}`}})
			if _, err := l.call(c); !errors.Is(err, regfish.ErrInvalidResponse) {
				t.Fatalf("object instead of a list: %v", err)
			}
		})
	}
}

func TestDownloadMustBeWhatWasAskedFor(t *testing.T) {
	const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	s, c := newScripted(t, map[string][]string{"GET /tls/certificate/X/download/pem": {"<html>maintenance</html>", "", pem}})
	b, err := c.DownloadCertificate(ctx, "X", "pem")
	if err != nil || string(b) != pem || s.count("GET /tls/certificate/X/download/pem") != 3 {
		t.Fatalf("HTML, empty, then PEM: %q %v after %d attempts", b, err, s.count("GET /tls/certificate/X/download/pem"))
	}
	_, c = newScripted(t, map[string][]string{"GET /tls/certificate/X/download/zip": {pem}})
	if _, err := c.DownloadCertificate(ctx, "X", "zip"); !errors.Is(err, regfish.ErrInvalidResponse) {
		t.Fatalf("PEM as ZIP: %v", err)
	}
}

// A context cancelled while the order POST is in flight: the order may
// have been placed.
func TestOrderCancelledInFlightMayHaveBeenProcessed(t *testing.T) {
	arrived := make(chan struct{}, 1)
	var posts int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the server notices a closed connection only after the body
		mu.Lock()
		posts++
		mu.Unlock()
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		<-arrived
		cancel()
	}()
	_, err = c.CreateCertificate(cctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com"})
	if !errors.Is(err, regfish.ErrMaybeProcessed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled in flight: %v", err)
	}
	// cancelled before the call: nothing was sent, nothing is ambiguous
	_, err = c.CreateCertificate(cctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com"})
	if errors.Is(err, regfish.ErrMaybeProcessed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if posts != 1 {
		t.Fatalf("%d POSTs reached the server", posts)
	}
	// a read cancelled in flight is a plain context error
	arrived2 := make(chan struct{}, 1)
	srv2 := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		arrived2 <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv2.Close()
	c2, _ := regfish.New(regfish.Config{BaseURL: srv2.URL, APIKey: "k"})
	rctx, rcancel := context.WithCancel(ctx)
	go func() {
		<-arrived2
		rcancel()
	}()
	if _, err := c2.GetCertificate(rctx, "X"); errors.Is(err, regfish.ErrMaybeProcessed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("read cancelled in flight: %v", err)
	}
}

// The account's order list is decoded as it arrives: no size cap of a
// whole-body read (a list of more than 16 MiB), envelope keys in any order,
// success:false after the list is an error with no orders, and a connection
// that breaks mid-list is a transport failure, retried.
func TestListCertificatesStreams(t *testing.T) {
	var big strings.Builder
	big.WriteString(`{"response":[`)
	const n = 12000
	pad := strings.Repeat("x", 1500)
	for i := range n {
		if i > 0 {
			big.WriteString(",")
		}
		fmt.Fprintf(&big, `{"id":"C%05d","status":"issued","pending_message":%q}`, i, pad)
	}
	big.WriteString(`],"code":0,"success":true}`)
	if big.Len() <= 16<<20 {
		t.Fatalf("the test list is only %d bytes", big.Len())
	}
	_, c := newScripted(t, map[string][]string{"GET /tls/certificate": {big.String()}})
	l, err := c.ListCertificates(ctx)
	if err != nil || len(l) != n || l[n-1].ID != fmt.Sprintf("C%05d", n-1) {
		t.Fatalf("a list of %d bytes: %d orders, %v", big.Len(), len(l), err)
	}

	_, c = newScripted(t, map[string][]string{"GET /tls/certificate": {`{"response":[{"id":"A"}],"success":false,"code":7,"message":"nope"}`}})
	if l, err := c.ListCertificates(ctx); err == nil || !strings.Contains(err.Error(), "nope") || len(l) != 0 {
		t.Fatalf("success:false after the list: %d orders, %v", len(l), err)
	}

	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", "1000")
			_, _ = io.WriteString(w, `{"success":true,"response":[{"id":"A"},{"id":`)
			panic(http.ErrAbortHandler) // the connection breaks mid-list
		}
		_, _ = io.WriteString(w, `{"success":true,"response":[{"id":"A"},{"id":"B"}]}`)
	}))
	defer srv.Close()
	c2, err := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k", RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := c2.ListCertificates(ctx); err != nil || len(l) != 2 || calls.Load() != 2 {
		t.Fatalf("a list broken mid-answer, then whole: %d orders, %v after %d calls", len(l), err, calls.Load())
	}
}
