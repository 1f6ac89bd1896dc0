package main

// Tests of what the check concludes: a refused key, a key that lacks a
// role, the redaction of the key, the wording of the result, the exit
// statuses in -help and in the README. They drive the command (run) and
// read its output, as a person or a script would.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// counting serves h and records the method, path and key of every request.
type counting struct {
	mu   sync.Mutex
	reqs []string
}

func countRequests(t *testing.T, h http.Handler) (*httptest.Server, *counting) {
	t.Helper()
	c := &counting{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.reqs = append(c.reqs, r.Method+" "+r.URL.Path+" key="+r.Header.Get("x-api-key"))
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

func (c *counting) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...)
}

// resultBlock is the report from its "Result:" line on.
func resultBlock(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, "\nResult: ")
	if i < 0 {
		t.Fatalf("no result:\n%s", out)
	}
	return out[i+1:]
}

// A key regfish refuses (401 to the first request and to the DNS part):
// the check stops after those two requests, says so plainly, reports no
// mismatch and no variant, and exits 2.
func TestWrongKeyStopsEarly(t *testing.T) {
	t.Parallel()
	for _, variant := range []string{"", "role-denied=401"} {
		t.Run("variant="+variant, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, variant, simulator.Options{})
			srv, seen := countRequests(t, sim)
			const bad = "not-the-account-key"
			code, out, errOut := runCmd(t, map[string]string{"REGFISH_API_KEY": bad}, "-base-url", srv.URL)
			if code != 2 {
				t.Errorf("exit %d, want 2 (the check could not be made)", code)
			}
			if want := "the API key was refused (HTTP 401): check REGFISH_API_KEY / -api-key-file"; !strings.Contains(out, want) {
				t.Errorf("the output lacks %q:\n%s%s", want, out, errOut)
			}
			for _, wrong := range []string{"MISMATCH", "does not answer as the provider expects", "Simulator variants",
				"matches no variant", "refused nowhere", "zone-not-found"} {
				if strings.Contains(out, wrong) {
					t.Errorf("the output says %q for a refused key:\n%s", wrong, out)
				}
			}
			reqs := seen.list()
			if len(reqs) > 2 {
				t.Errorf("%d requests for a refused key, want 2 at most: %q", len(reqs), reqs)
			}
			for _, r := range reqs {
				if !strings.HasPrefix(r, "GET ") || !strings.HasSuffix(r, "key="+bad) {
					t.Errorf("request %q, want GET with the given key", r)
				}
			}

			code, out, _ = runCmd(t, map[string]string{"REGFISH_API_KEY": bad}, "-base-url", srv.URL, "-json")
			var rep map[string]any
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("-json: %v\n%s", err, out)
			}
			if code != 2 || rep["outcome"] != "key-refused" || rep["mismatches"] != float64(0) || rep["variants"] != nil {
				t.Errorf("-json: exit %d, outcome %v, mismatches %v, variants %v; want 2, key-refused, 0, none",
					code, rep["outcome"], rep["mismatches"], rep["variants"])
			}
		})
	}

	// From a file, the result names the file.
	sim := startSim(t, "", simulator.Options{})
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("not-the-account-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, nil, "-base-url", sim.URL, "-api-key-file", keyFile)
	if code != 2 || !strings.Contains(out, "this key came from the file "+keyFile) {
		t.Errorf("key file: exit %d, want 2 and the file named:\n%s", code, out)
	}
}

