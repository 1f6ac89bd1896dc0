package provider

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The provider's memory must not grow with the number of calls Terraform
// makes. terraform-plugin-framework (v1.19, internal/proto6server
// registerContext) keeps a cancel function for the context of every call
// until StopProvider, and through it that context's whole chain: the
// gRPC stream, terraform-plugin-go's and terraform-plugin-log's loggers and
// fields, several kilobytes per call. A plan and an apply of 1,000
// certificates make several thousand calls, and the provider's heap held
// about 80,000 logger copies at its peak.
//
// releasingServer sits between terraform-plugin-go and the framework and
// hands each per-resource call a context of its own (rpcContext) that lets
// go of the call's context when the call returns. Until then it is the
// call's context in every way (values, deadline, cancellation); afterwards
// it is a finished context with no values, as gRPC's own context of a
// finished call is cancelled too. The streaming calls (ListResource,
// InvokeAction) are passed through unchanged: their contexts live while
// Terraform reads the stream.

// frameworkServer is what the framework's server implements and Terraform
// may call.
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
}

// NewProtocol6Server is the provider's protocol 6 server: the framework's
// (providerserver.NewProtocol6), behind releasingServer.
func NewProtocol6Server(p provider.Provider) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer { return releaseContexts(providerserver.NewProtocol6(p)()) }
}

func releaseContexts(s tfprotov6.ProviderServer) tfprotov6.ProviderServer {
	fs, ok := s.(frameworkServer)
	if !ok {
		return s
	}
	return releasingServer{fs}
}

type releasingServer struct{ frameworkServer }

// rpcContext is a call's context that can let go of it; see releasingServer.
type rpcContext struct {
	mu     sync.Mutex
	parent context.Context // nil once released
	stop   func() bool     // stops the AfterFunc watching parent; nil once released
	done   chan struct{}
	err    error
}

func newRPCContext(parent context.Context) *rpcContext {
	c := &rpcContext{parent: parent, done: make(chan struct{})}
	c.stop = context.AfterFunc(parent, func() { c.end(parent.Err()) })
	return c
}

func (c *rpcContext) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

// release ends the context and drops every reference to the call's.
func (c *rpcContext) release() {
	c.mu.Lock()
	stop := c.stop
	c.parent, c.stop = nil, nil
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	c.end(context.Canceled)
}

func (c *rpcContext) current() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parent
}

func (c *rpcContext) Deadline() (time.Time, bool) {
	if p := c.current(); p != nil {
		return p.Deadline()
	}
	return time.Time{}, false
}

func (c *rpcContext) Done() <-chan struct{} { return c.done }

func (c *rpcContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *rpcContext) Value(key any) any {
	if p := c.current(); p != nil {
		return p.Value(key)
	}
	return nil
}

// call runs f with a context that lets go of ctx when f returns.
func call[Req, Resp any](ctx context.Context, req Req, f func(context.Context, Req) (Resp, error)) (Resp, error) {
	c := newRPCContext(ctx)
	defer c.release()
	return f(c, req)
}

func (s releasingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return call(ctx, req, s.frameworkServer.ValidateResourceConfig)
}

func (s releasingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return call(ctx, req, s.frameworkServer.UpgradeResourceState)
}

func (s releasingServer) UpgradeResourceIdentity(ctx context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return call(ctx, req, s.frameworkServer.UpgradeResourceIdentity)
}

func (s releasingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return call(ctx, req, s.frameworkServer.ReadResource)
}

func (s releasingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return call(ctx, req, s.frameworkServer.PlanResourceChange)
}

func (s releasingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return call(ctx, req, s.frameworkServer.ApplyResourceChange)
}

func (s releasingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return call(ctx, req, s.frameworkServer.ImportResourceState)
}

func (s releasingServer) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return call(ctx, req, s.frameworkServer.MoveResourceState)
}

func (s releasingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return call(ctx, req, s.frameworkServer.ValidateDataResourceConfig)
}

func (s releasingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return call(ctx, req, s.frameworkServer.ReadDataSource)
}
