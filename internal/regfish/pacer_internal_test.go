package regfish

import (
	"container/heap"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseRateLimitHeaders(t *testing.T) {
	cases := []struct {
		name         string
		h            http.Header
		limit, rem   int
		reset        time.Duration
		ok           bool
		policy       string
		polLimit     int
		polWin       time.Duration
		policyParsed bool
	}{
		{name: "draft 7 (simulator)", h: http.Header{"Ratelimit": {"limit=100, remaining=42, reset=17"}}, limit: 100, rem: 42, reset: 17 * time.Second, ok: true,
			policy: "500; w=60", polLimit: 500, polWin: time.Minute, policyParsed: true},
		{name: "draft 8", h: http.Header{"Ratelimit": {`"default";r=5;t=3`}}, rem: 5, reset: 3 * time.Second, ok: true,
			policy: `"default";q=100;w=30`, polLimit: 100, polWin: 30 * time.Second, policyParsed: true},
		{name: "draft 8 two items: lowest remaining", h: http.Header{"Ratelimit": {`"a";r=50;t=1, "b";r=7;t=40`}}, rem: 7, reset: 40 * time.Second, ok: true},
		{name: "draft 6 separate headers", h: http.Header{"Ratelimit-Limit": {"500"}, "Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"9"}}, limit: 500, rem: 0, reset: 9 * time.Second, ok: true},
		{name: "fractional reset", h: http.Header{"Ratelimit": {"limit=10, remaining=1, reset=0.25"}}, limit: 10, rem: 1, reset: 250 * time.Millisecond, ok: true},
		{name: "garbage", h: http.Header{"Ratelimit": {"limit=x, remaining=-3, reset=NaN"}, "Ratelimit-Remaining": {"many"}}, policy: "w=60; nope", ok: false},
		{name: "reset out of range", h: http.Header{"Ratelimit-Remaining": {"3"}, "Ratelimit-Reset": {"1e12"}}, ok: false},
		{name: "none", h: http.Header{}, ok: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			limit, rem, reset, ok := parseRateLimit(tc.h)
			if ok != tc.ok || (ok && (limit != tc.limit || rem != tc.rem || reset != tc.reset)) {
				t.Fatalf("parseRateLimit = %d %d %v %v, want %d %d %v %v", limit, rem, reset, ok, tc.limit, tc.rem, tc.reset, tc.ok)
			}
			pl, pw, pok := parsePolicy(tc.policy)
			if pok != tc.policyParsed || (pok && (pl != tc.polLimit || pw != tc.polWin)) {
				t.Fatalf("parsePolicy(%q) = %d %v %v", tc.policy, pl, pw, pok)
			}
		})
	}
}

// fakePacer returns a pacer on a clock the test moves.
func fakePacer() (*pacer, *time.Time) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newPacer()
	p.now = func() time.Time { return now }
	return p, &now
}

func rl(limit, remaining, reset int) http.Header {
	h := http.Header{}
	h.Set("RateLimit-Policy", "100; w=60")
	h.Set("RateLimit", "limit="+strconv.Itoa(limit)+", remaining="+strconv.Itoa(remaining)+", reset="+strconv.Itoa(reset))
	return h
}

// send takes one request at the fake now and answers it with h.
func (p *pacer) sendNow(h http.Header, status int) time.Duration {
	p.mu.Lock()
	d := p.delayLocked(p.now())
	if d <= 0 {
		p.takeLocked(p.now())
	}
	p.mu.Unlock()
	if d <= 0 {
		p.done(h, status, 0, time.Hour)
	}
	return d
}

func TestPacerFreeWhileBudgetPlentiful(t *testing.T) {
	p, _ := fakePacer()
	for i := 0; i < 80; i++ {
		if d := p.sendNow(rl(100, 99-i, 60), 200); d != 0 {
			t.Fatalf("request %d held back %v with %d of 100 left", i, d, 100-i)
		}
	}
}

func TestPacerSpreadsTheLastRequestsOverTheWindow(t *testing.T) {
	p, now := fakePacer()
	// 4 of 100 left, 30 s of a 60 s window to go: the reserve (10 at the
	// start of the window) is 5 now, so the next request waits until it
	// has shrunk below 4, 24 s before the reset: 6 s.
	p.done(rl(100, 4, 30), 200, 0, time.Hour)
	p.mu.Lock()
	d := p.delayLocked(*now)
	p.mu.Unlock()
	if d < 5*time.Second || d > 7*time.Second {
		t.Fatalf("delay with 4 left and 30 s to go: %v, want about 6 s", d)
	}
	// Moving on, the 4 requests trickle out before the reset, none after.
	sent, waits := 0, 0
	for sent < 4 {
		if d := p.sendNow(nil, 0); d > 0 {
			waits++
			*now = now.Add(d)
			continue
		}
		sent++
	}
	if left := p.resetAt.Sub(*now); left <= 0 {
		t.Fatalf("the last request went out %v after the reset", -left)
	}
	if waits < 4 {
		t.Fatalf("only %d waits for 4 requests: not spread", waits)
	}
	// Nothing left: wait for the reset.
	p.mu.Lock()
	d = p.delayLocked(*now)
	p.mu.Unlock()
	if want := p.resetAt.Sub(*now) + resetMargin; d != want {
		t.Fatalf("with nothing left: %v, want %v", d, want)
	}
	// After the reset, requests go at once again.
	*now = p.resetAt.Add(time.Millisecond)
	if d := p.sendNow(rl(100, 99, 60), 200); d != 0 {
		t.Fatalf("after the reset: %v", d)
	}
}

func TestPacerCountsRequestsInFlight(t *testing.T) {
	p, now := fakePacer()
	p.done(rl(100, 3, 1), 200, 0, time.Hour)
	// near the reset the reserve is ~0: three may go, the fourth waits
	// although no answer has come back yet.
	for i := 0; i < 3; i++ {
		p.mu.Lock()
		if d := p.delayLocked(*now); d != 0 {
			p.mu.Unlock()
			t.Fatalf("request %d waits %v", i, d)
		}
		p.takeLocked(*now)
		p.mu.Unlock()
		*now = now.Add(400 * time.Millisecond)
	}
	*now = now.Add(-400 * time.Millisecond)
	p.mu.Lock()
	d := p.delayLocked(*now)
	p.mu.Unlock()
	if d <= 0 {
		t.Fatal("a fourth request went out with 3 left and 3 in flight")
	}
	// A late answer of the same window showing more left does not undo it.
	p.done(rl(100, 2, 1), 200, 0, time.Hour)
	p.mu.Lock()
	rem := p.remaining
	p.mu.Unlock()
	if rem > 0 {
		t.Fatalf("remaining %d after 3 sends of 3", rem)
	}
}

func TestPacerHonours429ForAllRequests(t *testing.T) {
	p, now := fakePacer()
	p.mu.Lock()
	p.takeLocked(*now)
	p.mu.Unlock()
	p.done(http.Header{}, http.StatusTooManyRequests, 7*time.Second, time.Minute)
	p.mu.Lock()
	d := p.delayLocked(*now)
	p.mu.Unlock()
	if d != 7*time.Second || p.limited != 1 {
		t.Fatalf("after 429 Retry-After 7: %v (limited %d)", d, p.limited)
	}
	// A Retry-After beyond the longest wait does not block the others.
	p2, now2 := fakePacer()
	p2.done(http.Header{}, http.StatusTooManyRequests, time.Hour, time.Minute)
	p2.mu.Lock()
	d = p2.delayLocked(*now2)
	p2.mu.Unlock()
	if d != 0 {
		t.Fatalf("Retry-After 1h blocked the pacer for %v", d)
	}
}

// With only the policy, a lone process sends at most the quota in any
// interval of one window (a sliding window over its own requests): the
// first three of "3; w=10" go within the first window, the fourth when the
// first has left it.
func TestPacerPolicyOnlyIsASlidingWindowOfTheShare(t *testing.T) {
	p, now := fakePacer()
	t0 := *now
	h := http.Header{}
	h.Set("RateLimit-Policy", "3; w=10")
	var sent []time.Duration
	for len(sent) < 7 {
		if d := p.sendNow(h, 200); d > 0 {
			*now = now.Add(d)
			continue
		}
		sent = append(sent, now.Sub(t0))
	}
	t.Logf("sent at %v", sent)
	for i := 3; i < len(sent); i++ {
		if sent[i]-sent[i-3] < 10*time.Second {
			t.Fatalf("4 requests within %v: %v", sent[i]-sent[i-3], sent[i-3:i+1])
		}
	}
	if sent[2] >= 10*time.Second || sent[3] != 10*time.Second {
		t.Fatalf("sent at %v: want 3 in the first window and the 4th as the first leaves it", sent)
	}
}

// A 429 with a short Retry-After pauses for that long, not until the end
// of a known window: the server said when to come back.
func TestPacer429WithRetryAfterWaitsOnlyThatLong(t *testing.T) {
	p, now := fakePacer()
	p.done(rl(100, 80, 55), 200, 0, time.Hour)
	p.done(nil, 0, 0, time.Hour) // an in-flight slot released without headers
	p.done(http.Header{}, http.StatusTooManyRequests, time.Second, time.Hour)
	if d := p.delayLocked(*now); d > time.Second || d <= 0 {
		t.Fatalf("after a 429 with Retry-After 1s the pacer waits %v", d)
	}
	*now = now.Add(1100 * time.Millisecond)
	if d := p.delayLocked(*now); d != 0 {
		t.Fatalf("after Retry-After passed the pacer still waits %v", d)
	}
	// without Retry-After a 429 means the window's budget is spent
	p.done(rl(100, 80, 50), 200, 0, time.Hour)
	p.done(http.Header{}, http.StatusTooManyRequests, 0, time.Hour)
	if d := p.delayLocked(*now); d < 40*time.Second {
		t.Fatalf("after a 429 without Retry-After the pacer waits only %v", d)
	}
}

// ----- a discrete-event model of processes sharing one key ----------------

// fixedKey is a server's rate limit for one key: fixed windows of limit
// requests, each starting at the first request after the previous one
// ended (like the simulator and regfish).
type fixedKey struct {
	limit      int
	win        time.Duration
	retryAfter bool // 429 with Retry-After (seconds to the end, rounded up)
	start      time.Time
	count      int
	ok         int
	limited    int
}

func (k *fixedKey) arrive(t time.Time) (status int, ra time.Duration) {
	if k.start.IsZero() || !t.Before(k.start.Add(k.win)) {
		k.start, k.count = t, 0
	}
	k.count++
	if k.count > k.limit {
		k.limited++
		if k.retryAfter {
			ra = time.Duration(math.Ceil(k.start.Add(k.win).Sub(t).Seconds())) * time.Second
		}
		return http.StatusTooManyRequests, ra
	}
	k.ok++
	return http.StatusOK, 0
}

// modelProc is one provider process: a pacer and workers that each send
// requests back to back until the process has made want successful ones.
type modelProc struct {
	p        *pacer
	workers  int
	want     int
	start    time.Duration // offset of its first request
	got      int
	limited  int
	finished time.Duration
	waiting  map[int]bool // workers waiting in the pacer
	gen      []int
	perWin   map[int]int // successful requests by server window index
	shares   []string    // share/free at the start of each server window
}

type modelEvent struct {
	at     time.Time
	seq    int
	kind   int // 0 try, 1 arrive, 2 answer
	proc   int
	worker int
	gen    int
	status int
	ra     time.Duration
}

type modelQueue []modelEvent

func (q modelQueue) Len() int { return len(q) }
func (q modelQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q modelQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *modelQueue) Push(x any)   { *q = append(*q, x.(modelEvent)) }
func (q *modelQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// model runs processes against one fixedKey with a request latency lat
// until all are finished or the limit of simulated time passes.
type model struct {
	key       *fixedKey
	procs     []*modelProc
	lat       time.Duration
	retry     time.Duration // the client's backoff after a 429 (jitter)
	maxWait   time.Duration // Config.MaxRetryAfter
	t0        time.Time
	now       time.Time
	q         modelQueue
	seq       int
	policy    string
	winIdx    int
	winStarts []time.Time
}

func newModel(limit int, win time.Duration, procs ...*modelProc) *model {
	m := &model{key: &fixedKey{limit: limit, win: win}, procs: procs, lat: 20 * time.Millisecond,
		retry: 400 * time.Millisecond, maxWait: 2 * time.Minute,
		t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), policy: fmt.Sprintf("%d; w=%d", limit, int(win.Seconds()))}
	m.now = m.t0
	for _, pr := range procs {
		pr.p = newPacer()
		pr.p.now = func() time.Time { return m.now }
		pr.waiting = map[int]bool{}
		pr.gen = make([]int, pr.workers)
		pr.perWin = map[int]int{}
	}
	return m
}

func (m *model) push(e modelEvent) {
	m.seq++
	e.seq = m.seq
	heap.Push(&m.q, e)
}

func (m *model) try(i, w int, at time.Time) {
	pr := m.procs[i]
	pr.gen[w]++
	m.push(modelEvent{at: at, kind: 0, proc: i, worker: w, gen: pr.gen[w]})
}

func (m *model) run(limit time.Duration) {
	for i, pr := range m.procs {
		for w := 0; w < pr.workers; w++ {
			m.try(i, w, m.t0.Add(pr.start))
		}
	}
	for m.q.Len() > 0 {
		e := heap.Pop(&m.q).(modelEvent)
		if e.at.Sub(m.t0) > limit {
			return
		}
		m.now = e.at
		pr := m.procs[e.proc]
		switch e.kind {
		case 0:
			if e.gen != pr.gen[e.worker] || pr.got >= pr.want {
				continue
			}
			pr.p.mu.Lock()
			d := pr.p.delayLocked(m.now)
			if d <= 0 {
				pr.p.takeLocked(m.now)
			}
			pr.p.mu.Unlock()
			if d > 0 {
				pr.waiting[e.worker] = true
				m.try(e.proc, e.worker, m.now.Add(min(d, time.Second)))
				continue
			}
			delete(pr.waiting, e.worker)
			m.push(modelEvent{at: m.now.Add(m.lat / 2), kind: 1, proc: e.proc, worker: e.worker})
		case 1:
			before := m.key.start
			e.status, e.ra = m.key.arrive(m.now)
			if !m.key.start.Equal(before) {
				m.winIdx++
				m.winStarts = append(m.winStarts, m.now)
				for _, q := range m.procs {
					q.shares = append(q.shares, fmt.Sprintf("%.0f/%.0f", q.p.share, q.p.free))
				}
			}
			if e.status == http.StatusOK {
				pr.perWin[m.winIdx]++
			}
			e.kind, e.at = 2, m.now.Add(m.lat/2)
			m.push(e)
		case 2:
			h := http.Header{}
			h.Set("RateLimit-Policy", m.policy)
			pr.p.done(h, e.status, e.ra, m.maxWait)
			for w := range pr.waiting {
				m.try(e.proc, w, m.now)
			}
			if e.status == http.StatusTooManyRequests {
				pr.limited++
				wait := m.retry
				if e.ra > 0 {
					wait = e.ra
				}
				m.try(e.proc, e.worker, m.now.Add(wait))
				continue
			}
			pr.got++
			if pr.got == pr.want {
				pr.finished = m.now.Sub(m.t0)
			}
			m.try(e.proc, e.worker, m.now)
		}
	}
}

func (m *model) report(t *testing.T) {
	t.Helper()
	for i, pr := range m.procs {
		var wins []string
		for k := 1; k <= m.winIdx; k++ {
			wins = append(wins, strconv.Itoa(pr.perWin[k]))
		}
		t.Logf("process %d: %d of %d ok, %d answered 429, finished %v, share %.1f free %.1f cuts %d failed probes %d, per window %s; share/free %s",
			i, pr.got, pr.want, pr.limited, pr.finished, pr.p.share, pr.p.free, pr.p.cuts, pr.p.probes, strings.Join(wins, " "), strings.Join(pr.shares, " "))
	}
	t.Logf("server: %d ok, %d 429 (%.1f %%), %d windows", m.key.ok, m.key.limited, 100*float64(m.key.limited)/float64(max(m.key.ok+m.key.limited, 1)), m.winIdx)
}

// modelRun runs processes against one fixedKey (fake clock).
func modelRun(t *testing.T, limit int, win time.Duration, retryAfter bool, procs ...*modelProc) *model {
	t.Helper()
	m := newModel(limit, win, procs...)
	m.key.retryAfter = retryAfter
	m.run(time.Hour)
	m.report(t)
	for i, pr := range m.procs {
		if pr.got < pr.want {
			t.Fatalf("process %d made only %d of %d requests in an hour", i, pr.got, pr.want)
		}
		// bounded memory: the sliding window never holds more than the quota
		if len(pr.p.slots) > limit || len(pr.p.flight) > pr.workers {
			t.Fatalf("process %d holds %d answers and %d requests in flight", i, len(pr.p.slots), len(pr.p.flight))
		}
	}
	return m
}

// windowsNeeded is the time a fixed window of limit per win needs for n
// requests: they start ceil(n/limit) windows.
func windowsNeeded(n, limit int, win time.Duration) time.Duration {
	return time.Duration((n+limit-1)/limit-1) * win
}

// One process alone: never a 429, and N requests in the ceil(N/limit)
// windows the limit allows (the last of them started: (ceil-1)*w plus a
// little).
func TestPacerShareOneProcess(t *testing.T) {
	m := modelRun(t, 100, time.Minute, false, &modelProc{workers: 10, want: 450})
	pr := m.procs[0]
	if m.key.limited != 0 {
		t.Fatalf("%d answers 429 for a lone process", m.key.limited)
	}
	if floor := windowsNeeded(450, 100, time.Minute); pr.finished > floor+15*time.Second {
		t.Fatalf("450 requests at 100 / 60 s took %v, the limit allows %v", pr.finished, floor)
	}
}

// A process whose first window another process (terraform's plan) has
// begun: at most the one 429 that shows it, and hardly slower.
func TestPacerShareOneProcessAfterAnother(t *testing.T) {
	m := modelRun(t, 100, time.Minute, false, &modelProc{workers: 2, want: 3}, &modelProc{workers: 10, want: 450, start: 2 * time.Second})
	pr := m.procs[1]
	if pr.limited > 1 {
		t.Fatalf("%d answers 429", pr.limited)
	}
	if floor := windowsNeeded(453, 100, time.Minute); pr.finished > floor+30*time.Second {
		t.Fatalf("450 requests at 100 / 60 s took %v, the limit allows %v", pr.finished, floor)
	}
}

// checkShared fails unless every process made at least least successful
// requests in each of the server's windows from window first to the one
// before any of them was done.
func checkShared(t *testing.T, m *model, first, least int) {
	t.Helper()
	last := m.winIdx
	for _, pr := range m.procs {
		if k := m.windowAt(pr.finished); k < last {
			last = k
		}
	}
	if last <= first {
		t.Fatalf("no window from %d to %d to look at", first, last)
	}
	for k := first; k < last; k++ {
		for i, pr := range m.procs {
			if pr.perWin[k] < least {
				t.Fatalf("window %d: process %d made only %d requests", k, i, pr.perWin[k])
			}
		}
	}
}

// windowAt is the index of the server's window at offset d.
func (m *model) windowAt(d time.Duration) int {
	for k := len(m.winStarts) - 1; k >= 0; k-- {
		if !m.winStarts[k].After(m.t0.Add(d)) {
			return k + 1
		}
	}
	return 0
}

// Two processes on one key with only the policy: under 5 % 429s, each
// gets its share of every window (neither waits for the other to finish),
// and together they finish within 1.5 times the windows their requests
// need.
func TestPacerShareTwoProcesses(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter bool
		lat        time.Duration
		second     time.Duration // start of the second process
	}{
		{name: "together"},
		{name: "together, 429 with Retry-After", retryAfter: true},
		{name: "2 s apart, 200 ms answers", lat: 200 * time.Millisecond, second: 2 * time.Second},
		{name: "second 70 s later", second: 70 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel(100, time.Minute, &modelProc{workers: 10, want: 300}, &modelProc{workers: 10, want: 300, start: tc.second})
			m.key.retryAfter = tc.retryAfter
			if tc.lat > 0 {
				m.lat = tc.lat
			}
			m.run(time.Hour)
			m.report(t)
			total := m.key.ok + m.key.limited
			if float64(m.key.limited) >= 0.05*float64(total) {
				t.Fatalf("%d ok, %d answered 429: 5 %% or more", m.key.ok, m.key.limited)
			}
			// from the first window both are in
			checkShared(t, m, m.windowAt(tc.second)+1, 100/4)
			end := max(m.procs[0].finished, m.procs[1].finished)
			if need := windowsNeeded(600, 100, time.Minute) + tc.second; end > need*3/2 {
				t.Fatalf("done after %v; the requests need %v", end, need)
			}
		})
	}
}

