package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The certificate's dcv_publisher and its dcv_records attribute: the DCV
// records an external publisher (any DNS resource) is to publish.

// The certificate's dcv_publisher: who publishes the _dnsauth records.
const (
	// dcvPublisherRegfish: this provider publishes them in regfish DNS and
	// removes them after issuance; Create blocks until issuance.
	dcvPublisherRegfish = "regfish"
	// dcvPublisherExternal: this provider neither publishes nor removes
	// them; the certificate exports them (dcv_records) for any DNS
	// resource, and regfish_tls_certificate_validation waits for issuance.
	dcvPublisherExternal = "external"
)

var dcvPublishers = []string{dcvPublisherRegfish, dcvPublisherExternal}

// dcvRecordsValue builds dcv_records for keys from what order c asks for.
// While the order waits for DCV (ActiveDCVRecords), the values are its
// records; otherwise the values the state held (prev) are kept, or taken
// from the validation the order still shows. When the API's record names
// differ from keys, it returns the API's records and a *ScopeMismatchError;
// missing lists keys whose value nothing tells.
func dcvRecordsValue(c *regfish.Certificate, keys []string, prev map[string]string) (m types.Map, missing []string, mismatch bool) {
	active := order.ActiveDCVRecords(c)
	shown := active
	if shown == nil && c.Validation != nil {
		shown = c.Validation.DNSRecords
	}
	got := order.DCVRecordSet(shown)
	if len(got) > 0 && !slices.Equal(order.SortedKeys(got), keys) {
		return dcvRecordsMap(got), nil, true
	}
	vals := map[string]string{}
	for _, k := range keys {
		v, ok := got[k]
		if active == nil {
			if p, kept := prev[k]; kept && p != "" {
				v, ok = p, true
			}
		}
		if !ok {
			missing = append(missing, k)
			continue
		}
		vals[k] = v
	}
	return dcvRecordsMap(vals), missing, false
}

// dcvRecordsMap turns name -> target into the dcv_records value.
func dcvRecordsMap(vals map[string]string) types.Map {
	entries := make(map[string]attr.Value, len(vals))
	for k, v := range vals {
		entries[k] = dcvRecordObject(k, types.StringValue(v))
	}
	return types.MapValueMust(validationRecordType, entries)
}

func dcvRecordObject(name string, value types.String) attr.Value {
	return types.ObjectValueMust(validationRecordType.AttrTypes, map[string]attr.Value{
		"name": types.StringValue(name), "type": types.StringValue("CNAME"), "value": value})
}

// dcvValues returns the known values of a dcv_records map by key.
func dcvValues(m types.Map) map[string]string {
	out := map[string]string{}
	if m.IsNull() || m.IsUnknown() {
		return out
	}
	for k, v := range m.Elements() {
		o, ok := v.(types.Object)
		if !ok || o.IsNull() || o.IsUnknown() {
			continue
		}
		if s, ok := o.Attributes()["value"].(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out[k] = s.ValueString()
		}
	}
	return out
}

// dcvRecordsComplete reports whether every value of a dcv_records map is
// known.
func dcvRecordsComplete(m types.Map) bool {
	if m.IsUnknown() {
		return false
	}
	return m.IsNull() || len(dcvValues(m)) == len(m.Elements())
}

// knownDCVRecords drops the entries whose value is not known (a partial
// state after an interrupted apply).
func knownDCVRecords(m types.Map) types.Map {
	if m.IsNull() || m.IsUnknown() {
		return types.MapValueMust(validationRecordType, map[string]attr.Value{})
	}
	if dcvRecordsComplete(m) {
		return m
	}
	return dcvRecordsMap(dcvValues(m))
}

// setDCVRecords sets dcv_records after an apply step from order c (the
// last answer): with external DCV the predicted keys with the values c asks
// for, else none. prev holds the values the state had. When the API's
// records are not the predicted ones, dcv_records holds the API's and an
// error says which dcv_scope to set; the order is kept either way.
func (r *certificateResource) setDCVRecords(ctx context.Context, m *certificateModel, c *regfish.Certificate, prev types.Map, diags *diag.Diagnostics) {
	if !m.external() {
		m.DCVRecords = types.MapValueMust(validationRecordType, map[string]attr.Value{})
		return
	}
	m.DCVRecords = knownDCVRecords(m.DCVRecords)
	if c == nil {
		return
	}
	names := regfish.NameSet(m.CommonName.ValueString(), setStrings(ctx, m.DNSNames))
	keys, err := order.PredictDCVNames(names, r.data.DCVScope)
	if err != nil {
		diags.AddAttributeError(path.Root("dns_names"), "DCV Records Cannot Be Named", err.Error()+".")
		return
	}
	v, missing, mismatch := dcvRecordsValue(c, keys, dcvValues(prev))
	m.DCVRecords = v
	switch {
	case mismatch:
		diags.AddError("DCV Records of Certificate "+c.ID+" Differ From dcv_scope",
			(&order.ScopeMismatchError{ID: c.ID, Scope: r.data.DCVScope, Predicted: keys, Actual: order.SortedKeys(dcvValues(v)), Names: names}).Error()+".")
	case len(missing) > 0:
		diags.AddError("DCV Records of Certificate "+c.ID+" Not Known",
			fmt.Sprintf("The regfish API shows no DCV record %s for certificate %s (status %s), so dcv_records cannot give its value. "+
				"Certificate %s is kept; run terraform apply again once the order shows its validation records.", strings.Join(missing, ", "), c.ID, c.Status, c.ID))
	default:
		warnExternalDCVConflicts(c.ID, m.CommonName.ValueString(), r.data.NoteExternalDCV(c.ID, m.CommonName.ValueString(), dcvValues(v)), diags)
	}
}

