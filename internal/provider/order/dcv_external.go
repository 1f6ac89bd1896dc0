package order

import (
	"context"
	"slices"
	"strings"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// External-mode orders of one process that need one DCV record name.

// ExternalDCVConflict: another external-mode order of the run (Other)
// needs DCV record Name with another value than Value.
type ExternalDCVConflict struct {
	Name  string
	Other ExternalDCVUse
	Value string
}

// NoteExternalDCV records the DCV records external-mode order id needs in
// this process, and returns where another order of the run needs one of
// the same names with another value: a CNAME holds one value, so whichever
// the DNS resources publish, the other order cannot be validated by it
// (a merge() of both dcv_records keeps one silently).
func (d *Engine) NoteExternalDCV(id, cn string, vals map[string]string) []ExternalDCVConflict {
	d.extDCVMu.Lock()
	defer d.extDCVMu.Unlock()
	if d.extDCV == nil {
		d.extDCV = map[string][]ExternalDCVUse{}
	}
	var out []ExternalDCVConflict
	for _, name := range SortedKeys(vals) {
		v := vals[name]
		if v == "" {
			continue
		}
		uses := slices.DeleteFunc(d.extDCV[name], func(u ExternalDCVUse) bool { return u.ID == id })
		for _, o := range uses {
			if strings.EqualFold(o.Value, v) {
				continue
			}
			out = append(out, ExternalDCVConflict{Name: name, Other: o, Value: v})
		}
		d.extDCV[name] = append(uses, ExternalDCVUse{ID: id, CommonName: cn, Value: v})
	}
	return out
}

// DCVNeighbour is an order of the account that waits for a DCV record a
// new order will need too.
type DCVNeighbour struct {
	ID     string
	Status string
	Names  []string
	Record string // the record's name
}

// DCVNeighbours returns the account's orders that wait now for one of the
// DCV record names keys (a pending order, or an order with a reissue
// running), from the listing this process read (a new object's plan lists
// the orders for FindOrphans first, a refresh for the certificates, so
// this costs no request unless the plan does not refresh; a listing that
// failed is not tried again). Whose they
// are is not told: another workspace's, another resource's of this
// configuration, one an interrupted apply left. A listing that carries no
// validation records (CONTRACT.md §5) shows none; the validation wait's
// report still names the order whose token DNS holds.
func (d *Engine) DCVNeighbours(ctx context.Context, keys []string) ([]DCVNeighbour, error) {
	d.ordersMu.Lock()
	failed := d.listFailed
	d.ordersMu.Unlock()
	if failed {
		return nil, nil // the refresh could not list them: not tried again here
	}
	certs, err := d.accountOrders(ctx, false)
	if err != nil {
		return nil, err
	}
	var out []DCVNeighbour
	for i := range certs {
		c := &certs[i]
		recs := DCVRecordSet(ActiveDCVRecords(c))
		for _, k := range keys {
			if _, ok := recs[regfish.Hostname(k)]; ok {
				out = append(out, DCVNeighbour{ID: c.ID, Status: c.Status, Names: c.Names(), Record: regfish.Hostname(k)})
			}
		}
	}
	return out, nil
}
