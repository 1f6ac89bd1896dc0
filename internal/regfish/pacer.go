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
// from the answers.
//
// With the IETF draft headers - "RateLimit: limit=100, remaining=42,
// reset=17" (draft 7), "RateLimit: "x";r=42;t=17" (draft 8 and later) or
// the separate RateLimit-Limit/-Remaining/-Reset headers (draft 6) - it
// knows what every process using the key has left in the current window
// and when that window resets. A request then goes out at once while more
// than a reserve remains; the reserve starts a window at a tenth of the
// limit - at least twice the most requests this process has had in flight
// at once, at most half the limit - and shrinks linearly to zero at the
// reset. So pacing costs nothing while the budget is plentiful; near the
// end of the budget requests trickle out as the reserve shrinks; and the
// reserve absorbs the requests other processes sharing the key have in
// flight. With nothing left, requests wait for the reset (plus a small
// margin); after a 429 every request of the process waits for its
// Retry-After. The estimate of what remains counts this process's
// requests in flight.
//
// regfish itself sends only "RateLimit-Policy: 500; w=60" (the quota per
// window and key; "q=500;w=60" is read too) and a 429 perhaps without
// Retry-After. Then nothing shows what other processes on the key use until
// the key's window is full, and the server's windows are fixed (one starts
// at the first request after the previous one ended), their phase unknown.
// With the policy alone the pacer works from its own requests and the 429
// answers, like TCP's congestion control: additive increase and
// multiplicative decrease of this process's share of the quota.
//
//   - The share: the process has at most share requests in any interval of
//     one window length - a local sliding window over the answer times of
//     its requests, those in flight included. An answer comes after its
//     request reached the server, so however the server's windows lie, a
//     lone process never exceeds the policy in any of them. (429 answers
//     do not count: they met a window that was full already.) A new
//     process's share is the whole quota, so alone it finishes N requests
//     in about ceil(N/quota) windows.
//   - A careful zone: requests beyond what is known to be safe go out one
//     at a time, what is left of the share spread evenly until the oldest
//     answer leaves the window. Known to be safe is what a window without a
//     429 used (at first 0.4 of the quota: other processes may share the
//     key; after a 429 0.8 of what the process had of the full window), but
//     never the top fifth of the share. So when the key's window fills,
//     only the one request in flight meets a 429, not all of them; and a
//     process that comes later finds room in every window, so that the
//     others meet the full window as well and give way: no process takes
//     each window's whole quota at its start while another starves.
//   - A full window - a 429 for a request sent after the last block - means
//     that other processes use the key. At most once a window the share
//     drops to 0.8 times what the process had had of the server's window
//     (as far as the phase is known), or of half its share if that was
//     more (a newcomer whose first requests met a full window), but not
//     below what leaves the others twice what they had (the process whose
//     window terraform's plan had begun keeps nearly all of it). Two
//     processes that started together settle at 0.4 of the quota each.
//   - Every window without a 429 confirms what it used as safe and grows the
//     share by a twentieth of the quota - the same step for every process,
//     so that unequal shares even out with every cut - doubling from the
//     third such window on (the others may have finished), up to the quota.
//     So processes sharing a key probe beyond its limit about every third
//     window, for one 429 each, and one that is left alone has the whole
//     quota back within about five windows.
//   - After a 429 every request of the process waits: for its Retry-After
//     when there is one within the client's longest wait (a longer one
//     fails its call and holds nobody), else until the estimated end of the
//     server's window plus a margin, at most one window. Then one request
//     goes alone (the probe); the others follow once it was answered
//     without 429. A probe that meets a 429 waits a quarter window more (or
//     its Retry-After). A 429 is taken for the oldest request in flight;
//     one sent before the block began is not counted again.
//   - The window's phase: the answer to a probe is an upper bound of the
//     start of the server's new window (that window began when the probe or
//     an earlier request arrived), and while the key is busy the windows
//     follow each other, so the window of a later 429 ends at the first
//     anchor + n*w after it. Before the first probe the anchor is the
//     answer to the process's first request (after a window without
//     requests: to the first one since), which began the server's window or
//     came soon after when the process was among the first.
//
// Memory is bounded: the sliding window holds at most the share's answers
// (never more than maxLocalSends) and the requests in flight; the pacer
// starts no goroutine (waiters sleep on a timer and on wake).
type pacer struct {
	mu  sync.Mutex
	now func() time.Time
	// wake is closed (and replaced) when an answer may let a waiting
	// request go.
	wake chan struct{}

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

	// The process's share of the policy (used while no RateLimit header
	// was seen).
	share    float64     // most requests in any polWindow
	free     float64     // below this count requests go out concurrently, above one at a time
	ref      float64     // what the process had used at the last cut
	slots    []slot      // requests of the last polWindow not answered 429, oldest first
	flight   []time.Time // take times of the requests in flight, oldest first
	lastAns  time.Time   // the last answer
	lastTake time.Time   // the last request sent
	// Phase: an upper bound for the start of one of the server's windows.
	anchor        time.Time
	anchorPending bool      // the next answer sets anchor (first request, or first after an idle window)
	openedAt      time.Time // 429s of requests taken until then were counted already (the last block's start)
	probing       bool      // after a block: one request at a time until one is answered without 429
	cutAt         time.Time // the last decrease of the share
	epochAt       time.Time // start of the window the increase looks at
	epochEvent    bool      // a 429 (not stale) in this epoch
	epochPeak     int       // most requests in the sliding window in this epoch
	clean         int       // windows without a 429 since the last one

	peakInflight int
	blocked      time.Time // no request before (429)

	// statistics
	paced     int64
	pacedWait time.Duration
	limited   int64
	cuts      int64
	probes    int64 // probes answered 429
}

