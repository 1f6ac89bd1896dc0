package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// startSim starts a simulator under the variants of spec (defaults
// otherwise, whatever REGFISH_SIM_VARIANTS says) holding an organization,
// a certificate order and an annotated DNS record, so that every request
// of the check has something to read.
func startSim(t *testing.T, spec string, opts simulator.Options) *testutil.Sim {
	t.Helper()
	v, err := simulator.ParseVariants("ratelimit-headers=policy," + spec)
	if err != nil {
		t.Fatal(err)
	}
	opts.Variants = v
	sim := testutil.StartSim(t, opts)
	seed(t, sim)
	return sim
}

func seed(t *testing.T, sim *testutil.Sim) {
	t.Helper()
	post(t, sim, "/tls/organization", map[string]any{
		"organization": "Example GmbH", "first_name": "Ada", "last_name": "Admin", "address": "Musterstrasse 1",
		"postal_code": "10115", "city": "Berlin", "country_code": "DE", "phone": "+49 30 1234567", "email": "admin@example.com",
	})
	csr := testutil.NewCSR(t, "www.example.com", "api.example.com")
	post(t, sim, "/tls/certificate", map[string]any{
		"sku": "RapidSSL", "common_name": "www.example.com", "dns_names": []string{"api.example.com"},
		"csr": csr.PEM, "dcv_method": "dns-cname-token",
	})
	post(t, sim, "/dns/rr", map[string]any{
		"type": "A", "name": "www.example.com", "data": "192.0.2.1", "ttl": 3600, "annotation": "seeded by the contract check test",
	})
}

func post(t *testing.T, sim *testutil.Sim, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, sim.URL+path, bytes.NewReader(b))
	req.Header.Set("x-api-key", sim.APIKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d", path, resp.StatusCode)
	}
}

// check runs the core function against base with key.
func check(t *testing.T, base, key string) *Report {
	t.Helper()
	rep, err := Check(t.Context(), Config{BaseURL: base, APIKey: key, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// runCmd runs the command with args and the environment env, without
// pauses between the requests; it returns the exit status, stdout and
// stderr.
func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return runPaced(t, 0, env, args...)
}

func runPaced(t *testing.T, pace time.Duration, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, func(k string) string { return env[k] }, &out, &errOut, pace)
	return code, out.String(), errOut.String()
}

func detection(t *testing.T, rep *Report, key string) Detection {
	t.Helper()
	for _, d := range rep.Variants {
		if d.Key == key {
			return d
		}
	}
	t.Fatalf("no detection of %s", key)
	return Detection{}
}

// The check's own copy of the variants is the simulator's list.
func TestVariantTableMatchesSimulator(t *testing.T) {
	var got, want []string
	for _, v := range variantTable {
		got = append(got, v.Key+"="+strings.Join(v.Values, "|"))
	}
	for _, v := range simulator.VariantList() {
		want = append(want, v.Key+"="+strings.Join(v.Values, "|"))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("variantTable differs from simulator.VariantList():\n got  %v\n want %v", got, want)
	}
}

// The simulator with its default variants answers as the contract says,
// with and without data in the account.
func TestDefaultSimulatorMatchesContract(t *testing.T) {
	t.Parallel()
	for _, seeded := range []bool{true, false} {
		t.Run(fmt.Sprintf("seeded=%v", seeded), func(t *testing.T) {
			t.Parallel()
			var sim *testutil.Sim
			if seeded {
				sim = startSim(t, "", simulator.Options{})
			} else {
				v, _ := simulator.ParseVariants("ratelimit-headers=policy")
				sim = testutil.StartSim(t, simulator.Options{Variants: v})
			}
			rep := check(t, sim.URL, sim.APIKey())
			var buf bytes.Buffer
			rep.WriteText(&buf)
			if rep.Mismatches != 0 {
				t.Fatalf("mismatches against the default simulator:\n%s", buf.String())
			}
			if !strings.Contains(buf.String(), "Result: every answer matches the contract") {
				t.Errorf("no result line:\n%s", buf.String())
			}
			want := 10
			if !seeded {
				want = 9 // no certificate to read
			}
			sent := 0
			for _, r := range rep.Requests {
				if r.Skipped == "" {
					sent++
				}
			}
			if sent != want {
				t.Errorf("sent %d requests, want %d", sent, want)
			}
			if seeded {
				for step, note := range map[int]string{
					2: `without "name" (as documented)`,
					6: `without "data" (as documented)`,
					7: "1 with an annotation; no system records",
				} {
					if r := rep.Requests[step-1]; !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, note) }) {
						t.Errorf("step %d: notes %q, want one with %q", step, r.Notes, note)
					}
				}
			}
			code, out, _ := runCmd(t, map[string]string{"REGFISH_API_KEY": sim.APIKey(), "REGFISH_BASE_URL": sim.URL})
			if code != exitOK {
				t.Errorf("exit %d, want 0:\n%s", code, out)
			}
		})
	}
}