// warnExternalDCVConflicts warns of the DCV record names order id (common
// name cn) shares with another external-mode order of the run.
func warnExternalDCVConflicts(id, cn string, conflicts []order.ExternalDCVConflict, diags *diag.Diagnostics) {
	for _, c := range conflicts {
		o, name, v := c.Other, c.Name, c.Value
		diags.AddWarning("Certificates "+o.ID+" and "+id+" Need One DCV Record",
			fmt.Sprintf("Certificate %s (%s) and certificate %s (%s) both need the DCV record %s, with different values: %s and %s. "+
				"A CNAME holds one value, and a merge() of both dcv_records keeps one of them without a word: the other order is "+
				"validated only if the CA reuses the domain validation the published record gives (as DigiCert does for the "+
				"account's later orders of a validated domain); otherwise its regfish_tls_certificate_validation times out, naming "+
				"the record it finds. Put these names into one certificate, or let one certificate be issued before the other is "+
				"ordered. See the guide Validating through another DNS provider.",
				o.ID, o.CommonName, id, cn, name, o.Value, v))
	}
}

// warnDCVNeighbours tells in the plan of a new external-mode order which
// orders of the account wait for a DCV record it will need too: across
// workspaces, the provider sees no other DNS resource, only the orders.
// own are the orders the object holds (ownOrderIDs: its order, which a new
// order takes the place of, and those being retired), which are not named.
// From the listing the plan read already; a listing it cannot read says
// nothing here (the wait's report still sees the orders). One warning per
// order, naming each record it shares.
func (r *certificateResource) warnDCVNeighbours(ctx context.Context, spec order.Spec, own []string, diags *diag.Diagnostics) {
	keys, err := order.PredictDCVNames(spec.Names(), r.data.DCVScope)
	if err != nil {
		return // named by planDCVRecords
	}
	ns, err := r.data.DCVNeighbours(ctx, keys)
	if err != nil {
		return
	}
	var ids []string
	byID := map[string]order.DCVNeighbour{}
	records := map[string][]string{}
	for _, n := range ns {
		if slices.Contains(own, n.ID) {
			continue
		}
		if _, ok := byID[n.ID]; !ok {
			ids = append(ids, n.ID)
			byID[n.ID] = n
		}
		records[n.ID] = append(records[n.ID], n.Record)
	}
	for _, id := range ids {
		n, recs := byID[id], strings.Join(records[id], ", ")
		diags.AddWarning("Order "+id+" Waits for DCV Record "+recs,
			fmt.Sprintf("Certificate order %[1]s (%[2]s, status %[3]s) waits for the DCV record %[4]s, and the order this plan places for %[5]s will need "+
				"it too (dcv_scope %[6]q), with a value of its own. A CNAME holds one value: publishing this certificate's record replaces the "+
				"value %[1]s waits for, and the order whose value is not published is validated only if the CA reuses the domain validation the "+
				"published record gives. %[1]s may be another workspace's order, another resource's of this configuration, the order of an object "+
				"this plan replaces, or one an interrupted apply left. Let the validation of %[1]s finish before this certificate is ordered, put "+
				"the names into one certificate, or manage a domain's external-mode certificates in one configuration. See the guide Validating "+
				"through another DNS provider.",
				id, strings.Join(n.Names, ", "), n.Status, recs, strings.Join(spec.Names(), ", "), r.data.DCVScope))
	}
}

// recordDCVRecords fills dcv_records for an apply that changes no order
// (dcv_publisher or dcv_scope changed): the state's values where it has
// them, else what the order shows.
func (r *certificateResource) recordDCVRecords(ctx context.Context, plan, state *certificateModel, private privateSetter, diags *diag.Diagnostics) {
	if !plan.external() {
		plan.DCVRecords = types.MapValueMust(validationRecordType, map[string]attr.Value{})
		return
	}
	keys, err := order.PredictDCVNames(regfish.NameSet(plan.CommonName.ValueString(), setStrings(ctx, plan.DNSNames)), r.data.DCVScope)
	if err != nil {
		diags.AddAttributeError(path.Root("dns_names"), "DCV Records Cannot Be Named", err.Error()+".")
		return
	}
	prev := dcvValues(state.DCVRecords)
	vals := map[string]string{}
	for _, k := range keys {
		if v, ok := prev[k]; ok {
			vals[k] = v
		}
	}
	if len(vals) == len(keys) {
		plan.DCVRecords = dcvRecordsMap(vals)
		return
	}
	id := plan.ID.ValueString()
	c, err := r.data.client.GetCertificate(ctx, id)
	if err != nil {
		if !r.data.apiKeyProblem(err, diags) {
			diags.AddError("Unable to Read Certificate", fmt.Sprintf("Reading certificate %s for its DCV records: %v. Nothing was changed; run terraform apply again.", id, err))
		}
		plan.DCVRecords = knownDCVRecords(state.DCVRecords)
		return
	}
	r.setDCVRecords(ctx, plan, c, state.DCVRecords, diags)
	diags.Append(r.stampRefresh(ctx, private, c)...)
}
