package provider

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// An answer-corrupting proxy in front of the simulator, for the odd
// answers a real API gives once in a while: a 2xx whose object is null,
// empty, HTML or names another id, and bursts of 503s. (The simulator's
// own fault rules cover statuses, resets and latency; this covers what a
// 2xx can get wrong.)

// Corruptions a proxy rule applies.
const (
	corruptNull    = "null"    // carry the request out, answer {"success":true,"response":null}
	corruptEmpty   = "empty"   // carry it out, answer {"success":true,"response":{}}
	corruptHTML    = "html"    // carry it out, answer 200 text/html
	corruptOtherID = "otherid" // carry it out, answer with "id" replaced
	corrupt503     = "503"     // do not carry it out, answer 503
	corrupt404     = "404"     // do not carry it out, answer 404 (a wrong base_url path, a confused API)
	refuse403      = "403"     // do not carry it out, answer 403 with regfish's error envelope
)

type proxyRule struct {
	Method string // "" any
	Path   string // segments, "*" matches one ("" any)
	Kind   string
	Times  int // how many times it fires (0 = always)
	// Before, when set, runs when the rule fires, before the answer: a
	// change in the simulator that the answer races with
	Before func()
	fired  int
}

func (r *proxyRule) matches(req *http.Request) bool {
	if r.Method != "" && r.Method != req.Method {
		return false
	}
	if r.Path == "" {
		return true
	}
	want := strings.Split(strings.Trim(r.Path, "/"), "/")
	got := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] != "*" && want[i] != got[i] {
			return false
		}
	}
	return true
}

type faultProxy struct {
	mu    sync.Mutex
	rules []*proxyRule
	hits  map[string]int // rule kind -> times fired
	srv   *httptest.Server
}

// proxy puts a fault proxy in front of the simulator; e.config then points
// the provider at it.
func (e *accEnv) proxy(rules ...*proxyRule) *faultProxy {
	e.t.Helper()
	target, _ := url.Parse(e.sim.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &faultProxy{rules: rules, hits: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rule := p.take(r)
		if rule == nil {
			rp.ServeHTTP(w, r)
			return
		}
		if rule.Before != nil {
			rule.Before()
		}
		switch rule.Kind {
		case refuse403:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"success":false,"code":403,"message":"Forbidden","error":"Forbidden"}`)
			return
		case corrupt503:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"success":false,"code":503,"message":"Service Unavailable","error":"Service Unavailable"}`)
			return
		case corrupt404:
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, "404 page not found")
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		switch rule.Kind {
		case corruptNull:
			writeRaw(w, "application/json", `{"success":true,"code":0,"response":null}`)
		case corruptEmpty:
			writeRaw(w, "application/json", `{"success":true,"code":0,"response":{}}`)
		case corruptHTML:
			writeRaw(w, "text/html", "<html><body>Maintenance</body></html>")
		case corruptOtherID:
			var env map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &env) == nil {
				if obj, ok := env["response"].(map[string]any); ok {
					obj["id"] = "ZZZZZZZZZZZZZ"
				}
			}
			b, _ := json.Marshal(env)
			writeRaw(w, "application/json", string(b))
		}
	}))
	e.t.Cleanup(p.srv.Close)
	e.mu.Lock()
	e.baseURL = p.srv.URL
	e.mu.Unlock()
	return p
}

func writeRaw(w http.ResponseWriter, ctype, body string) {
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, bytes.NewBufferString(body))
}

func (p *faultProxy) take(r *http.Request) *proxyRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if rule.matches(r) && (rule.Times == 0 || rule.fired < rule.Times) {
			rule.fired++
			p.hits[rule.Kind]++
			return rule
		}
	}
	return nil
}

func (p *faultProxy) set(rules ...*proxyRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = rules
}

func (p *faultProxy) fired(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[kind]
}

func TestProxyRuleMatches(t *testing.T) {
	r := &proxyRule{Method: "GET", Path: "/tls/certificate/*"}
	for path, want := range map[string]bool{"/tls/certificate/ABC": true, "/tls/certificate": false, "/tls/certificate/ABC/download/pem": false} {
		req := httptest.NewRequest("GET", path, nil)
		if got := r.matches(req); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}