// A key that lacks the role for the TLS or the DNS endpoints: the refusals
// of that part are not mismatches, its steps are "not checked", the other
// part is checked, role-denied is named, and the exit status is 2 - or 1
// when the part that could be read has a real mismatch.
func TestKeyLackingARole(t *testing.T) {
	t.Parallel()
	keys := map[string][]string{"dns-only-key": {"dns"}, "tls-only-key": {"tls"}}
	for _, value := range []string{"403", "401"} {
		for _, tc := range []struct {
			key, lacks string
			checked    []int // steps that must be ok
			unchecked  []int
		}{
			{"dns-only-key", "TLS", []int{5, 6, 7, 9, 10}, []int{1, 2, 3, 8}},
			{"tls-only-key", "DNS", []int{1, 2, 3, 4, 8, 10}, []int{5, 9}},
		} {
			t.Run(fmt.Sprintf("role-denied=%s/%s", value, tc.key), func(t *testing.T) {
				t.Parallel()
				sim := startSim(t, "role-denied="+value, simulator.Options{Keys: keys})
				code, out, errOut := runCmd(t, map[string]string{"REGFISH_API_KEY": tc.key, "REGFISH_BASE_URL": sim.URL})
				if code != 2 {
					t.Errorf("exit %d, want 2 (incomplete)", code)
				}
				want := fmt.Sprintf("this key lacks the role for the %s endpoints: the steps of that part could not be checked", tc.lacks)
				res := resultBlock(t, out)
				if !strings.Contains(res, want) || !strings.Contains(res, "rerun with a key that has access to both") {
					t.Errorf("the result lacks %q and the rerun advice:\n%s%s", want, out, errOut)
				}
				for _, wrong := range []string{"MISMATCH", "does not answer as the provider expects", "mismatch"} {
					if strings.Contains(out, wrong) {
						t.Errorf("the output says %q for a key without the %s role:\n%s", wrong, tc.lacks, out)
					}
				}
				if !regexp.MustCompile(`(?m)^  role-denied += ` + value + ` `).MatchString(out) {
					t.Errorf("role-denied=%s not named:\n%s", value, out)
				}
				for _, step := range tc.checked {
					if !regexp.MustCompile(fmt.Sprintf(`(?m)^ ?%d\. GET \S+( \(with a wrong key\))?: \d+, ok$`, step)).MatchString(out) {
						t.Errorf("step %d is not checked and ok:\n%s", step, out)
					}
				}
				for _, step := range tc.unchecked {
					if !regexp.MustCompile(fmt.Sprintf(`(?m)^ ?%d\. GET \S+: %s, not checked: this key lacks the role for the %s endpoints$`,
						step, value, tc.lacks)).MatchString(out) {
						t.Errorf("step %d is not reported as not checked:\n%s", step, out)
					}
				}
			})
		}
	}

	// A real mismatch in the part the key can read: exit 1, the mismatch
	// and the missing role both said.
	t.Run("mismatch in the readable part", func(t *testing.T) {
		t.Parallel()
		sim := startSim(t, "", simulator.Options{Keys: keys})
		srv := fakeServer(t, sim, map[string]http.HandlerFunc{
			"/dns/example.com/rr": jsonAnswer(200, `{"success":true,"response":[{"id":"7","name":"a.example.com.","type":"A","ttl":60}]}`),
		})
		code, out, _ := runCmd(t, map[string]string{"REGFISH_API_KEY": "dns-only-key"}, "-base-url", srv.URL)
		res := resultBlock(t, out)
		if code != 1 || !strings.Contains(res, "(step 7): regfish does not answer as the provider expects there") ||
			!strings.Contains(res, "this key lacks the role for the TLS endpoints") {
			t.Errorf("exit %d, want 1, the mismatch of step 7 and the missing TLS role:\n%s", code, out)
		}
	})

	// One endpoint refusing a key the rest of its part takes is no
	// missing role: a mismatch, exit 1.
	t.Run("one refusal in a part that takes the key", func(t *testing.T) {
		t.Parallel()
		sim := startSim(t, "", simulator.Options{})
		srv := fakeServer(t, sim, map[string]http.HandlerFunc{
			"/tls/organization": jsonAnswer(403, `{"success":false,"message":"Forbidden"}`),
		})
		code, out, _ := runCmd(t, map[string]string{"REGFISH_API_KEY": sim.APIKey()}, "-base-url", srv.URL)
		if code != 1 || !strings.Contains(out, "2. GET /tls/organization: 403, MISMATCH") || strings.Contains(out, "could not be checked") {
			t.Errorf("exit %d, want 1 and a mismatch of step 2:\n%s", code, out)
		}
	})
}

