package provider

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// The certificate resource's private state: what a plan records for its
// apply, and the facts of the last refresh.

// Keys of the certificate resource's private state.
const (
	// privatePlan holds the planRecord of the last plan: why Delete runs
	// and what Update carries out.
	privatePlan = "plan"
	// privateRefresh holds the refreshFacts of the last refresh.
	privateRefresh = "refresh"
	// privateRetire holds the ids of certificates a new order replaced, to
	// revoke once the new one is issued (revoke_on_destroy).
	privateRetire = "retire"
)

// planIntent tells Delete why it runs.
type planIntent string

const (
	intentDestroy planIntent = "destroy"
	// intentCreate: a new object. When Delete runs with it, it is the
	// delete half of replacing a tainted object: the order is handed over
	// to the new object, which resumes it.
	intentCreate planIntent = "create"
	// intentReplace: a replacement the user forced (-replace).
	intentReplace planIntent = "replace"
	intentUpdate  planIntent = "update"
)

// planRecord is what ModifyPlan decided.
type planRecord struct {
	Intent planIntent `json:"intent"`
	// Fingerprint of the planned configuration (order.Spec.Fingerprint) and
	// the key fingerprint of its CSR.
	Fingerprint string `json:"fp,omitempty"`
	KeyFP       string `json:"key,omitempty"`
	// Actions the apply may carry out (one when settled).
	Actions []certAction `json:"actions,omitempty"`
	// Own: the orders the object held when it was planned (ownOrderIDs),
	// for the create half of a replacement, which sees no state.
	Own []string `json:"own,omitempty"`
}

// ownOrderIDs are the orders an object holds: its order, a renewal order
// in progress, and those a new order replaced and that wait to be retired.
func ownOrderIDs(ctx context.Context, state *certificateModel, private privateGetter) []string {
	own := []string{state.ID.ValueString()}
	if rid := state.RenewalOrderID.ValueString(); rid != "" {
		own = append(own, rid)
	}
	return append(own, getPrivate[[]string](ctx, private, privateRetire)...)
}

// refreshFacts is what the last refresh saw: its clock (the time every
// plan of this state decides the renewal window at) and API facts the
// schema does not show.
type refreshFacts struct {
	AsOf             time.Time `json:"as_of"`
	ReissueSupported bool      `json:"reissue_supported"`
	// ReissueActive: a reissue was running (external DCV waits for it).
	ReissueActive bool `json:"reissue_active,omitempty"`
}

type privateGetter interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}

func getPrivate[T any](ctx context.Context, p privateGetter, key string) T {
	var v T
	if p == nil {
		return v
	}
	if b, _ := p.GetKey(ctx, key); len(b) > 0 {
		_ = json.Unmarshal(b, &v)
	}
	return v
}

func setPrivate(ctx context.Context, p privateSetter, key string, v any) diag.Diagnostics {
	if p == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return p.SetKey(ctx, key, b)
}

type privateState interface {
	privateGetter
	privateSetter
}
