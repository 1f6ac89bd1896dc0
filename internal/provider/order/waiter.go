package order

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// WaitState is what one status check reports.
type WaitState struct {
	Done bool
	// Again asks for the next check at once, without a wait: the check
	// just published DCV records, and a CA that reuses a validation issues
	// within moments.
	Again         bool
	Status        string
	OrderState    string
	PendingReason string
	Detail        string
	// Text, when set, is the whole description (a wait on something other
	// than a certificate order), and Fields are its log fields.
	Text   string
	Fields map[string]any
}

func (s WaitState) String() string {
	if s.Text != "" {
		return s.Text
	}
	out := "status " + cmp.Or(s.Status, "-")
	if s.OrderState != "" {
		out += ", order_state " + s.OrderState
	}
	if s.PendingReason != "" {
		out += ", pending_reason " + s.PendingReason
	}
	if s.Detail != "" {
		out += "; " + s.Detail
	}
	return out
}

// ErrWaitTimeout is the waiter's error when the deadline from the timeouts
// block passes (errors.Is with context.DeadlineExceeded also holds).
var ErrWaitTimeout = errors.New("timed out")

// deadlineKey carries which setting set a wait's deadline, for its error.
type deadlineKey struct{}

type deadlineOf struct {
	setting string // e.g. "timeouts.update" or "the action's timeout"
	d       time.Duration
}

// WithDeadline bounds ctx by d, which comes from setting ("timeouts.update",
// "timeout"): a wait that runs out names the setting and its value, so the
// error says what to raise.
func WithDeadline(ctx context.Context, setting string, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(NameDeadline(ctx, setting, d), d)
}

// NameDeadline records in ctx which setting (and value) bounds the waits
// below it, for a caller that sets the deadline further down.
func NameDeadline(ctx context.Context, setting string, d time.Duration) context.Context {
	return context.WithValue(ctx, deadlineKey{}, deadlineOf{setting, d})
}

// WaitSubject is what a wait is about: a certificate order (by id) or a
// DNS zone (by domain).
type WaitSubject struct {
	Noun  string // "certificate", "zone"
	Field string // the log field of the id: "certificate_id", "zone"
	ID    string
}

func certificateSubject(id string) WaitSubject {
	return WaitSubject{Noun: "certificate", Field: "certificate_id", ID: id}
}

func (s WaitSubject) String() string { return s.Noun + " " + s.ID }

// WaitError says what the waiter was waiting for when it stopped.
type WaitError struct {
	What string // "issuance", "completion", "reissue", "DNSSEC change"
	ID   string
	// Noun is what ID names ("" is a certificate).
	Noun string
	Last WaitState
	Err  error
}

func (e *WaitError) Error() string {
	noun := e.Noun
	if noun == "" {
		noun = "certificate"
	}
	return fmt.Sprintf("waiting for %s of %s %s stopped (%s): %v", e.What, noun, e.ID, e.Last, e.Err)
}

func (e *WaitError) Unwrap() error { return e.Err }

// Waiter is the one loop for every long wait (issuance, completion,
// reissue): it calls check until it reports Done, sleeping between calls
// with capped, jittered exponential backoff, until ctx ends (the deadline
// of the timeouts block, or Ctrl-C). It logs progress with the certificate
// id, status and pending_reason.
type Waiter struct {
	min, max time.Duration
	sleep    func(context.Context, time.Duration) error
}

func (d *Engine) Waiter() Waiter {
	return Waiter{min: d.PollMin, max: d.PollMax, sleep: regfish.Sleep}
}

// next returns the wait after interval cur (±20% jitter) and the interval
// after it: doubled, capped at max. With the defaults (1s, 1m) a check
// follows the DCV publication at once, then after about 1, 2, 4, 8, 16,
// 32 and every 60 seconds: a five-minute issuance costs 11 checks.
func (w Waiter) next(cur time.Duration) (time.Duration, time.Duration) {
	grown := cur * 2
	if grown > w.max {
		grown = w.max
	}
	j := 0.8 + 0.4*rand.Float64() //nolint:gosec // jitter
	return time.Duration(float64(cur) * j), grown
}