// The key is redacted from what the server sends, and only there: a key
// that is a common word leaves the check's own wording alone.
func TestRedactsOnlyServerText(t *testing.T) {
	t.Parallel()
	const key = "wrong"
	sim := startSim(t, "", simulator.Options{APIKey: key})
	code, out, errOut := runCmd(t, map[string]string{"REGFISH_API_KEY": key, "REGFISH_BASE_URL": sim.URL})
	if code != 0 {
		t.Errorf("exit %d, want 0:\n%s%s", code, out, errOut)
	}
	for _, own := range []string{"GET /tls/products (with a wrong key): 401, ok", "refused for a wrong organization or order state"} {
		if !strings.Contains(out, own) {
			t.Errorf("the check's own wording %q is garbled:\n%s", own, out)
		}
	}
	if strings.Contains(out, "redacted") {
		t.Errorf("redacted where the server sent no key:\n%s", out)
	}

	// What the server sends back is redacted: a message, a header, a
	// JSON-escaped or URL-escaped key.
	for _, tc := range []struct{ name, key string }{{"common word", "wrong"}, {"escaped", "rfk/Distinct+Key=7c1e9a4b2f"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, "", simulator.Options{APIKey: tc.key})
			srv := fakeServer(t, sim, map[string]http.HandlerFunc{
				"/tls/organization": func(w http.ResponseWriter, r *http.Request) {
					// JSON may escape the key's "/" as "\/" or "\u002f".
					k := strings.ReplaceAll(r.Header.Get("x-api-key"), "/", `\u002f`)
					jsonAnswer(403, `{"success":false,"message":"the key `+k+` may not read organizations"}`)(w, r)
				},
				"/tls/certificate/" + unknownCertID: func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "https://elsewhere.example/?k="+r.Header.Get("x-api-key"), http.StatusFound)
				},
			})
			for _, args := range [][]string{{"-base-url", srv.URL}, {"-base-url", srv.URL, "-json"}} {
				code, out, errOut := runCmd(t, map[string]string{"REGFISH_API_KEY": tc.key}, args...)
				if code != 1 {
					t.Errorf("%v: exit %d, want 1", args, code)
				}
				// (The common word is in the check's own wording.)
				if tc.key != "wrong" && (strings.Contains(out+errOut, tc.key) || strings.Contains(out+errOut, "7c1e9a4b2f")) {
					t.Errorf("%v: the key is in the output:\n%s%s", args, out, errOut)
				}
				if !strings.Contains(out, "the key [api key redacted] may not read organizations") {
					t.Errorf("%v: the echoed key is not redacted in the server's message:\n%s", args, out)
				}
				if args[len(args)-1] != "-json" && !strings.Contains(out, "(with a wrong key)") {
					t.Errorf("%v: the check's own wording is garbled:\n%s", args, out)
				}
			}
		})
	}
}

