package regfish

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pacer spreads the requests of one Client (all goroutines of a provider
// process) so that the API's rate limit is not hit. It learns the limit
// from the answers:
//
//   - "RateLimit: limit=100, remaining=42, reset=17" (IETF draft 7, what the
//     simulator sends), "RateLimit: "x";r=42;t=17" (draft 8 and later) or
//     the separate RateLimit-Limit/-Remaining/-Reset headers (draft 6):
//     remaining requests in the current window and seconds to its reset.
//     The key's budget is shared by every process using the key, and these
//     headers show what all of them have used.
//   - "RateLimit-Policy: 500; w=60" (or "q=500;w=60"): the quota and the
//     window length. On its own (no answer has carried remaining/reset yet)
//     it drives a local sliding window: never more than the quota in any
//     window from this process.
//
// The rule, applied before every attempt: a request goes out at once while
// more than a reserve remains; the reserve starts a window at a tenth of the
// limit - at least twice the most requests this process has had in flight
// at once, at most half the limit - and shrinks linearly to zero at the
// reset. So pacing costs nothing while the budget is plentiful; near the
// end of the budget requests trickle out as the reserve shrinks, which
// spreads what is left over the rest of the window; and the reserve absorbs
// the requests other processes sharing the key have in flight, so that
// they slow down together instead of running into 429s. With nothing left,
// requests wait for the reset (plus a small margin); after a 429 every
// request of the process waits for its Retry-After.
//
// The estimate of what remains counts this process's requests in flight, so
// a burst of concurrent requests does not overrun the last few.
type pacer struct {
	mu  sync.Mutex
	now func() time.Time

	// From RateLimit / RateLimit-Remaining headers.
	known     bool // remaining/resetAt describe the current window
	everKnown bool // such headers were seen at least once
	limit     int
	remaining int
	resetAt   time.Time
	window    time.Duration // length of a window (policy w, else the longest reset seen)

	// From RateLimit-Policy.
	polLimit  int
	polWindow time.Duration
	sends     []time.Time // recent send times while only the policy is known

	inflight     int
	peakInflight int
	blocked      time.Time // no request before (429 Retry-After)

	// statistics
	paced     int64
	pacedWait time.Duration
	limited   int64
}

// resetMargin is added to waits for a window reset: the server's clock and
// rounding may put the reset slightly later than announced.
const resetMargin = 250 * time.Millisecond

// maxLocalSends bounds the memory of the local sliding window.
const maxLocalSends = 100000

func newPacer() *pacer { return &pacer{now: time.Now} }

// reserveLocked is the reserve at the start of a window.
func (p *pacer) reserveLocked() float64 {
	r := max(p.limit/10, 2*p.peakInflight, 2)
	return float64(min(r, max(p.limit/2, 1)))
}

// delayLocked is how long the next request must wait at now (0: send).
func (p *pacer) delayLocked(now time.Time) time.Duration {
	if now.Before(p.blocked) {
		return p.blocked.Sub(now)
	}
	if p.known && !now.Before(p.resetAt) {
		// The window has ended: the next answer tells about the new one.
		p.known = false
	}
	if p.known {
		toReset := p.resetAt.Sub(now)
		if p.remaining <= 0 {
			return toReset + resetMargin
		}
		win := max(p.window, toReset)
		full := p.reserveLocked()
		if float64(p.remaining) > full*float64(toReset)/float64(win) {
			return 0
		}
		// Wait until the shrinking reserve is below what remains.
		at := time.Duration(float64(p.remaining) / full * float64(win))
		return max(toReset-at, 0) + time.Millisecond
	}
	if p.everKnown || p.polLimit <= 0 || p.polWindow <= 0 {
		return 0
	}
	// Only the policy is known: a local sliding window.
	cut := now.Add(-p.polWindow)
	i := 0
	for i < len(p.sends) && !p.sends[i].After(cut) {
		i++
	}
	p.sends = p.sends[i:]
	if n := min(p.polLimit, maxLocalSends); len(p.sends) >= n {
		return p.sends[len(p.sends)-n].Add(p.polWindow).Sub(now)
	}
	return 0
}

// takeLocked records a request going out at now.
func (p *pacer) takeLocked(now time.Time) {
	p.inflight++
	p.peakInflight = max(p.peakInflight, p.inflight)
	if p.known {
		p.remaining--
	}
	if !p.everKnown {
		p.sends = append(p.sends, now)
		if len(p.sends) > maxLocalSends {
			p.sends = p.sends[len(p.sends)-maxLocalSends:]
		}
	}
}

// wait blocks until a request may go out and reserves it. It returns how
// long it waited. A wait longer than maxWait is not started: the error
// then matches ErrRateLimited. Every successful wait must be followed by
// one call of done.
func (p *pacer) wait(ctx context.Context, maxWait time.Duration) (time.Duration, error) {
	var waited time.Duration
	for {
		p.mu.Lock()
		now := p.now()
		d := p.delayLocked(now)
		if d <= 0 {
			p.takeLocked(now)
			if waited > 0 {
				p.paced++
				p.pacedWait += waited
			}
			p.mu.Unlock()
			return waited, nil
		}
		p.mu.Unlock()
		if d > maxWait {
			return waited, &APIError{StatusCode: http.StatusTooManyRequests, RetryAfter: d,
				Message: "not sent: the API's rate limit for this key is used up for another " + d.Round(time.Second).String() +
					", longer than the client waits (max_retry_after)"}
		}
		// Look again at least once a second: an answer to another request
		// may show a new window.
		step := min(d, time.Second)
		t := time.NewTimer(step)
		start := time.Now()
		select {
		case <-ctx.Done():
			t.Stop()
			return waited + time.Since(start), ctx.Err()
		case <-t.C:
		}
		waited += time.Since(start)
	}
}

// done records the answer (nil header: none) of a request taken with wait.
func (p *pacer) done(h http.Header, status int, retryAfter time.Duration, maxBlock time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight > 0 {
		p.inflight--
	}
	if h == nil {
		return
	}
	now := p.now()
	if lim, win, ok := parsePolicy(h.Get("RateLimit-Policy")); ok {
		p.polLimit, p.polWindow = lim, win
	}
	if lim, rem, reset, ok := parseRateLimit(h); ok {
		p.everKnown, p.sends = true, nil
		at := now.Add(reset)
		if lim <= 0 {
			lim = max(p.limit, p.polLimit, rem)
		}
		if p.polWindow > 0 {
			p.window = p.polWindow
		} else {
			p.window = max(p.window, reset)
		}
		est := max(rem-p.inflight, 0)
		tol := time.Second
		if p.polWindow > 0 {
			tol = min(tol, p.polWindow/2)
		}
		// A new window: none known, the known one is over, the reset
		// moved on, or more remains than a late answer of the same window
		// could show.
		if !p.known || !now.Before(p.resetAt) || at.After(p.resetAt.Add(tol)) || rem > p.remaining+p.inflight+1 {
			p.known, p.limit, p.remaining, p.resetAt = true, lim, est, at
		} else {
			p.remaining = min(p.remaining, est)
			p.limit = lim
		}
	}
	if status == http.StatusTooManyRequests {
		p.limited++
		switch {
		case retryAfter > 0 && retryAfter <= maxBlock:
			// The server says when to come back: wait that long, then
			// learn the window again from the next answer (a 429 need
			// not mean the window's budget is spent; it may be a burst
			// limit or a server under load).
			if until := now.Add(retryAfter); until.After(p.blocked) {
				p.blocked = until
			}
			p.known = false
		case p.known:
			p.remaining = 0
		}
	}
}

// parseRateLimit reads the remaining requests and the time to the reset
// from the RateLimit header (draft 7 "limit=, remaining=, reset=" or draft
// 8 "r=, t=", the lowest remaining of several items) or from the separate
// RateLimit-Limit/-Remaining/-Reset headers. limit is 0 when not sent.
func parseRateLimit(h http.Header) (limit, remaining int, reset time.Duration, ok bool) {
	if v := h.Get("RateLimit"); v != "" {
		found := false
		for _, item := range strings.Split(v, ",") {
			for _, part := range strings.Split(item, ";") {
				k, val, hasEq := strings.Cut(strings.TrimSpace(part), "=")
				if !hasEq {
					continue
				}
				val = strings.Trim(strings.TrimSpace(val), `"`)
				switch strings.ToLower(strings.TrimSpace(k)) {
				case "limit", "q":
					if n, err := strconv.Atoi(val); err == nil && n >= 0 {
						limit = n
					}
				case "remaining", "r":
					if n, err := strconv.Atoi(val); err == nil && n >= 0 && (!found || n < remaining) {
						remaining, found = n, true
					}
				case "reset", "t":
					if d, ok := seconds(val); ok {
						reset = max(reset, d)
					}
				}
			}
		}
		if found {
			return limit, remaining, reset, true
		}
	}
	rem, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining")))
	if err != nil || rem < 0 {
		return 0, 0, 0, false
	}
	d, ok := seconds(strings.TrimSpace(h.Get("RateLimit-Reset")))
	if !ok {
		return 0, 0, 0, false
	}
	limit, _ = strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Limit")))
	return max(limit, 0), rem, d, true
}

// parsePolicy reads the first item of RateLimit-Policy: "500; w=60" (draft
// 6/7) or `"default";q=500;w=60` (draft 8+).
func parsePolicy(v string) (int, time.Duration, bool) {
	if v == "" {
		return 0, 0, false
	}
	item, _, _ := strings.Cut(v, ",")
	limit, win := 0, time.Duration(0)
	for i, part := range strings.Split(item, ";") {
		part = strings.TrimSpace(part)
		k, val, hasEq := strings.Cut(part, "=")
		if !hasEq {
			if i == 0 {
				if n, err := strconv.Atoi(part); err == nil && n > 0 {
					limit = n
				}
			}
			continue
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "q":
			if n, err := strconv.Atoi(val); err == nil && n > 0 {
				limit = n
			}
		case "w":
			if d, ok := seconds(val); ok && d > 0 {
				win = d
			}
		}
	}
	return limit, win, limit > 0 && win > 0
}

// seconds parses a non-negative number of seconds (fractions allowed) up
// to a day.
func seconds(v string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 86400 || f != f {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}
