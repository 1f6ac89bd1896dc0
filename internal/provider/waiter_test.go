package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

func TestWaiterBackoffCappedAndJittered(t *testing.T) {
	w := waiter{min: time.Second, max: 10 * time.Second}
	var slept []time.Duration
	w.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	n := 0
	_, err := w.wait(context.Background(), "issuance", "X", func(context.Context) (waitState, error) {
		n++
		return waitState{Done: n == 12, Status: "pending"}, nil
	})
	if err != nil || len(slept) != 11 {
		t.Fatalf("err %v, %d sleeps", err, len(slept))
	}
	if slept[0] < 800*time.Millisecond || slept[0] > 1200*time.Millisecond {
		t.Fatalf("first wait %v, want 1s ±20%%", slept[0])
	}
	for _, d := range slept {
		if d > 12*time.Second {
			t.Fatalf("wait %v above the cap (+20%% jitter)", d)
		}
	}
	if slept[10] < 8*time.Second {
		t.Fatalf("waits do not grow to the cap: %v", slept)
	}
}

func TestWaiterStopsOnDeadlineAndReportsLastState(t *testing.T) {
	w := waiter{min: 10 * time.Millisecond, max: 20 * time.Millisecond, sleep: sleepCtx}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	last, err := w.wait(ctx, "issuance", "ABC", func(context.Context) (waitState, error) {
		return waitState{Status: "pending", OrderState: "PENDING_APPROVAL", PendingReason: "approval_pending"}, nil
	})
	var we *waitError
	if !errors.As(err, &we) || !errors.Is(err, errWaitTimeout) || we.ID != "ABC" || last.PendingReason != "approval_pending" {
		t.Fatalf("deadline: %v %+v", err, last)
	}
	if msg := err.Error(); msg != "waiting for issuance of certificate ABC stopped (status pending, order_state PENDING_APPROVAL, pending_reason approval_pending): timed out (the timeouts block sets how long to wait)" {
		t.Fatalf("message: %s", msg)
	}
	// a deadline set from a named setting says which one ran out
	ctx3, cancel3 := withDeadline(context.Background(), "timeouts.update", 80*time.Millisecond)
	defer cancel3()
	_, err = w.wait(ctx3, "issuance", "ABC", func(context.Context) (waitState, error) {
		return waitState{Status: "pending", OrderState: "DCV_PENDING"}, nil
	})
	if !errors.Is(err, errWaitTimeout) || !strings.HasSuffix(err.Error(), "timed out after 80ms (timeouts.update; a larger value waits longer)") {
		t.Fatalf("named deadline: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = w.wait(ctx2, "completion", "ABC", func(c context.Context) (waitState, error) { return waitState{}, c.Err() })
	if errors.Is(err, errWaitTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
}

// A deadline that strikes in the middle of a check (under load, during
// the DCV publish) reports the last complete check, with its detail, not
// the half-done one.
func TestWaiterDeadlineInsideACheckKeepsTheLastDetail(t *testing.T) {
	w := waiter{min: 10 * time.Millisecond, max: 10 * time.Millisecond, sleep: sleepCtx}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	n := 0
	_, err := w.wait(ctx, "issuance", "ABC", func(c context.Context) (waitState, error) {
		n++
		st := waitState{Status: "pending", PendingReason: "validation_pending"}
		if n == 1 {
			st.Detail = "DCV record _dnsauth.www.example.com. is in use by the pending order XYZ"
			return st, nil
		}
		<-c.Done() // the deadline passes inside the check
		return st, c.Err()
	})
	if !errors.Is(err, errWaitTimeout) || !strings.Contains(err.Error(), "in use by the pending order XYZ") {
		t.Fatalf("the last detail is lost: %v", err)
	}
}

func TestWaiterReturnsCheckErrors(t *testing.T) {
	w := waiter{min: time.Millisecond, max: time.Millisecond, sleep: sleepCtx}
	boom := errors.New("rejected")
	_, err := w.wait(context.Background(), "issuance", "X", func(context.Context) (waitState, error) { return waitState{}, boom })
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
}

func TestWaiterRidesOutTransientErrors(t *testing.T) {
	w := waiter{min: time.Millisecond, max: time.Millisecond, sleep: sleepCtx}
	n := 0
	st, err := w.wait(context.Background(), "issuance", "X", func(context.Context) (waitState, error) {
		n++
		switch n {
		case 1:
			return waitState{}, &regfish.APIError{StatusCode: 503}
		case 2:
			return waitState{}, &regfish.TransportError{Err: errors.New("connection reset")}
		case 3:
			return waitState{}, &regfish.APIError{StatusCode: 429}
		}
		return waitState{Done: true, Status: "issued"}, nil
	})
	if err != nil || st.Status != "issued" || n != 4 {
		t.Fatalf("transient errors must not end the wait: %v after %d checks", err, n)
	}
	_, err = w.wait(context.Background(), "issuance", "X", func(context.Context) (waitState, error) {
		return waitState{}, &regfish.APIError{StatusCode: 400, Message: "bad"}
	})
	if err == nil {
		t.Fatal("a 400 must end the wait")
	}
}

// A wait on a zone names the zone and describes the last check in its own
// words (the DNSSEC wait).
func TestWaiterOnAZone(t *testing.T) {
	w := waiter{min: 5 * time.Millisecond, max: 10 * time.Millisecond, sleep: sleepCtx}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
	defer cancel()
	_, err := w.waitOn(ctx, waitSubject{Noun: "zone", Field: "zone", ID: "example.com"}, "DNSSEC change", func(context.Context) (waitState, error) {
		return waitState{Text: "desired_state enabled, live_state disabled", Fields: map[string]any{"live_state": "disabled"}}, nil
	})
	want := "waiting for DNSSEC change of zone example.com stopped (desired_state enabled, live_state disabled): timed out"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, errWaitTimeout) {
		t.Fatalf("got %v, want %q...", err, want)
	}
}
