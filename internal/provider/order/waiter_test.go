package order

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

func TestWaiterBackoffCappedAndJittered(t *testing.T) {
	w := Waiter{min: time.Second, max: 10 * time.Second}
	var slept []time.Duration
	w.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	n := 0
	_, err := w.Wait(context.Background(), "issuance", "X", func(context.Context) (WaitState, error) {
		n++
		return WaitState{Done: n == 12, Status: "pending"}, nil
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
	w := Waiter{min: 10 * time.Millisecond, max: 20 * time.Millisecond, sleep: regfish.Sleep}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	last, err := w.Wait(ctx, "issuance", "ABC", func(context.Context) (WaitState, error) {
		return WaitState{Status: "pending", OrderState: "PENDING_APPROVAL", PendingReason: "approval_pending"}, nil
	})
	var we *WaitError
	if !errors.As(err, &we) || !errors.Is(err, ErrWaitTimeout) || we.ID != "ABC" || last.PendingReason != "approval_pending" {
		t.Fatalf("deadline: %v %+v", err, last)
	}
	if msg := err.Error(); msg != "waiting for issuance of certificate ABC stopped (status pending, order_state PENDING_APPROVAL, pending_reason approval_pending): timed out (the timeouts block sets how long to wait)" {
		t.Fatalf("message: %s", msg)
	}
	// a deadline set from a named setting says which one ran out
	ctx3, cancel3 := WithDeadline(context.Background(), "timeouts.update", 80*time.Millisecond)
	defer cancel3()
	_, err = w.Wait(ctx3, "issuance", "ABC", func(context.Context) (WaitState, error) {
		return WaitState{Status: "pending", OrderState: "DCV_PENDING"}, nil
	})
	if !errors.Is(err, ErrWaitTimeout) || !strings.HasSuffix(err.Error(), "timed out after 80ms (timeouts.update; a larger value waits longer)") {
		t.Fatalf("named deadline: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = w.Wait(ctx2, "completion", "ABC", func(c context.Context) (WaitState, error) { return WaitState{}, c.Err() })
	if errors.Is(err, ErrWaitTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
}

// A deadline that strikes in the middle of a check (under load, during
// the DCV publish) reports the last complete check, with its detail, not
// the half-done one.
func TestWaiterDeadlineInsideACheckKeepsTheLastDetail(t *testing.T) {
	w := Waiter{min: 10 * time.Millisecond, max: 10 * time.Millisecond, sleep: regfish.Sleep}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	n := 0
	_, err := w.Wait(ctx, "issuance", "ABC", func(c context.Context) (WaitState, error) {
		n++
		st := WaitState{Status: "pending", PendingReason: "validation_pending"}
		if n == 1 {
			st.Detail = "DCV record _dnsauth.www.example.com. is in use by the pending order XYZ"
			return st, nil
		}
		<-c.Done() // the deadline passes inside the check
		return st, c.Err()
	})
	if !errors.Is(err, ErrWaitTimeout) || !strings.Contains(err.Error(), "in use by the pending order XYZ") {
		t.Fatalf("the last detail is lost: %v", err)
	}
}

func TestWaiterReturnsCheckErrors(t *testing.T) {
	w := Waiter{min: time.Millisecond, max: time.Millisecond, sleep: regfish.Sleep}
	boom := errors.New("rejected")
	_, err := w.Wait(context.Background(), "issuance", "X", func(context.Context) (WaitState, error) { return WaitState{}, boom })
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
}

func TestWaiterRidesOutTransientErrors(t *testing.T) {
	w := Waiter{min: time.Millisecond, max: time.Millisecond, sleep: regfish.Sleep}
	n := 0
	st, err := w.Wait(context.Background(), "issuance", "X", func(context.Context) (WaitState, error) {
		n++
		switch n {
		case 1:
			return WaitState{}, &regfish.APIError{StatusCode: 503}
		case 2:
			return WaitState{}, &regfish.TransportError{Err: errors.New("connection reset")}
		case 3:
			return WaitState{}, &regfish.APIError{StatusCode: 429}
		}
		return WaitState{Done: true, Status: "issued"}, nil
	})
	if err != nil || st.Status != "issued" || n != 4 {
		t.Fatalf("transient errors must not end the wait: %v after %d checks", err, n)
	}
	_, err = w.Wait(context.Background(), "issuance", "X", func(context.Context) (WaitState, error) {
		return WaitState{}, &regfish.APIError{StatusCode: 400, Message: "bad"}
	})
	if err == nil {
		t.Fatal("a 400 must end the wait")
	}
}

// A wait on a zone names the zone and describes the last check in its own
// words (the DNSSEC wait).
func TestWaiterOnAZone(t *testing.T) {
	w := Waiter{min: 5 * time.Millisecond, max: 10 * time.Millisecond, sleep: regfish.Sleep}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
	defer cancel()
	_, err := w.WaitOn(ctx, WaitSubject{Noun: "zone", Field: "zone", ID: "example.com"}, "DNSSEC change", func(context.Context) (WaitState, error) {
		return WaitState{Text: "desired_state enabled, live_state disabled", Fields: map[string]any{"live_state": "disabled"}}, nil
	})
	want := "waiting for DNSSEC change of zone example.com stopped (desired_state enabled, live_state disabled): timed out"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrWaitTimeout) {
		t.Fatalf("got %v, want %q...", err, want)
	}
}