// sendAll sends n requests answered with h as soon as the pacer lets them
// go, moving the fake clock.
func (p *pacer) sendAll(now *time.Time, h http.Header, n int) {
	for n > 0 {
		if d := p.sendNow(h, 200); d > 0 {
			*now = now.Add(d)
			continue
		}
		n--
	}
}

// policyHeader is an answer carrying only RateLimit-Policy.
func policyHeader(v string) http.Header {
	h := http.Header{}
	h.Set("RateLimit-Policy", v)
	return h
}

// delayAt is delayLocked at the fake now.
func (p *pacer) delayAt(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delayLocked(now)
}

// take sends one request at the fake now (it must be allowed).
func (p *pacer) take(t *testing.T, now time.Time) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if d := p.delayLocked(now); d > 0 {
		t.Fatalf("request held back %v", d)
	}
	p.takeLocked(now)
}

// A 429 without Retry-After holds every request of the process until the
// estimated end of the server's window (the phase anchored by the first
// answer), once: the 429s of the requests that were in flight with it are
// not counted again. Then one request probes alone; when it is answered,
// the others follow.
func TestPacerPolicy429HoldsTheProcessOnce(t *testing.T) {
	p, now := fakePacer()
	t0 := *now
	h := policyHeader("20; w=60")
	p.sendNow(h, 200) // anchors the phase at t0
	*now = t0.Add(20 * time.Second)
	for range 4 {
		p.take(t, *now)
	}
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	want := t0.Add(time.Minute + resetMargin)
	if d := p.delayAt(*now); d != want.Sub(*now) {
		t.Fatalf("after the 429 the next request waits %v, want %v (the window's end)", d, want.Sub(*now))
	}
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	if p.cuts != 1 || !p.blocked.Equal(want) || p.limited != 3 {
		t.Fatalf("three 429s of one burst: %d cuts, blocked until %v (want %v), %d counted", p.cuts, p.blocked.Sub(t0), want.Sub(t0), p.limited)
	}
	*now = want
	if d := p.delayAt(*now); d != answerWait {
		t.Fatalf("the probe went with a request of the burst in flight (delay %v)", d)
	}
	// The last request of the burst comes back late, 429 as well: it is
	// not taken for a failed probe.
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	if p.cuts != 1 || p.probes != 0 || !p.blocked.Equal(want) {
		t.Fatalf("a late 429 of the burst: %d cuts, %d failed probes, blocked until %v", p.cuts, p.probes, p.blocked.Sub(t0))
	}
	p.take(t, *now) // the probe
	if d := p.delayAt(*now); d != answerWait {
		t.Fatalf("a second request went with the probe (delay %v)", d)
	}
	*now = now.Add(50 * time.Millisecond)
	p.done(h, http.StatusOK, 0, 2*time.Minute)
	if p.probing || !p.anchor.Equal(*now) {
		t.Fatalf("the probe's answer: probing %v, anchor %v", p.probing, p.anchor.Sub(t0))
	}
	if d := p.delayAt(*now); d >= p.polWindow/2 {
		t.Fatalf("after the probe the next request waits %v", d)
	}
}

