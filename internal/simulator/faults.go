package simulator

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault kinds.
const (
	FaultStatus  = "status"  // answer with Status (5xx, 429, ...)
	FaultReset   = "reset"   // drop the connection without an answer
	FaultLatency = "latency" // delay the answer by LatencyMS
)

// Fault is one fault-injection rule. Rules are checked in order; every
// matching latency rule adds its delay, and the first matching status or
// reset rule fires.
type Fault struct {
	// Method matches the HTTP method ("" = any).
	Method string `json:"method,omitempty"`
	// Path matches the request path segment by segment: "*" matches one
	// segment, a trailing "**" the rest ("" = any path).
	Path string `json:"path,omitempty"`
	Kind string `json:"kind"`
	// Status for FaultStatus (default 500).
	Status int `json:"status,omitempty"`
	// RetryAfter (seconds) is sent with a 429 or 503 when > 0.
	RetryAfter int `json:"retry_after,omitempty"`
	// LatencyMS for FaultLatency.
	LatencyMS int `json:"latency_ms,omitempty"`
	// After: carry the request out first, then lose the answer (reset) or
	// replace it (status) — the ambiguous failure.
	After bool `json:"after,omitempty"`
	// Count is how many times the rule fires (0 = no limit).
	Count int `json:"count,omitempty"`
	// Probability that a matching request fires the rule (0 = always).
	Probability float64 `json:"probability,omitempty"`
	// Fired counts how often the rule fired (output only).
	Fired int `json:"fired"`
}

func (f *Fault) validate() error {
	switch f.Kind {
	case FaultStatus:
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("fault status %d is not an error status", f.Status)
		}
	case FaultReset:
	case FaultLatency:
		if f.LatencyMS <= 0 {
			return fmt.Errorf("latency fault needs latency_ms > 0")
		}
	default:
		return fmt.Errorf("unknown fault kind %q (status, reset, latency)", f.Kind)
	}
	if f.Probability < 0 || f.Probability > 1 {
		return fmt.Errorf("probability must be within 0..1")
	}
	return nil
}

// label names the fault for the counters: "latency", "reset",
// "reset_after", "status_503", "status_500_after", ...
func (f *Fault) label() string {
	l := f.Kind
	if f.Kind == FaultStatus {
		l = fmt.Sprintf("status_%d", f.Status)
	}
	if f.After {
		l += "_after"
	}
	return l
}

func (f *Fault) matches(r *http.Request) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	return pathMatch(f.Path, r.URL.Path)
}

func pathMatch(pattern, path string) bool {
	if pattern == "" || pattern == "**" || pattern == "/**" {
		return true
	}
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range ps {
		if p == "**" {
			return true
		}
		if i >= len(xs) || (p != "*" && p != xs[i]) {
			return false
		}
	}
	return len(ps) == len(xs)
}

type faultSet struct {
	mu    sync.Mutex
	rules []*Fault
	rng   *rand.Rand
}

func newFaultSet(seed uint64) *faultSet {
	return &faultSet{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} //nolint:gosec // deterministic faults
}

type faultHit struct {
	latency time.Duration
	rule    *Fault
}

func (fs *faultSet) match(r *http.Request, record func(string)) faultHit {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var hit faultHit
	kept := fs.rules[:0]
	for _, f := range fs.rules {
		fire := false
		if (hit.rule == nil || f.Kind == FaultLatency) && f.matches(r) {
			fire = f.Probability == 0 || f.Probability >= 1 || fs.rng.Float64() < f.Probability
		}
		if fire {
			f.Fired++
			record(f.label())
			if f.Kind == FaultLatency {
				hit.latency += time.Duration(f.LatencyMS) * time.Millisecond
			} else {
				c := *f
				hit.rule = &c
			}
			if f.Count > 0 {
				f.Count--
				if f.Count == 0 {
					continue // used up
				}
			}
		}
		kept = append(kept, f)
	}
	fs.rules = kept
	return hit
}

func (fs *faultSet) set(rules []Fault, appendRules bool) error {
	for i := range rules {
		if err := rules[i].validate(); err != nil {
			return err
		}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !appendRules {
		fs.rules = nil
	}
	for i := range rules {
		f := rules[i]
		f.Fired = 0
		fs.rules = append(fs.rules, &f)
	}
	return nil
}

func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.rules))
	for _, f := range fs.rules {
		out = append(out, *f)
	}
	return out
}

// inject carries out a status or reset fault.
func (s *Simulator) inject(w *recorder, f *Fault) {
	if f.Kind == FaultReset {
		w.status = 599 // logged as "599" = connection dropped
		conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
		return
	}
	if f.RetryAfter > 0 && (f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable) {
		w.Header().Set("Retry-After", fmt.Sprint(f.RetryAfter))
	}
	writeError(w, f.Status, f.Status, fmt.Sprintf("injected fault: %s", http.StatusText(f.Status)))
}

// SetFaults replaces the fault rules.
func (s *Simulator) SetFaults(rules ...Fault) error { return s.faults.set(rules, false) }

// AddFaults appends fault rules.
func (s *Simulator) AddFaults(rules ...Fault) error { return s.faults.set(rules, true) }

// ClearFaults removes every fault rule.
func (s *Simulator) ClearFaults() { _ = s.faults.set(nil, false) }

// Faults lists the active rules with their fire counts.
func (s *Simulator) Faults() []Fault { return s.faults.list() }
