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

// recheck notes that order id's status is read once before it publishes
// (takeDCVTurn): it is not asked again in this operation.
func (o *Orderer) recheck(id string) {
	if o.rechecked == nil {
		o.rechecked = map[string]bool{}
	}
	o.rechecked[id] = true
}

// noteDCVProved records that an order of this process was issued after
// its DCV records at names were published.
func (d *Engine) noteDCVProved(names []string) {
	if len(names) == 0 {
		return
	}
	d.dcvMu.Lock()
	defer d.dcvMu.Unlock()
	if d.dcvProved == nil {
		d.dcvProved = map[string]bool{}
	}
	for _, n := range names {
		d.dcvProved[n] = true
	}
}

// dcvProvedAll reports whether every one of names proved its domain for an
// order of this process (noteDCVProved).
func (d *Engine) dcvProvedAll(names []string) bool {
	d.dcvMu.Lock()
	defer d.dcvMu.Unlock()
	for _, n := range names {
		if !d.dcvProved[n] {
			return false
		}
	}
	return len(names) > 0
}

// dcvTurnWait bounds how long one publication attempt waits for its turn
// on a name another order of the run holds, before it goes back to the
// waiter (which checks the order's status and tries again later).
const dcvTurnWait = 2 * time.Second

// takeDCVTurn holds the names for id, waiting up to dcvTurnWait while
// another order of the run holds one of them; a *dcvHeldError when the
// turn did not come.
func (o *Orderer) takeDCVTurn(ctx context.Context, names []string, id string) error {
	if !o.rechecked[id] && o.d.dcvProvedAll(names) {
		// Another order of this run was issued with records at these
		// names: the domain has just been validated. Read this order's
		// status before publishing (below).
		o.recheck(id)
		return &dcvHeldError{Name: strings.Join(names, ", "), InRun: true, Released: true}
	}
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
			// The holder is done; its record validated the domain, and
			// a CA that reuses domain validation (DigiCert for an
			// account's later orders, the simulator by default) may
			// have validated this order with it. The first time, the
			// order's status is read before it publishes (one read
			// instead of a record created and removed, and no turn to
			// wait for); afterwards it takes the turn at once.
			if !o.rechecked[id] {
				o.recheck(id)
				return &dcvHeldError{Name: strings.Join(names, ", "), Holder: holder, InRun: true, Released: true}
			}
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
	Released                 bool // that order has just let go: check this order's status first
}

func (e *dcvHeldError) Error() string {
	if e.Released && e.Holder == "" {
		return fmt.Sprintf("DCV record %s validated its domain for another order of this run; checking whether the CA validated this order with it", e.Name)
	}
	if e.Released {
		return fmt.Sprintf("DCV record %s was released by order %s of this run; checking whether the CA validated this order with it", e.Name, e.Holder)
	}
	if e.InRun {
		return fmt.Sprintf("DCV record %s is in use by order %s of this run; waiting for it to finish", e.Name, e.Holder)
	}
	if e.Holder == "" {
		return fmt.Sprintf("DCV record %s is being published by other orders at the same time; waiting for a turn", e.Name)
	}
	return fmt.Sprintf("DCV record %s is in use by the pending order %s (record %d, annotation %q); waiting for it to finish, or cancel that order",
		e.Name, e.Holder, e.RecordID, e.Annotation)
}
