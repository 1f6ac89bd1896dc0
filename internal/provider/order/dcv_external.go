package order

import (
	"slices"
	"strings"
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