// Every value of every variant the reads can tell apart is named by the
// detection, and the values it can be told from are not.
func TestDetectsEveryReadableVariant(t *testing.T) {
	t.Parallel()
	// Pairs the reads cannot separate: without a 429 the two policies look
	// the same; a dropped annotation looks like none ever sent.
	alike := map[string][]string{
		"ratelimit-headers=policy":             {"policy-retry-after"},
		"ratelimit-headers=policy-retry-after": {"policy"},
		"annotation=dropped":                   {"echoed"},
	}
	readable := []string{"ratelimit-headers", "error-envelope", "zone-not-found", "annotation", "product-type"}
	for _, info := range simulator.VariantList() {
		if !slices.Contains(readable, info.Key) {
			continue
		}
		for _, value := range info.Values {
			spec := info.Key + "=" + value
			t.Run(spec, func(t *testing.T) {
				t.Parallel()
				sim := startSim(t, spec, simulator.Options{})
				rep := check(t, sim.URL, sim.APIKey())
				if rep.Mismatches != 0 {
					var buf bytes.Buffer
					rep.WriteText(&buf)
					t.Errorf("the variant %s is inside the contract, but the check found mismatches:\n%s", spec, buf.String())
				}
				d := detection(t, rep, info.Key)
				if !d.Readable || !slices.Contains(d.Matches, value) {
					t.Fatalf("%s: detection %v (%s) does not name %s", spec, d.Matches, d.Why, value)
				}
				for _, other := range info.Values {
					if other != value && !slices.Contains(alike[spec], other) && slices.Contains(d.Matches, other) {
						t.Errorf("%s: detection %v also names %s (%s)", spec, d.Matches, other, d.Why)
					}
				}
				if wantTold := len(alike[spec]) == 0; d.Told != wantTold {
					t.Errorf("%s: told %v, want %v (%v)", spec, d.Told, wantTold, d.Matches)
				}
			})
		}
	}
}

// The variants only a write shows are said to be so; role-denied is named
// when the key lacks a role.
func TestWriteOnlyVariantsAndRoleDenied(t *testing.T) {
	t.Parallel()
	sim := startSim(t, "", simulator.Options{Keys: map[string][]string{"dns-only-key": {"dns"}}})
	rep := check(t, sim.URL, sim.APIKey())
	for _, key := range []string{"cname-conflict", "cancel", "revoke", "complete", "org-edit", "role-denied"} {
		d := detection(t, rep, key)
		if d.Readable || len(d.Matches) != 0 || d.Why == "" {
			t.Errorf("%s: %+v, want not readable with a reason", key, d)
		}
	}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	if !regexp.MustCompile(`(?m)^  cname-conflict +: cannot tell from reads: it needs a write`).MatchString(buf.String()) {
		t.Errorf("no cannot-tell line for cname-conflict:\n%s", buf.String())
	}
	for _, value := range []string{"403", "401"} {
		if err := sim.SetVariants("role-denied=" + value); err != nil {
			t.Fatal(err)
		}
		rep := check(t, sim.URL, "dns-only-key")
		if d := detection(t, rep, "role-denied"); !d.Told || d.Matches[0] != value {
			t.Errorf("role-denied=%s: %+v", value, d)
		}
		// Not a pass, not a mismatch: the TLS steps went unchecked.
		if rep.Outcome != OutcomeIncomplete || rep.Mismatches != 0 || len(rep.Denied) != 1 || rep.Denied[0].Part != "tls" {
			t.Errorf("role-denied=%s: outcome %s, %d mismatches, denied %+v; want incomplete, 0, tls",
				value, rep.Outcome, rep.Mismatches, rep.Denied)
		}
	}
}

