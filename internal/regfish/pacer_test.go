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
// its clients together, answering like the simulator (doc item 7):
// RateLimit-Policy and RateLimit on every answer, 429 with Retry-After past
// the limit.
type limitAPI struct {
	*httptest.Server
	mu      sync.Mutex
	limit   int
	window  time.Duration
	start   time.Time
	count   int
	ok      int
	limited int
}

func newLimitAPI(t *testing.T, limit int, window time.Duration) *limitAPI {
	a := &limitAPI{limit: limit, window: window}
	a.Server = httptest.NewServer(a)
	t.Cleanup(a.Close)
	return a
}

func (a *limitAPI) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	now := time.Now()
	if a.start.IsZero() || now.Sub(a.start) >= a.window {
		a.start, a.count = now, 0
	}
	a.count++
	reset := int(math.Ceil(a.start.Add(a.window).Sub(now).Seconds()))
	w.Header().Set("RateLimit-Policy", fmt.Sprintf("%d; w=%d", a.limit, int(a.window.Seconds())))
	w.Header().Set("RateLimit", fmt.Sprintf("limit=%d, remaining=%d, reset=%d", a.limit, max(a.limit-a.count, 0), max(reset, 1)))
	if a.count > a.limit {
		a.limited++
		a.mu.Unlock()
		w.Header().Set("Retry-After", fmt.Sprint(max(reset, 1)))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"success":false,"message":"Too many requests, please try again later."}`))
		return
	}
	a.ok++
	a.mu.Unlock()
	_, _ = w.Write([]byte(productsBody))
}

func (a *limitAPI) counts() (ok, limited int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ok, a.limited
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
	c, err := regfish.New(regfish.Config{BaseURL: base, APIKey: "shared", RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 20 * time.Millisecond})
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
	api := newLimitAPI(t, 20, time.Second)
	clients := []*regfish.Client{limitClient(t, api.URL), limitClient(t, api.URL)}
	if failed := run(clients, 4, 10); failed != 0 {
		t.Fatalf("%d calls failed", failed)
	}
	ok, limited := api.counts()
	t.Logf("ok %d, 429 %d", ok, limited)
	if ok != 80 || float64(limited) > 0.05*float64(ok+limited) {
		t.Fatalf("ok %d, 429 %d: more than 5%% answered 429", ok, limited)
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