// slot is one answered request of the local sliding window.
type slot struct {
	at time.Time // when the answer came
	ok bool      // answered (false: no answer, it may have reached the server)
}

// resetMargin is added to waits for a window reset: the server's clock and
// rounding may put the reset slightly later than announced.
const resetMargin = 250 * time.Millisecond

// maxLocalSends bounds the memory of the local sliding window.
const maxLocalSends = 100000

// answerWait is how long a request waiting for another one's answer (one
// at a time, a probe in flight) sleeps at most before it looks again; an
// answer wakes it earlier.
const answerWait = 100 * time.Millisecond

// Parameters of the share (see pacer).
const (
	shareCut   = 0.8 // multiplicative decrease
	spreadPart = 0.2 // the top of the share that is always spread over the window
	freshFree  = 0.4 // careful zone of a process that has not seen a full window yet
	growth     = 20  // additive increase: quota/growth per window
)

func newPacer() *pacer { return &pacer{now: time.Now, wake: make(chan struct{})} }

// reserveLocked is the reserve at the start of a window.
func (p *pacer) reserveLocked() float64 {
	r := max(p.limit/10, 2*p.peakInflight, 2)
	return float64(min(r, max(p.limit/2, 1)))
}

// shareMode reports whether the share (policy only) paces the requests.
func (p *pacer) shareMode() bool {
	return !p.everKnown && p.polLimit > 0 && p.polWindow > 0
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
	if !p.shareMode() {
		return 0
	}
	return p.shareDelayLocked(now)
}

// shareDelayLocked applies the share, the careful zone and the probe.
func (p *pacer) shareDelayLocked(now time.Time) time.Duration {
	p.pruneLocked(now)
	p.growLocked(now)
	capN := min(max(int(p.share), 1), maxLocalSends)
	count := len(p.slots) + len(p.flight)
	if count >= capN {
		// The oldest answers leave the window first.
		if i := count - capN; i < len(p.slots) {
			return p.slots[i].at.Add(p.polWindow).Sub(now)
		}
		return answerWait
	}
	if count == 0 || !p.probing && float64(count) < min(p.free, (1-spreadPart)*p.share) {
		return 0
	}
	// Beyond what is known to be safe (or a probe): one request at a
	// time...
	if len(p.flight) > 0 {
		return answerWait
	}
	if p.probing {
		return 0
	}
	// ... and what is left of the share spread evenly until the oldest
	// answer leaves the window.
	end := now.Add(p.polWindow)
	if len(p.slots) > 0 {
		end = p.slots[0].at.Add(p.polWindow)
	}
	from := p.lastTake
	if start := end.Add(-p.polWindow); from.Before(start) {
		from = start
	}
	next := from.Add(time.Duration(float64(end.Sub(from)) / float64(capN-count+1)))
	return next.Sub(now)
}