// The answer to the first request after a block anchors the phase: the
// next 429 waits for that window's end, not for the first request's.
func TestPacerLearnsTheWindowPhase(t *testing.T) {
	p, now := fakePacer()
	t0 := *now
	h := policyHeader("10; w=60")
	p.sendNow(h, 200)
	*now = t0.Add(30 * time.Second)
	p.take(t, *now)
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	// The server's window began at another process's request after
	// t0+60 s: the probe meets the old, full one.
	*now = p.blocked
	p.take(t, *now)
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	if p.probes != 1 || p.cuts != 1 {
		t.Fatalf("failed probe: %d probes, %d cuts", p.probes, p.cuts)
	}
	if want := now.Add(p.polWindow / 4); !p.blocked.Equal(want) {
		t.Fatalf("after a failed probe blocked until +%v, want a quarter window", p.blocked.Sub(*now))
	}
	*now = p.blocked
	p.take(t, *now)
	p.done(h, http.StatusOK, 0, 2*time.Minute)
	anchor := *now
	*now = anchor.Add(40 * time.Second)
	p.sendNow(h, 200)
	// 70 s later, in the window after, the key is full again.
	*now = anchor.Add(70 * time.Second)
	p.take(t, *now)
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	if want := anchor.Add(2*time.Minute + resetMargin); !p.blocked.Equal(want) {
		t.Fatalf("blocked until anchor+%v, want anchor+%v", p.blocked.Sub(anchor), want.Sub(anchor))
	}
	// Without an anchor the wait is at most one window.
	if got := nextEdge(time.Time{}, anchor, time.Minute); got != anchor.Add(time.Minute) {
		t.Fatalf("nextEdge without an anchor: %v", got.Sub(anchor))
	}
}

