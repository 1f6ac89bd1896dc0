package provider

import (
	"slices"
	"strings"
)

// External-mode orders of one process that need one DCV record name.

// externalDCVConflict: another external-mode order of the run (Other)
// needs DCV record Name with another value than Value.
type externalDCVConflict struct {
	Name  string
	Other extDCVUse
	Value string
}

// noteExternalDCV records the DCV records external-mode order id needs in
// this process, and returns where another order of the run needs one of
// the same names with another value: a CNAME holds one value, so whichever
// the DNS resources publish, the other order cannot be validated by it
// (a merge() of both dcv_records keeps one silently).
func (d *Engine) noteExternalDCV(id, cn string, vals map[string]string) []externalDCVConflict {
	d.extDCVMu.Lock()
	defer d.extDCVMu.Unlock()
	if d.extDCV == nil {
		d.extDCV = map[string][]extDCVUse{}
	}
	var out []externalDCVConflict
	for _, name := range SortedKeys(vals) {
		v := vals[name]
		if v == "" {
			continue
		}
		uses := slices.DeleteFunc(d.extDCV[name], func(u extDCVUse) bool { return u.ID == id })
		for _, o := range uses {
			if strings.EqualFold(o.Value, v) {
				continue
			}
			out = append(out, externalDCVConflict{Name: name, Other: o, Value: v})
		}
		d.extDCV[name] = append(uses, extDCVUse{ID: id, CommonName: cn, Value: v})
	}
	return out
}
