package simulator

import (
	"encoding/json"
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
	// FaultCorrupt carries the request out and answers 200 with a body
	// that is not what the call should get: Corrupt says which.
	FaultCorrupt = "corrupt"
)

// Corruptions of FaultCorrupt.
const (
	CorruptNull    = "null"    // {"success":true,"code":0,"response":null}
	CorruptEmpty   = "empty"   // {"success":true,"code":0,"response":{}}
	CorruptHTML    = "html"    // an HTML page with status 200
	CorruptOtherID = "otherid" // the real answer with its "id" replaced
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
	// Corrupt is the corruption of a FaultCorrupt rule (default "null").
	Corrupt string `json:"corrupt,omitempty"`
	// Burst: once the rule fires, it also fires for the next Burst-1
	// matching requests (a burst of 503s rather than a sprinkle).
	Burst int `json:"burst,omitempty"`
	// Fired counts how often the rule fired (output only).
	Fired int `json:"fired"`

	burstLeft int
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
	case FaultCorrupt:
		switch f.Corrupt {
		case "":
			f.Corrupt = CorruptNull
		case CorruptNull, CorruptEmpty, CorruptHTML, CorruptOtherID:
		default:
			return fmt.Errorf("unknown corruption %q (null, empty, html, otherid)", f.Corrupt)
		}
		f.After = true
	case FaultLatency:
		if f.LatencyMS <= 0 {
			return fmt.Errorf("latency fault needs latency_ms > 0")
		}
	default:
		return fmt.Errorf("unknown fault kind %q (status, reset, latency, corrupt)", f.Kind)
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
	switch f.Kind {
	case FaultStatus:
		l = fmt.Sprintf("status_%d", f.Status)
	case FaultCorrupt:
		return "corrupt_" + f.Corrupt
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
			fire = f.burstLeft > 0 || f.Probability == 0 || f.Probability >= 1 || fs.rng.Float64() < f.Probability
			if fire && f.burstLeft > 0 {
				f.burstLeft--
			} else if fire && f.Burst > 1 {
				f.burstLeft = f.Burst - 1
			}
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

func writeRawOK(w http.ResponseWriter, body string) {
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

// inject carries out a fault; answer is the body the API wrote for a fault
// that fires after the request was carried out.
func (s *Simulator) inject(w *recorder, f *Fault, answer []byte) {
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
	if f.Kind == FaultCorrupt {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch f.Corrupt {
		case CorruptEmpty:
			writeRawOK(w, `{"success":true,"code":0,"response":{}}`)
		case CorruptHTML:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			writeRawOK(w, "<html><body><h1>Maintenance</h1></body></html>")
		case CorruptOtherID:
			var env map[string]any
			if json.Unmarshal(answer, &env) == nil {
				if obj, ok := env["response"].(map[string]any); ok {
					if _, isNum := obj["id"].(float64); isNum {
						obj["id"] = 999999999
					} else {
						obj["id"] = "ZZZZZZZZZZZZZ"
					}
				}
			}
			b, _ := json.Marshal(env)
			writeRawOK(w, string(b))
		default:
			writeRawOK(w, `{"success":true,"code":0,"response":null}`)
		}
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