// A 429 with Retry-After (within the longest wait) holds the process for
// exactly that long; a longer one fails its call but holds nobody.
func TestPacerPolicy429RetryAfterIsHonoured(t *testing.T) {
	p, now := fakePacer()
	h := policyHeader("10; w=60")
	p.sendNow(h, 200)
	p.take(t, *now)
	p.done(h, http.StatusTooManyRequests, 7*time.Second, 2*time.Minute)
	if d := p.delayAt(*now); d != 7*time.Second {
		t.Fatalf("after a 429 with Retry-After 7: %v", d)
	}
	p2, now2 := fakePacer()
	p2.sendNow(h, 200)
	p2.take(t, *now2)
	p2.done(h, http.StatusTooManyRequests, time.Hour, 2*time.Minute)
	if !p2.blocked.IsZero() || p2.probing {
		t.Fatalf("Retry-After 1h (longer than the client waits) held the process until +%v", p2.blocked.Sub(*now2))
	}
}

// The share: cut at a full window to 0.8 of what the process had used,
// once per window; grown back to the whole quota in a few windows without
// a 429; cut little when the others had little of the window.
func TestPacerShareDecreasesAndGrows(t *testing.T) {
	p, now := fakePacer()
	h := policyHeader("100; w=60")
	p.sendAll(now, h, 50)
	*now = now.Add(time.Second)
	p.take(t, *now)
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	if p.share != 40 || p.free > 40 {
		t.Fatalf("after a full window with 50 of 100 used: share %v, free %v; want 40", p.share, p.free)
	}
	// the probe gets through, the next request meets a full window again
	*now = p.blocked
	p.sendNow(h, 200)
	p.take(t, *now)
	p.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	if p.share != 40 || p.cuts != 1 {
		t.Fatalf("a second 429 within the window cut again: share %v, %d cuts", p.share, p.cuts)
	}
	*now = now.Add(time.Minute) // the window of the 429s is over
	p.delayAt(*now)
	var shares []float64
	for p.share < 100 && len(shares) < 20 {
		*now = now.Add(time.Minute)
		p.delayAt(*now)
		shares = append(shares, p.share)
	}
	t.Logf("share per window without a 429: %v", shares)
	if len(shares) > 6 {
		t.Fatalf("the quota came back only after %d windows: %v", len(shares), shares)
	}
	if shares[0] > 50 {
		t.Fatalf("the first window without a 429 grew the share to %v, beyond what the process had", shares[0])
	}
	// The others had 3 of 100: keep 94.
	p3, now3 := fakePacer()
	p3.sendAll(now3, h, 97)
	*now3 = now3.Add(time.Second)
	p3.take(t, *now3)
	p3.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	if p3.share != 94 {
		t.Fatalf("after a full window with 97 of 100 used: share %v, want 94", p3.share)
	}
	// A newcomer whose first request meets a full window keeps 0.8 of
	// half the quota, not of the nothing it had.
	p4, now4 := fakePacer()
	p4.sendNow(h, 200)
	*now4 = now4.Add(2 * time.Minute)
	p4.take(t, *now4)
	p4.done(h, http.StatusTooManyRequests, 0, 2*time.Minute)
	if p4.share != 40 {
		t.Fatalf("a newcomer meeting a full window: share %v, want 40", p4.share)
	}
}