// pruneLocked drops the answers that left the sliding window.
func (p *pacer) pruneLocked(now time.Time) {
	cut := now.Add(-p.polWindow)
	i := 0
	for i < len(p.slots) && !p.slots[i].at.After(cut) {
		i++
	}
	p.slots = p.slots[i:]
}

// growLocked is the additive increase, once per window without a 429.
func (p *pacer) growLocked(now time.Time) {
	if p.epochAt.IsZero() {
		p.epochAt = now
		return
	}
	n := int(now.Sub(p.epochAt) / p.polWindow)
	if n < 1 {
		return
	}
	if p.epochEvent {
		p.clean = 0
	} else {
		// What the process used without a 429 is safe.
		p.free = max(p.free, min(p.share, float64(p.epochPeak)))
		quota := float64(p.polLimit)
		for range min(n, 10) {
			// The same step for every process (so that unequal shares
			// even out), doubling after the second window without a
			// 429 (the others may have finished).
			p.share = min(quota, p.share+quota/growth*float64(int(1)<<max(min(p.clean, 12)-1, 0)))
			p.clean++
		}
	}
	p.epochAt, p.epochEvent, p.epochPeak = now, false, 0
}

// takeLocked records a request going out at now.
func (p *pacer) takeLocked(now time.Time) {
	if len(p.flight) == 0 && (p.lastAns.IsZero() || now.Sub(p.lastAns) >= p.polWindow) {
		// The first request, or the first after an idle window: its
		// answer anchors the phase until a 429 tells better.
		p.anchorPending = true
	}
	p.flight = append(p.flight, now)
	p.lastTake = now
	p.peakInflight = max(p.peakInflight, len(p.flight))
	p.epochPeak = max(p.epochPeak, len(p.slots)+len(p.flight))
	if p.known {
		p.remaining--
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
		wake := p.wake
		p.mu.Unlock()
		if d > max(maxWait, answerWait) {
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
		case <-wake:
			t.Stop()
		}
		waited += time.Since(start)
	}
}

