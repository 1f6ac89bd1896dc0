package provider

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

type rpcKey struct{}

// During the call the context is the call's: its values, its deadline, its
// cancellation. After the call it is finished and holds no values, and a
// child taken during the call (as the framework takes one) no longer
// reaches the call's values either.
func TestRPCContext(t *testing.T) {
	parent, cancel := context.WithTimeout(context.WithValue(context.Background(), rpcKey{}, "v"), time.Hour)
	defer cancel()
	c := newRPCContext(parent)
	child, childCancel := context.WithCancel(c)
	defer childCancel()
	if c.Value(rpcKey{}) != "v" || child.Value(rpcKey{}) != "v" {
		t.Fatal("the call's value is not visible during the call")
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("deadline %v %v, want the call's", d, ok)
	}
	if c.Err() != nil {
		t.Fatalf("Err %v during the call", c.Err())
	}
	c.release()
	select {
	case <-c.Done():
	default:
		t.Fatal("not done after the call")
	}
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("Err %v after the call, want context.Canceled", c.Err())
	}
	if c.Value(rpcKey{}) != nil || child.Value(rpcKey{}) != nil {
		t.Fatal("the call's value is still reachable after the call")
	}
	if _, ok := c.Deadline(); ok {
		t.Fatal("a deadline after the call")
	}
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the child taken during the call did not end with it")
	}

	// the call's cancellation ends the context during the call
	p2, cancel2 := context.WithCancel(context.Background())
	c2 := newRPCContext(p2)
	cancel2()
	select {
	case <-c2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the call's cancellation did not end the context")
	}
	if !errors.Is(c2.Err(), context.Canceled) {
		t.Fatalf("Err %v, want context.Canceled", c2.Err())
	}
	c2.release()
}

// keepingServer keeps a child of every call's context, as
// terraform-plugin-framework's registerContext does until StopProvider.
type keepingServer struct {
	frameworkServer
	mu      sync.Mutex
	kept    []context.Context
	cancels []context.CancelFunc
}

func (k *keepingServer) ReadResource(ctx context.Context, _ *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	child, cancel := context.WithCancel(ctx)
	k.mu.Lock()
	k.kept, k.cancels = append(k.kept, child), append(k.cancels, cancel)
	k.mu.Unlock()
	if ctx.Value(rpcKey{}) == nil {
		return nil, errors.New("the call's value is not visible to the server")
	}
	return &tfprotov6.ReadResourceResponse{}, nil
}

// What a call's context holds is freed when the call returns, although the
// server keeps a child of it: without releasingServer every call's values
// stay in memory (red: call k.ReadResource instead of s.ReadResource).
func TestReleasingServerLetsGoOfCallContexts(t *testing.T) {
	k := &keepingServer{}
	s := releasingServer{k}
	const calls = 50
	var freed atomic.Int32
	for range calls {
		big := make([]byte, 1<<20)
		runtime.AddCleanup(&big[0], func(*atomic.Int32) { freed.Add(1) }, &freed)
		ctx := context.WithValue(context.Background(), rpcKey{}, big)
		if _, err := s.ReadResource(ctx, &tfprotov6.ReadResourceRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for freed.Load() < calls && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := freed.Load(); n < calls {
		t.Fatalf("%d of %d calls' values freed while the server keeps their contexts (%d kept)", n, calls, len(k.kept))
	}
}

// The server Terraform talks to is the releasing one, with the framework's
// list resources and actions still reachable.
func TestNewProtocol6ServerReleases(t *testing.T) {
	s := NewProtocol6Server(New("test")())()
	if _, ok := s.(releasingServer); !ok {
		t.Fatalf("the provider's server is %T, want releasingServer", s)
	}
	if _, ok := s.(tfprotov6.ListResourceServer); !ok {
		t.Fatal("list resources are not reachable through the server")
	}
	if _, ok := s.(tfprotov6.ActionServer); !ok {
		t.Fatal("actions are not reachable through the server")
	}
}
