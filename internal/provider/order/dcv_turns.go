package order

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Turn-taking on DCV record names: the orders of one process that need one
// _dnsauth name publish one after the other.

// holdDCVName takes the DCV record names of order id within this provider
// process, all of them or none. Under the registrable-domain scope every certificate of a domain
// needs the same _dnsauth name, and a CNAME holds one token at a time: the
// orders of one run take turns instead of racing for the record (each race
// costs a 409, a zone listing and a status read). While another order of
// the run holds the name, the caller waits and checks its own status, so
// that an order the CA validates meanwhile (domain validation reuse) never
// publishes at all. It reports whether id may publish now, else a holder and
// a channel closed when that holder lets go.
func (d *Engine) holdDCVName(names []string, id string) (string, <-chan struct{}, bool) {
	d.dcvMu.Lock()
	defer d.dcvMu.Unlock()
	// all or none: an order never holds one name while it waits for
	// another (two multi-domain orders would wait for each other)
	for _, name := range names {
		if h, ok := d.dcvNames[name]; ok && h.id != id {
			return h.id, h.done, false
		}
	}
	if d.dcvNames == nil {
		d.dcvNames = map[string]*dcvHold{}
	}
	for _, name := range names {
		if _, ok := d.dcvNames[name]; !ok {
			d.dcvNames[name] = &dcvHold{id: id, done: make(chan struct{})}
		}
	}
	return id, nil, true
}

// releaseDCVNames gives up the names ids hold (after their records are
// removed, or when the operation ends either way) and wakes their waiters.
func (d *Engine) releaseDCVNames(ids ...string) {
	d.dcvMu.Lock()
	defer d.dcvMu.Unlock()
	for n, h := range d.dcvNames {
		if slices.Contains(ids, h.id) {
			close(h.done)
			delete(d.dcvNames, n)
		}
	}
}

// dcvTurnWait bounds how long one publication attempt waits for its turn
// on a name another order of the run holds, before it goes back to the
// waiter (which checks the order's status and tries again later).
const dcvTurnWait = 2 * time.Second

// takeDCVTurn holds the names for id, waiting up to dcvTurnWait while
// another order of the run holds one of them; a *dcvHeldError when the
// turn did not come.
func (o *Orderer) takeDCVTurn(ctx context.Context, names []string, id string) error {
	deadline := time.NewTimer(dcvTurnWait)
	defer deadline.Stop()
	for {
		holder, released, ok := o.d.holdDCVName(names, id)
		if ok {
			if o.held == nil {
				o.held = map[string]bool{}
			}
			o.held[id] = true
			return nil
		}
		select {
		case <-released:
			continue // released: try at once
		case <-deadline.C:
		case <-ctx.Done():
		}
		return &dcvHeldError{Name: strings.Join(names, ", "), Holder: holder, InRun: true}
	}
}

// ReleaseDCVHolds gives up every DCV record name this operation holds; every
// operation that may publish defers it.
func (o *Orderer) ReleaseDCVHolds() {
	ids := make([]string, 0, len(o.held))
	for id := range o.held {
		ids = append(ids, id)
	}
	o.d.releaseDCVNames(ids...)
}

// dcvHeldError is a DCV record name in use by another pending order: a
// CNAME holds one token at a time, and under the registrable-domain scope
// every certificate of a domain needs the same name. It is a reason to
// wait, not to fail: the holder finishes (and removes its record) or the
// domain is validated for the account meanwhile.
type dcvHeldError struct {
	Name, Holder, Annotation string
	RecordID                 int64
	InRun                    bool // held by another order of this run (holdDCVName)
}

func (e *dcvHeldError) Error() string {
	if e.InRun {
		return fmt.Sprintf("DCV record %s is in use by order %s of this run; waiting for it to finish", e.Name, e.Holder)
	}
	if e.Holder == "" {
		return fmt.Sprintf("DCV record %s is being published by other orders at the same time; waiting for a turn", e.Name)
	}
	return fmt.Sprintf("DCV record %s is in use by the pending order %s (record %d, annotation %q); waiting for it to finish, or cancel that order",
		e.Name, e.Holder, e.RecordID, e.Annotation)
}
