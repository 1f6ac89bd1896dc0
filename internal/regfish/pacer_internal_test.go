package regfish

import (
	"net/http"
	"strconv"
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

func TestPacerPolicyOnlyIsALocalSlidingWindow(t *testing.T) {
	p, now := fakePacer()
	h := http.Header{}
	h.Set("RateLimit-Policy", "3; w=10")
	for i := 0; i < 3; i++ {
		if d := p.sendNow(h, 200); d != 0 {
			t.Fatalf("request %d of 3 waits %v", i, d)
		}
		*now = now.Add(time.Second)
	}
	// the 4th within 10 s of the first waits until the first leaves the window
	if d := p.sendNow(h, 200); d != 7*time.Second {
		t.Fatalf("4th request: %v, want 7s", d)
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
