package regfish_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// limitAPI enforces a fixed window of limit requests per window for all
// its clients together, starting at the first request after the previous
// window ended (like the simulator and regfish), and answers with the
// rate-limit headers of its mode:
//
//   - "draft" (the default of newLimitAPI): RateLimit-Policy and the draft
//     RateLimit header on every answer, 429 with Retry-After;
//   - "policy" (what regfish sends): only RateLimit-Policy, 429 without
//     Retry-After;
//   - "policy-retry-after": only RateLimit-Policy, 429 with Retry-After.
//
// It counts the successful requests of every client (by User-Agent) in
// every window.
type limitAPI struct {
	*httptest.Server
	mode    string
	mu      sync.Mutex
	limit   int
	window  time.Duration
	start   time.Time
	count   int
	ok      int
	limited int
	windows []apiWindow
}

// apiWindow is one of limitAPI's windows.
type apiWindow struct {
	start time.Time
	ok    map[string]int // by User-Agent
}

func newLimitAPI(t *testing.T, limit int, window time.Duration) *limitAPI {
	return newLimitAPIMode(t, "draft", limit, window)
}

func newLimitAPIMode(t *testing.T, mode string, limit int, window time.Duration) *limitAPI {
	a := &limitAPI{mode: mode, limit: limit, window: window}
	a.Server = httptest.NewServer(a)
	t.Cleanup(a.Close)
	return a
}

// newWindowLocked starts a window at now.
func (a *limitAPI) newWindowLocked(now time.Time) {
	a.start, a.count = now, 0
	a.windows = append(a.windows, apiWindow{start: now, ok: map[string]int{}})
}

// fill starts a window whose whole budget another key user has spent.
func (a *limitAPI) fill() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.newWindowLocked(time.Now())
	a.count = a.limit
}