// The result's wording: steps singular and plural, the draft RateLimit
// header said to differ from what was observed, the next step when the
// annotation variant cannot be told.
func TestResultWording(t *testing.T) {
	t.Parallel()
	t.Run("one step", func(t *testing.T) {
		t.Parallel()
		sim := startSim(t, "", simulator.Options{Keys: map[string][]string{"tls-only-key": {"tls"}}})
		srv := fakeServer(t, sim, map[string]http.HandlerFunc{
			"/tls/certificate/" + unknownCertID: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		})
		_, out, _ := runCmd(t, map[string]string{"REGFISH_API_KEY": sim.APIKey()}, "-base-url", srv.URL)
		if !strings.Contains(out, "Result: 3 mismatches (step 8): ") {
			t.Errorf("want the mismatches of step 8, singular:\n%s", out)
		}
		// With the TLS role alone, one error answer remains to read.
		_, out, _ = runCmd(t, map[string]string{"REGFISH_API_KEY": "tls-only-key"}, "-base-url", sim.URL)
		if !strings.Contains(out, "on the error answers of steps 8 and 10)") {
			t.Errorf("want steps 8 and 10:\n%s", out)
		}
		_, out, _ = runCmd(t, map[string]string{"REGFISH_API_KEY": sim.APIKey()}, "-base-url", sim.URL)
		if !strings.Contains(out, "on the error answers of steps 8, 9 and 10)") {
			t.Errorf("want steps 8, 9 and 10:\n%s", out)
		}
		if strings.Contains(out, "steps 10") || strings.Contains(out, "steps 8)") {
			t.Errorf("a plural for one step:\n%s", out)
		}
	})

	t.Run("draft RateLimit header", func(t *testing.T) {
		t.Parallel()
		sim := startSim(t, "ratelimit-headers=draft", simulator.Options{})
		code, out, _ := runCmd(t, map[string]string{"REGFISH_API_KEY": sim.APIKey()}, "-base-url", sim.URL)
		if code != 0 {
			t.Errorf("exit %d, want 0 (the draft header is inside the contract)", code)
		}
		res := resultBlock(t, out)
		lines := strings.Split(strings.TrimSpace(res), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, "RateLimit") || !strings.Contains(last, "differs from what was observed") ||
			!strings.Contains(last, "the provider handles it") {
			t.Errorf("the final line does not say that RateLimit differs from what was observed and that the provider handles it:\n%s", res)
		}
		if strings.TrimSpace(res) == "Result: every answer matches the contract the provider expects." {
			t.Errorf("the result says only that everything matches:\n%s", res)
		}
	})

	t.Run("annotation cannot be told", func(t *testing.T) {
		t.Parallel()
		sim := testutil.StartSim(t, simulator.Options{}) // no record at all
		_, out, _ := runCmd(t, map[string]string{"REGFISH_API_KEY": sim.APIKey()}, "-base-url", sim.URL)
		line := regexp.MustCompile(`(?m)^  annotation .*$`).FindString(out)
		if !strings.Contains(line, "cannot tell") ||
			!strings.Contains(line, "create a DNS record with an annotation in the regfish Console or with the provider") ||
			!strings.Contains(line, "then run the check again") {
			t.Errorf("the annotation line names no next step: %q", line)
		}
	})
}

// -help and the README tell the exit statuses as they are.
func TestHelpAndReadmeTellTheExitStatuses(t *testing.T) {
	t.Parallel()
	code, out, help := runCmd(t, nil, "-help")
	if code != 0 || out != "" {
		t.Errorf("-help: exit %d, stdout %q", code, out)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## Check your account before the first apply")
	if start < 0 {
		t.Fatal(`README.md has no section "Check your account before the first apply"`)
	}
	section = section[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	section = strings.Join(strings.Fields(section), " ") // lines rewrapped
	for _, tc := range []struct {
		where, text string
		wants       []string
	}{
		{"-help", strings.Join(strings.Fields(help), " "), []string{
			"0 every answer matches", "1 an answer that could be checked does not match",
			"2 the check could not be made", "usage error", "not reachable", "refused (401)", "role for the TLS or the DNS endpoints"}},
		{"README", section, []string{
			"`0` when every answer matches", "`1` when an answer that could be checked does not",
			"`2` when the check could not be made", "usage error", "cannot be reached", "refuses the key (401)",
			"lacks the role for the TLS or the DNS endpoints"}},
	} {
		for _, w := range tc.wants {
			if !strings.Contains(tc.text, w) {
				t.Errorf("%s does not say %q:\n%s", tc.where, w, tc.text)
			}
		}
	}
}