// done records the answer (nil header: none) of a request taken with wait.
// retryAfter is the answer's Retry-After (0: none); a block longer than
// maxBlock is not imposed on the other requests.
func (p *pacer) done(h http.Header, status int, retryAfter time.Duration, maxBlock time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.wake)
	p.wake = make(chan struct{})
	now := p.now()
	// Which request this answers is not known: a 429 is taken for the
	// oldest in flight (sent before a block, it is not counted again),
	// any other answer for the newest (the probe, when there is one).
	sentAt := now
	if n := len(p.flight); n > 0 {
		if status == http.StatusTooManyRequests {
			sentAt = p.flight[0]
			p.flight = append(p.flight[:0], p.flight[1:]...)
		} else {
			sentAt = p.flight[n-1]
			p.flight = p.flight[:n-1]
		}
	}
	if h == nil {
		if p.shareMode() {
			// It may have reached the server: it counts.
			p.recordLocked(now, false)
		}
		return
	}
	p.lastAns = now
	if lim, win, ok := parsePolicy(h.Get("RateLimit-Policy")); ok {
		if lim != p.polLimit || win != p.polWindow {
			p.share = float64(lim)
			p.free, p.ref = freshFree*float64(lim), float64(lim)
			p.epochAt, p.cutAt = time.Time{}, time.Time{}
		}
		p.polLimit, p.polWindow = lim, win
	}
	if lim, rem, reset, ok := parseRateLimit(h); ok {
		p.everKnown, p.slots = true, nil
		at := now.Add(reset)
		if lim <= 0 {
			lim = max(p.limit, p.polLimit, rem)
		}
		if p.polWindow > 0 {
			p.window = p.polWindow
		} else {
			p.window = max(p.window, reset)
		}
		est := max(rem-len(p.flight), 0)
		tol := time.Second
		if p.polWindow > 0 {
			tol = min(tol, p.polWindow/2)
		}
		// A new window: none known, the known one is over, the reset
		// moved on, or more remains than a late answer of the same window
		// could show.
		if !p.known || !now.Before(p.resetAt) || at.After(p.resetAt.Add(tol)) || rem > p.remaining+len(p.flight)+1 {
			p.known, p.limit, p.remaining, p.resetAt = true, lim, est, at
		} else {
			p.remaining = min(p.remaining, est)
			p.limit = lim
		}
	}
	limited := status == http.StatusTooManyRequests
	if limited {
		p.limited++
	}
	if p.shareMode() {
		p.shareDoneLocked(now, sentAt, limited, retryAfter, maxBlock)
		return
	}
	if limited {
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

// recordLocked adds an answer to the sliding window.
func (p *pacer) recordLocked(now time.Time, ok bool) {
	p.slots = append(p.slots, slot{at: now, ok: ok})
	if len(p.slots) > maxLocalSends {
		p.slots = p.slots[len(p.slots)-maxLocalSends:]
	}
}

// shareDoneLocked is done with only the policy known.
func (p *pacer) shareDoneLocked(now, sentAt time.Time, limited bool, retryAfter, maxBlock time.Duration) {
	if !limited {
		// A 429 reached the server in a full window; it does not count
		// in the next one.
		p.recordLocked(now, true)
	}
	if p.anchorPending {
		p.anchor, p.anchorPending = now, false
	}
	win := p.polWindow
	if !limited {
		if p.probing {
			// The first answer of a new window: it started at most now.
			p.probing, p.anchor = false, now
		}
		return
	}
	if !sentAt.After(p.openedAt) || now.Before(p.blocked) {
		// Sent before the block that this 429 belongs to.
		return
	}
	p.epochEvent = true
	var until time.Time
	switch {
	case retryAfter > maxBlock:
		// The server asks for a longer wait than the client accepts:
		// this call fails, the others are not held for it.
	case retryAfter > 0:
		until = now.Add(retryAfter)
	case p.probing:
		// The estimated end of the window was wrong (an idle gap moved the
		// server's windows): look again a quarter window later.
		until = now.Add(min(win/4, maxBlock))
	default:
		until = nextEdge(p.anchor, now, win).Add(resetMargin)
		if lim := now.Add(min(win+resetMargin, maxBlock)); until.After(lim) {
			until = lim
		}
	}
	if p.probing {
		p.probes++
	} else {
		p.openedAt = now
		if p.cutAt.IsZero() || now.Sub(p.cutAt) >= win {
			// The key's window is full: other processes use it. What
			// this process got of that window (as far as the phase is
			// known):
			from := nextEdge(p.anchor, now, win).Add(-win)
			used := 0
			for _, s := range p.slots {
				if s.ok && !s.at.Before(from) {
					used++
				}
			}
			// The others had quota-used of it: leave them at least
			// twice that, and cut by a fifth of what this process had
			// (at least half its share, so that a newcomer whose first
			// requests met a full window does not starve).
			quota := float64(p.polLimit)
			p.ref = max(float64(used), p.share/2)
			p.share = max(shareCut*p.ref, 2*float64(used)-quota, max(1, quota/growth/2))
			p.free = min(p.free, shareCut*float64(used))
			p.cutAt, p.epochAt, p.epochEvent, p.epochPeak, p.clean = now, now, false, 0, 0
			p.cuts++
		}
	}
	if !until.IsZero() {
		if until.After(p.blocked) {
			p.blocked = until
		}
		p.probing = true
	}
}

// nextEdge is the first anchor + n*win after now: the estimated end of the
// server's window at now (the anchor is an upper bound for the start of one
// of them). Without an anchor it is now + win, the latest end possible.
func nextEdge(anchor, now time.Time, win time.Duration) time.Time {
	if anchor.IsZero() || win <= 0 {
		return now.Add(win)
	}
	if anchor.After(now) {
		return anchor
	}
	n := int64(now.Sub(anchor)/win) + 1
	return anchor.Add(time.Duration(n) * win)
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