// Above what is known to be safe the process sends one request at a time,
// spread over the window: a full window then costs one 429, not one per
// request in flight.
func TestPacerCarefulZoneOneAtATime(t *testing.T) {
	p, now := fakePacer()
	h := policyHeader("100; w=60")
	p.sendNow(h, 200) // learn the policy
	for range 39 {
		p.take(t, *now)
	}
	if d := p.delayAt(*now); d != answerWait {
		t.Fatalf("the 41st request (40 in the window, 39 in flight) waits %v, want %v for an answer", d, answerWait)
	}
	for range 39 {
		p.done(h, http.StatusOK, 0, time.Minute)
	}
	d := p.delayAt(*now)
	if d <= 0 || d > 2*time.Second {
		t.Fatalf("the 41st request with none in flight waits %v, want about 60 s / 61", d)
	}
}

// The sliding window's memory is bounded however large the quota.
func TestPacerMemoryBounded(t *testing.T) {
	p, _ := fakePacer()
	h := policyHeader("1000000; w=60")
	for range maxLocalSends + 5000 {
		p.done(h, http.StatusOK, 0, time.Minute)
	}
	if len(p.slots) > maxLocalSends || len(p.flight) != 0 {
		t.Fatalf("%d answers and %d requests kept", len(p.slots), len(p.flight))
	}
}

// Three processes on regfish's 500 / 60 s, the second joining the first
// after a minute and a half, the third after three: few 429s, and each
// makes progress in every window.
func TestPacerShareThreeProcesses(t *testing.T) {
	m := modelRun(t, 500, time.Minute, false, &modelProc{workers: 10, want: 3000},
		&modelProc{workers: 10, want: 2000, start: 95 * time.Second}, &modelProc{workers: 4, want: 1000, start: 195 * time.Second})
	if total := m.key.ok + m.key.limited; float64(m.key.limited) >= 0.05*float64(total) {
		t.Fatalf("%d ok, %d answered 429: 5 %% or more", m.key.ok, m.key.limited)
	}
	checkShared(t, m, m.windowAt(195*time.Second)+1, 500/20)
}