// fakeServer serves the simulator except for the paths in override.
func fakeServer(t *testing.T, sim *testutil.Sim, override map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if strings.HasPrefix(path, "/dns/contract-check-") && strings.HasSuffix(path, ".invalid/rr") {
			path = "/dns/{unknown}/rr" // the random domain of step 9
		}
		if h := override[path]; h != nil {
			h(w, r)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func jsonAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("RateLimit-Policy", "500; w=60")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// Answers of the wrong shape are mismatches, named in words, and exit 1.
func TestWrongShapesAreMismatches(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		override map[string]http.HandlerFunc
		want     []string
	}{
		{"product without sku", map[string]http.HandlerFunc{
			"/tls/products": jsonAnswer(200, `{"success":true,"code":0,"response":[
				{"sku":"RapidSSL","name":"RapidSSL","type":"dv","validation_level":"dv","organization_required":false},
				{"name":"Secure Site","type":"ov","validation_level":"ov","organization_required":"yes"}]}`),
		}, []string{"1. GET /tls/products: 200, MISMATCH", "product 2: sku is missing", "product 2: organization_required is a string, want true or false"}},
		{"certificate list without success", map[string]http.HandlerFunc{
			"/tls/certificate": jsonAnswer(200, `{"code":0,"response":[]}`),
		}, []string{"3. GET /tls/certificate: 200, MISMATCH", `the envelope has no "success"`}},
		{"404 without envelope", map[string]http.HandlerFunc{
			"/tls/certificate/" + unknownCertID: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		}, []string{"8. GET /tls/certificate/" + unknownCertID + ": 404, MISMATCH",
			`Content-Type is "text/plain; charset=utf-8", want application/json`,
			"no RateLimit-Policy header", `the body is not JSON ("404 page not found")`}},
		{"unknown certificate answered 200", map[string]http.HandlerFunc{
			"/tls/certificate/" + unknownCertID: jsonAnswer(200, `{"success":true,"response":{}}`),
		}, []string{"status 200, want 404"}},
		{"certificate fields of the wrong type", map[string]http.HandlerFunc{
			"/tls/certificate": jsonAnswer(200, `{"success":true,"response":[
				{"id":"A","status":"issued","common_name":"a.example.com","product":"RapidSSL","order_state":"ISSUED",
				 "action_required":"false","certificate_pem_available":true,"dns_names":null,"validation":[],
				 "valid_until":"2026-13-01"}]}`),
			"/tls/certificate/A": jsonAnswer(200, `{"success":true,"response":{"id":"B","status":"issued","common_name":"a.example.com",
				"product":"RapidSSL","order_state":"ISSUED","action_required":false,"certificate_pem_available":true,"dns_names":[]}}`),
		}, []string{"certificate A: action_required is a string, want true or false", "certificate A: dns_names is null, want an array",
			"certificate A: validation is an array, want an object or null", `certificate A: valid_until "2026-13-01" is not an RFC 3339 time`,
			`the answer is about certificate "B", not "A"`}},
		{"records with a string id, a 401 without envelope", map[string]http.HandlerFunc{
			"/dns/example.com/rr": jsonAnswer(200, `{"success":true,"response":[{"id":"7","name":"a.example.com.","type":"A","ttl":60}]}`),
			"/tls/products": func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("x-api-key") == wrongKey {
					jsonAnswer(401, `{"success":false}`)(w, r)
					return
				}
				jsonAnswer(200, `{"success":true,"response":[{"sku":"RapidSSL","name":"R","type":"dv","validation_level":"dv","organization_required":false}]}`)(w, r)
			},
		}, []string{"record 1: id is a string, want an integer", "record 1: data is missing",
			`the error envelope has neither "message" nor "error"`}},
		{"unknown zone answered as an empty zone", map[string]http.HandlerFunc{
			"/dns/{unknown}/rr": jsonAnswer(200, `{"success":true,"code":0,"response":[]}`),
		}, []string{"status 200 with success:true for a domain that is no zone"}},
		{"no RateLimit-Policy, a bad policy, a redirect", map[string]http.HandlerFunc{
			"/tls/organization": func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"success":true,"response":[]}`))
			},
			"/dns/zones": func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("RateLimit-Policy", `"default";q=500;w=60`)
				_, _ = w.Write([]byte(`{"success":true,"response":[]}`))
			},
			"/tls/certificate/" + unknownCertID: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://elsewhere.example/x", http.StatusFound)
			},
		}, []string{"2. GET /tls/organization: 200, MISMATCH", "no RateLimit-Policy header (observed on every answer)",
			`RateLimit-Policy "\"default\";q=500;w=60" is not in the form`, "a redirect (302", "6. GET /dns/zones/{domain}: skipped"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, "", simulator.Options{})
			srv := fakeServer(t, sim, tc.override)
			rep := check(t, srv.URL, sim.APIKey())
			var buf bytes.Buffer
			rep.WriteText(&buf)
			out := buf.String()
			if rep.Mismatches == 0 {
				t.Fatalf("no mismatch found:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output lacks %q:\n%s", w, out)
				}
			}
			code, cmdOut, _ := runCmd(t, map[string]string{"REGFISH_API_KEY": sim.APIKey()}, "-base-url", srv.URL)
			if code != exitMismatch {
				t.Errorf("exit %d, want 1:\n%s", code, cmdOut)
			}
		})
	}
}

// The key is never printed: not in the text or JSON report, not when the
// server echoes it, not in an error.
func TestKeyNeverPrinted(t *testing.T) {
	t.Parallel()
	const key = "rfk.Distinctive-Key-7c1e9a4b2f"
	sim := startSim(t, "", simulator.Options{APIKey: key})
	echo := fakeServer(t, sim, map[string]http.HandlerFunc{
		"/tls/organization": func(w http.ResponseWriter, r *http.Request) {
			jsonAnswer(403, fmt.Sprintf(`{"success":false,"message":"key %s may not read organizations"}`, r.Header.Get("x-api-key")))(w, r)
		},
		"/tls/certificate/" + unknownCertID: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/?k="+r.Header.Get("x-api-key"), http.StatusFound)
		},
	})
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := closedURL(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		exit int
	}{
		{"text", map[string]string{"REGFISH_API_KEY": key}, []string{"-base-url", sim.URL}, exitOK},
		{"json", map[string]string{"REGFISH_API_KEY": key}, []string{"-base-url", sim.URL, "-json"}, exitOK},
		{"key file", nil, []string{"-base-url", sim.URL, "-api-key-file", keyFile}, exitOK},
		{"echoed by the server", map[string]string{"REGFISH_API_KEY": key}, []string{"-base-url", echo.URL}, exitMismatch},
		{"echoed, json", map[string]string{"REGFISH_API_KEY": key}, []string{"-base-url", echo.URL, "-json"}, exitMismatch},
		{"unreachable", map[string]string{"REGFISH_API_KEY": key}, []string{"-base-url", closed}, exitUsage},
		{"plain http", map[string]string{"REGFISH_API_KEY": key}, []string{"-base-url", "http://api.example.com"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCmd(t, tc.env, tc.args...)
			if code != tc.exit {
				t.Errorf("%s: exit %d, want %d\n%s%s", tc.name, code, tc.exit, out, errOut)
			}
			if strings.Contains(out+errOut, key) || strings.Contains(out+errOut, "7c1e9a4b2f") {
				t.Errorf("%s: the key is in the output:\n%s%s", tc.name, out, errOut)
			}
			if out+errOut == "" {
				t.Errorf("%s: no output", tc.name)
			}
		})
	}
}

// Only GET requests reach the server, ten at most here, paced 200 ms apart
// by the command; the wrong key goes only to step 10.
func TestOnlyGETRequests(t *testing.T) {
	t.Parallel()
	sim := startSim(t, "", simulator.Options{})
	type seen struct {
		method, path, key string
		at                time.Time
	}
	var mu sync.Mutex
	var reqs []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, seen{r.Method, r.URL.Path, r.Header.Get("x-api-key"), time.Now()})
		mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	code, out, errOut := runPaced(t, requestPace, map[string]string{"REGFISH_API_KEY": sim.APIKey()}, "-base-url", srv.URL)
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 10 {
		t.Errorf("%d requests, want 10", len(reqs))
	}
	for i, r := range reqs {
		if r.method != http.MethodGet {
			t.Errorf("request %d: %s %s, want GET only", i+1, r.method, r.path)
		}
		if wantKey := sim.APIKey(); i == 9 {
			if r.key != wrongKey {
				t.Errorf("request 10 sent the account key, want the wrong one")
			}
		} else if r.key != wantKey {
			t.Errorf("request %d (%s) sent another key", i+1, r.path)
		}
		if i > 0 {
			if gap := r.at.Sub(reqs[i-1].at); gap < requestPace*3/4 {
				t.Errorf("request %d followed the one before after %v, want about 200 ms", i+1, gap)
			}
		}
	}
	if code != exitOK {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
}

// A plain http:// base URL to a host that is not loopback is refused
// before anything is sent; https:// and loopback http:// are fine.
func TestRefusesPlainHTTPToAnotherHost(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"http://api.regfish.com", "http://192.0.2.10:8080", "http://[2001:db8::1]/"} {
		code, out, errOut := runCmd(t, map[string]string{"REGFISH_API_KEY": "k"}, "-base-url", base)
		if code != exitUsage || !strings.Contains(errOut, "unencrypted") || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and a refusal", base, code, out, errOut)
		}
		if _, err := Check(t.Context(), Config{BaseURL: base, APIKey: "k"}); err == nil {
			t.Errorf("Check(%s): no error", base)
		}
	}
	code, _, errOut := runCmd(t, map[string]string{"REGFISH_API_KEY": "k", "REGFISH_BASE_URL": "http://api.regfish.com"})
	if code != exitUsage || !strings.Contains(errOut, "unencrypted") {
		t.Errorf("REGFISH_BASE_URL: exit %d, %s", code, errOut)
	}
}

// Usage errors and an API that cannot be reached exit 2.
func TestUsageAndUnreachable(t *testing.T) {
	t.Parallel()
	closed := closedURL(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no key", nil, nil, "no API key"},
		{"blank key file", nil, []string{"-api-key-file", filepath.Join(t.TempDir(), "missing")}, "reading the API key"},
		{"a key as an argument", map[string]string{"REGFISH_API_KEY": "k"}, []string{"some-key"}, "never a flag or an argument"},
		{"no -api-key flag", nil, []string{"-api-key", "k"}, "flag provided but not defined"},
		{"bad URL", map[string]string{"REGFISH_API_KEY": "k"}, []string{"-base-url", "api.regfish.com"}, "invalid base URL"},
		{"unreachable", map[string]string{"REGFISH_API_KEY": "k"}, []string{"-base-url", closed, "-timeout", "2s"}, "could not be reached"},
	} {
		code, _, errOut := runCmd(t, tc.env, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, code, errOut, tc.want)
		}
	}
}

// closedURL is a loopback URL where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	_ = ln.Close()
	return u
}