func (a *limitAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	now := time.Now()
	if a.start.IsZero() || now.Sub(a.start) >= a.window {
		a.newWindowLocked(now)
	}
	a.count++
	reset := int(math.Ceil(a.start.Add(a.window).Sub(now).Seconds()))
	w.Header().Set("RateLimit-Policy", fmt.Sprintf("%d; w=%g", a.limit, a.window.Seconds()))
	if a.mode == "draft" {
		w.Header().Set("RateLimit", fmt.Sprintf("limit=%d, remaining=%d, reset=%d", a.limit, max(a.limit-a.count, 0), max(reset, 1)))
	}
	if a.count > a.limit {
		a.limited++
		a.mu.Unlock()
		if a.mode != "policy" {
			w.Header().Set("Retry-After", fmt.Sprint(max(reset, 1)))
		}
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"success":false,"message":"Too many requests, please try again later."}`))
		return
	}
	a.ok++
	a.windows[len(a.windows)-1].ok[r.UserAgent()]++
	a.mu.Unlock()
	_, _ = w.Write([]byte(productsBody))
}

func (a *limitAPI) counts() (ok, limited int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ok, a.limited
}

// okPerWindow lists the successful requests of client ua in every window
// that started before until.
func (a *limitAPI) okPerWindow(ua string, until time.Time) []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []int
	for _, w := range a.windows {
		if w.start.Before(until) {
			out = append(out, w.ok[ua])
		}
	}
	return out
}

// run makes m calls in each of n goroutines per client and returns the
// number of failed calls.
func run(clients []*regfish.Client, n, m int) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for _, c := range clients {
		for g := 0; g < n; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < m; i++ {
					if _, err := c.ListProducts(ctx); err != nil {
						mu.Lock()
						failed++
						mu.Unlock()
					}
				}
			}()
		}
	}
	wg.Wait()
	return failed
}

func limitClient(t *testing.T, base string) *regfish.Client {
	return namedLimitClient(t, base, "")
}

// namedLimitClient is a client (a provider process of its own) that
// limitAPI tells apart by its User-Agent.
func namedLimitClient(t *testing.T, base, name string) *regfish.Client {
	c, err := regfish.New(regfish.Config{BaseURL: base, APIKey: "shared", UserAgent: name, RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Goroutines of one process share the pacer: three windows' worth of
// requests go through without failures and (almost) without 429s.
func TestPacingKeepsConcurrentCallsUnderTheLimit(t *testing.T) {
	api := newLimitAPI(t, 20, time.Second)
	c := limitClient(t, api.URL)
	if failed := run([]*regfish.Client{c}, 6, 10); failed != 0 {
		t.Fatalf("%d calls failed", failed)
	}
	ok, limited := api.counts()
	st := c.Stats()
	t.Logf("ok %d, 429 %d, held back %d (%v)", ok, limited, st.Paced, st.PacedWait)
	if ok != 60 || limited > 1 || st.RateLimited != int64(limited) || st.Requests != int64(ok+limited) {
		t.Fatalf("ok %d, 429 %d (client saw %d of %d requests)", ok, limited, st.RateLimited, st.Requests)
	}
	if st.Paced == 0 {
		t.Fatal("nothing was held back")
	}
}

// Two processes sharing one key slow down together: no failures, few 429s.
func TestPacingSharesOneKeyBetweenProcesses(t *testing.T) {
	api := newLimitAPI(t, 20, 2*time.Second)
	clients := []*regfish.Client{limitClient(t, api.URL), limitClient(t, api.URL)}
	if failed := run(clients, 4, 10); failed != 0 {
		t.Fatalf("%d calls failed", failed)
	}
	ok, limited := api.counts()
	t.Logf("ok %d, 429 %d", ok, limited)
	// Under 10 %: with the pacer holding nothing back, 22 of 102 (22 %)
	// were answered 429. The exact share under
	// regfish's limit is measured by make bench (1.4 %); on a loaded CI
	// machine, a busy scheduler once gave this test 5 of 85 (5.9 %).
	if ok != 80 || float64(limited) > 0.10*float64(ok+limited) {
		t.Fatalf("ok %d, 429 %d: more than 10%% answered 429", ok, limited)
	}
}

// With a plentiful budget nothing waits.
func TestPacingIdleWhileTheBudgetIsPlentiful(t *testing.T) {
	api := newLimitAPI(t, 1000, time.Minute)
	c := limitClient(t, api.URL)
	if failed := run([]*regfish.Client{c}, 8, 25); failed != 0 {
		t.Fatalf("%d calls failed", failed)
	}
	if st := c.Stats(); st.Paced != 0 || st.Requests != 200 {
		t.Fatalf("%d of %d requests held back (%v) with 800 of 1000 left", st.Paced, st.Requests, st.PacedWait)
	}
}

// ----- only RateLimit-Policy (what regfish sends) ---------------------------

// A lone process never exceeds the policy: no 429 at all against a fixed
// window of the same limit, whatever the window's phase.
func TestPacingPolicyOnlyOneProcessNever429(t *testing.T) {
	t.Parallel() // real time, mostly waiting
	api := newLimitAPIMode(t, "policy", 20, 2*time.Second)
	c := limitClient(t, api.URL)
	if failed := run([]*regfish.Client{c}, 4, 12); failed != 0 {
		t.Fatalf("%d calls failed", failed)
	}
	ok, limited := api.counts()
	st := c.Stats()
	t.Logf("ok %d, 429 %d, held back %d (%v)", ok, limited, st.Paced, st.PacedWait)
	if ok != 48 || limited != 0 {
		t.Fatalf("ok %d, 429 %d: a lone process ran into the limit", ok, limited)
	}
	if st.Paced == 0 {
		t.Fatal("nothing was held back")
	}
}

// Two processes on one key that sends only RateLimit-Policy: together
// fewer than 5 % 429s, no failed call, and both get a fair part of every
// window while both are busy (neither waits until the other is done).
func TestPacingPolicyOnlyTwoProcessesShareOneKey(t *testing.T) {
	t.Parallel() // real time, mostly waiting
	for _, mode := range []string{"policy", "policy-retry-after"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			const limit = 40
			api := newLimitAPIMode(t, mode, limit, 2*time.Second)
			clients := []*regfish.Client{namedLimitClient(t, api.URL, "a"), namedLimitClient(t, api.URL, "b")}
			var wg sync.WaitGroup
			var failed [2]int
			var finished [2]time.Time
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					failed[i] = run([]*regfish.Client{c}, 4, 25)
					finished[i] = time.Now()
				}()
			}
			wg.Wait()
			ok, limited := api.counts()
			first := finished[0]
			if finished[1].Before(first) {
				first = finished[1]
			}
			a, b := api.okPerWindow("a", first), api.okPerWindow("b", first)
			t.Logf("ok %d, 429 %d; per window a %v, b %v", ok, limited, a, b)
			if failed[0]+failed[1] != 0 || ok != 200 {
				t.Fatalf("%d + %d calls failed, %d ok", failed[0], failed[1], ok)
			}
			if float64(limited) >= 0.05*float64(ok+limited) {
				t.Fatalf("ok %d, 429 %d: 5 %% or more answered 429", ok, limited)
			}
			// Every window that ended before one of them was done.
			for w := 0; w < len(a)-1; w++ {
				if a[w] < limit/5 || b[w] < limit/5 {
					t.Fatalf("window %d: a %d, b %d successful requests of %d: not shared", w, a[w], b[w], limit)
				}
			}
			if len(a) < 3 {
				t.Fatalf("only %d windows before the first was done", len(a))
			}
		})
	}
}

// A 429 without Retry-After holds every request of the process until the
// window is over: a burst of concurrent calls meeting a full window does
// not collect a 429 each (and again on every retry).
func TestPacingPolicyOnly429HoldsTheWholeProcess(t *testing.T) {
	t.Parallel() // real time, mostly waiting
	api := newLimitAPIMode(t, "policy", 10, 2*time.Second)
	c := limitClient(t, api.URL)
	if _, err := c.ListProducts(ctx); err != nil { // learn the policy
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // that window is over
	api.fill()                  // another process spends the next one
	if failed := run([]*regfish.Client{c}, 8, 1); failed != 0 {
		t.Fatalf("%d calls failed", failed)
	}
	ok, limited := api.counts()
	t.Logf("ok %d, 429 %d", ok, limited)
	if ok != 9 || limited > 4 {
		t.Fatalf("8 concurrent calls into a full window: ok %d, 429 %d (more than the 4 the process sends at once)", ok, limited)
	}
}

// With a plentiful budget nothing waits (policy only).
func TestPacingPolicyOnlyIdleWhileTheBudgetIsPlentiful(t *testing.T) {
	api := newLimitAPIMode(t, "policy", 1000, time.Minute)
	c := limitClient(t, api.URL)
	if failed := run([]*regfish.Client{c}, 8, 25); failed != 0 {
		t.Fatalf("%d calls failed", failed)
	}
	if st := c.Stats(); st.Paced != 0 || st.Requests != 200 {
		t.Fatalf("%d of %d requests held back (%v) with 800 of 1000 left", st.Paced, st.Requests, st.PacedWait)
	}
}