func (w Waiter) Wait(ctx context.Context, what, id string, check func(context.Context) (WaitState, error)) (WaitState, error) {
	return w.WaitOn(ctx, certificateSubject(id), what, check)
}

// WaitOn is wait for any subject: the log lines and the error name it.
func (w Waiter) WaitOn(ctx context.Context, subj WaitSubject, what string, check func(context.Context) (WaitState, error)) (WaitState, error) {
	id, noun := subj.ID, subj.Noun
	if noun == "certificate" {
		noun = ""
	}
	start := time.Now()
	interval := w.min
	var last WaitState
	lastLogged := ""
	for polls := 1; ; polls++ {
		st, err := check(ctx)
		if err != nil && ctx.Err() == nil && transient(err) {
			// The client has retried already; a wait rides out an API
			// hiccup until its deadline instead of failing the apply.
			tflog.Warn(ctx, fmt.Sprintf("regfish: status check of %s failed, still waiting", subj), map[string]any{
				subj.Field: id, "waiting_for": what, "error": err.Error()})
			var d time.Duration
			d, interval = w.next(interval)
			if serr := w.sleep(ctx, d); serr != nil {
				return last, &WaitError{What: what, ID: id, Noun: noun, Last: last, Err: fmt.Errorf("%w; last error: %v", stopReason(ctx), err)}
			}
			continue
		}
		if err != nil {
			// A check cut short by the deadline is incomplete (it may not
			// have got to what it waits on): the last complete check says
			// more, detail included.
			if st.Status != "" && (ctx.Err() == nil || last.Status == "") {
				last = st
			}
			if ctx.Err() != nil {
				return last, &WaitError{What: what, ID: id, Noun: noun, Last: last, Err: stopReason(ctx)}
			}
			return last, &WaitError{What: what, ID: id, Noun: noun, Last: last, Err: err}
		}
		last = st
		fields := map[string]any{subj.Field: id, "waiting_for": what, "elapsed": time.Since(start).Round(time.Second).String(), "polls": polls}
		if st.Fields != nil {
			for k, v := range st.Fields {
				fields[k] = v
			}
		} else {
			fields["status"], fields["order_state"], fields["pending_reason"] = st.Status, st.OrderState, st.PendingReason
		}
		if st.Done {
			tflog.Info(ctx, "regfish: "+what+" of "+subj.String()+" done", fields)
			return st, nil
		}
		if s := st.String(); s != lastLogged || polls%10 == 0 {
			tflog.Info(ctx, fmt.Sprintf("regfish: waiting for %s of %s (%s)", what, subj, st), fields)
			lastLogged = s
		} else {
			tflog.Debug(ctx, "regfish: still waiting", fields)
		}
		if st.Again {
			continue
		}
		var d time.Duration
		d, interval = w.next(interval)
		if err := w.sleep(ctx, d); err != nil {
			return last, &WaitError{What: what, ID: id, Noun: noun, Last: last, Err: stopReason(ctx)}
		}
	}
}

// transient reports an API failure worth waiting out: 5xx, 429, answers
// that are not valid, lost connections, timeouts and lost answers — not a
// host name that does not resolve, a TLS failure or a refused redirect,
// which no wait mends.
func transient(err error) bool {
	var te *regfish.TransportError
	if errors.As(err, &te) {
		return !errors.Is(err, regfish.ErrHostNotFound) && !errors.Is(err, regfish.ErrTLS) && !errors.Is(err, regfish.ErrRedirect)
	}
	return errors.Is(err, regfish.ErrServer) || errors.Is(err, regfish.ErrRateLimited) ||
		errors.Is(err, regfish.ErrMaybeProcessed) || errors.Is(err, regfish.ErrInvalidResponse)
}

func stopReason(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		if dl, ok := ctx.Value(deadlineKey{}).(deadlineOf); ok {
			return fmt.Errorf("%w after %s (%s; a larger value waits longer)", ErrWaitTimeout, dl.d, dl.setting)
		}
		return fmt.Errorf("%w (the timeouts block sets how long to wait)", ErrWaitTimeout)
	}
	return fmt.Errorf("interrupted: %w", ctx.Err())
}
