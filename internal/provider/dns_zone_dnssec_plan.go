package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The DNSSEC resource's model helpers, validation and plan (capabilities).

// records returns the configured records (nil when null or unknown; ok
// false when unknown).
func (m *dnssecModel) records(ctx context.Context) ([]dnssecRecordModel, bool, diag.Diagnostics) {
	if m.Records.IsUnknown() {
		return nil, false, nil
	}
	if m.Records.IsNull() {
		return nil, true, nil
	}
	var out []dnssecRecordModel
	d := m.Records.ElementsAs(ctx, &out, false)
	return out, true, d
}

func (m *dnssecModel) wantState() string {
	if m.Enabled.IsNull() || m.Enabled.ValueBool() {
		return regfish.DNSSECEnabled
	}
	return regfish.DNSSECDisabled
}

// request is the PUT body of the model.
func (m *dnssecModel) request(ctx context.Context) (regfish.DNSSECRequest, diag.Diagnostics) {
	req := regfish.DNSSECRequest{Mode: m.Mode.ValueString(), State: m.wantState(), VerifyAfterApply: m.VerifyAfterApply.ValueBool()}
	recs, _, d := m.records(ctx)
	if req.Mode == regfish.DNSSECModeExternal {
		for _, rec := range recs {
			req.Records = append(req.Records, rec.api())
		}
	}
	return req, d
}

func (rec dnssecRecordModel) api() regfish.DNSSECRecord {
	return regfish.DNSSECRecord{Kind: rec.Kind.ValueString(), Algorithm: regfish.DNSSECNum(rec.Algorithm.ValueInt64()),
		KeyTag: regfish.DNSSECNum(rec.KeyTag.ValueInt64()), DigestType: regfish.DNSSECNum(rec.DigestType.ValueInt64()),
		Digest: rec.Digest.ValueString(), Flags: regfish.DNSSECNum(rec.Flags.ValueInt64()), Protocol: regfish.DNSSECNum(rec.Protocol.ValueInt64()),
		PublicKey: rec.PublicKey.ValueString()}
}

// normDNSSECRecord is the form two records are compared in.
func normDNSSECRecord(r regfish.DNSSECRecord) regfish.DNSSECRecord {
	r.Kind = strings.ToLower(strings.TrimSpace(r.Kind))
	r.Digest = strings.ToUpper(strings.TrimSpace(r.Digest))
	r.PublicKey = strings.Join(strings.Fields(r.PublicKey), "")
	return r
}

func sameDNSSECRecords(a, b []regfish.DNSSECRecord) bool {
	return slices.EqualFunc(a, b, func(x, y regfish.DNSSECRecord) bool { return normDNSSECRecord(x) == normDNSSECRecord(y) })
}

// asks reports whether the zone asks for want already (mode, desired state
// and, for mode external, its records): then nothing needs sending.
func asks(d *regfish.ZoneDNSSEC, want regfish.DNSSECRequest) bool {
	if d == nil || !strings.EqualFold(d.Mode, want.Mode) || !strings.EqualFold(d.DesiredState, want.State) {
		return false
	}
	return want.Mode != regfish.DNSSECModeExternal || sameDNSSECRecords(d.DesiredRecords, want.Records)
}

// ValidateConfig checks what needs no API: records only for mode external,
// and the fields each kind of record needs.
func (r *dnssecResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m dnssecModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	recs, known, d := m.records(ctx)
	resp.Diagnostics.Append(d...)
	if m.Mode.IsUnknown() || !known {
		return
	}
	mode := m.Mode.ValueString()
	if mode == regfish.DNSSECModeRegfish && len(recs) > 0 {
		resp.Diagnostics.AddAttributeError(path.Root("records"), "Records Need mode = \"external\"",
			"With mode = \"regfish\" regfish signs the zone with its own key: leave records out (the DS records to hand to the registry are in ds_records).")
	}
	if mode == regfish.DNSSECModeExternal && len(recs) == 0 && !m.Enabled.IsUnknown() && m.wantState() == regfish.DNSSECEnabled {
		resp.Diagnostics.AddAttributeError(path.Root("records"), "Missing DNSSEC Records",
			"mode = \"external\" takes the zone's DS or DNSKEY records from records: add at least one (or set enabled = false).")
	}
	for i, rec := range recs {
		p := path.Root("records").AtListIndex(i)
		if msg := checkDNSSECRecordFields(rec); msg != "" {
			resp.Diagnostics.AddAttributeError(p, "Incomplete DNSSEC Record", msg)
		}
	}
}

// checkDNSSECRecordFields says what a record of its kind lacks ("" when
// complete or not known yet).
func checkDNSSECRecordFields(rec dnssecRecordModel) string {
	missing := func(vals map[string]attr.Value) []string {
		var out []string
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			if vals[k].IsNull() {
				out = append(out, k)
			}
		}
		return out
	}
	var need []string
	switch rec.Kind.ValueString() {
	case regfish.DNSSECKindDS:
		need = missing(map[string]attr.Value{"key_tag": rec.KeyTag, "digest_type": rec.DigestType, "digest": rec.Digest})
	case regfish.DNSSECKindDNSKEY:
		need = missing(map[string]attr.Value{"flags": rec.Flags, "protocol": rec.Protocol, "public_key": rec.PublicKey})
		if pk := rec.PublicKey; !pk.IsNull() && !pk.IsUnknown() {
			if _, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(pk.ValueString()), "")); err != nil {
				return "public_key must be base64: " + err.Error()
			}
		}
	default:
		return ""
	}
	if len(need) > 0 {
		return fmt.Sprintf("A %s record needs %s.", strings.ToUpper(rec.Kind.ValueString()), strings.Join(need, ", "))
	}
	return ""
}

// ModifyPlan records the intent (for a replacement's delete half), checks
// the configuration against the zone's capabilities, and plans a wait for
// a change that an earlier apply left pending.
func (r *dnssecResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var plan, state dnssecModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	existing := !req.State.Raw.IsNull()
	if existing {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	intent := dnssecIntent{}
	if !existing {
		intent = dnssecIntent{Intent: "create", Zone: regfish.Hostname(plan.Zone.ValueString())}
	}
	resp.Diagnostics.Append(setPrivate(ctx, resp.Private, privateDNSSEC, intent)...)

	changes := !existing || !plan.Mode.Equal(state.Mode) || !plan.Enabled.Equal(state.Enabled) || !plan.Records.Equal(state.Records)
	if changes && !plan.Zone.IsUnknown() {
		r.checkCapabilities(ctx, plan, &resp.Diagnostics)
	}
	if existing && !changes && !state.LiveState.IsNull() && state.LiveState.ValueString() != state.wantState() {
		// An earlier apply timed out (or regfish is still at it): the
		// apply waits for the change, without sending it again when the
		// zone asks for it already.
		plan.LiveState = types.StringUnknown()
		plan.DSRecords = types.ListUnknown(dsRecordType)
		resp.Diagnostics.AddWarning("DNSSEC Change of Zone "+state.ID.ValueString()+" Still Pending",
			fmt.Sprintf("Zone %s asks for DNSSEC %s (mode %s), but live_state is %s. The apply waits until it is live; it sends no new request while the zone asks for it already.",
				state.ID.ValueString(), state.wantState(), state.Mode.ValueString(), state.LiveState.ValueString()))
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
}

// checkCapabilities fails the plan for what the zone's capabilities say it
// cannot do. Without capabilities (or when the zone cannot be read) it
// checks nothing: the apply's answer decides.
func (r *dnssecResource) checkCapabilities(ctx context.Context, plan dnssecModel, diags *diag.Diagnostics) {
	zone := regfish.Hostname(plan.Zone.ValueString())
	z, err := r.data.client.GetZone(ctx, zone)
	if regfish.IsNotFound(err) {
		zones, lerr := r.data.client.ListZones(ctx)
		if lerr == nil {
			diags.AddAttributeError(path.Root("zone"), "DNS Zone Not Found", zoneNotFoundDetail("zone", zone, zones))
		}
		return
	}
	if err != nil {
		if !r.data.apiKeyProblem(err, diags) {
			tflog.Debug(ctx, "regfish: could not read the DNS zone at plan time", map[string]any{"zone": zone, "error": err.Error()})
		}
		return
	}
	if z.DNSSEC == nil || z.DNSSEC.Capabilities == nil || plan.Mode.IsUnknown() || plan.Enabled.IsUnknown() {
		return
	}
	c := z.DNSSEC.Capabilities
	mode, enabled := plan.Mode.ValueString(), plan.wantState() == regfish.DNSSECEnabled
	refuse := func(p path.Path, msg string) {
		diags.AddAttributeError(p, "DNSSEC Not Available for Zone "+zone, fmt.Sprintf("Zone %s: %s (the zone's DNSSEC capabilities: %s).", zone, msg, capabilitiesText(c)))
	}
	switch {
	case enabled && !c.Supported:
		refuse(path.Root("enabled"), "regfish does not support DNSSEC for this zone")
		return
	case mode == regfish.DNSSECModeRegfish && !c.ModeRegfishAvailable:
		refuse(path.Root("mode"), "mode \"regfish\" is not available; use mode \"external\" with the records of the zone's signer if that is available")
		return
	case mode == regfish.DNSSECModeExternal && !c.ModeExternalAvailable:
		refuse(path.Root("mode"), "mode \"external\" is not available; use mode \"regfish\" if that is available")
		return
	}
	recs, known, _ := plan.records(ctx)
	if mode != regfish.DNSSECModeExternal || !enabled || !known {
		return
	}
	if len(recs) < c.MinRecords {
		refuse(path.Root("records"), fmt.Sprintf("it needs at least %d record(s), the configuration has %d", c.MinRecords, len(recs)))
	}
	for i, rec := range recs {
		p := path.Root("records").AtListIndex(i)
		if k := rec.Kind.ValueString(); !rec.Kind.IsUnknown() && len(c.AcceptedRecordKinds) > 0 && !slices.ContainsFunc(c.AcceptedRecordKinds, func(a string) bool { return strings.EqualFold(a, k) }) {
			refuse(p.AtName("kind"), fmt.Sprintf("record %d: kind %q is not accepted", i+1, k))
		}
		if a := rec.Algorithm; !a.IsUnknown() && !a.IsNull() && len(c.KnownAlgorithms()) > 0 && !slices.Contains(c.KnownAlgorithms(), regfish.DNSSECNum(a.ValueInt64())) {
			refuse(p.AtName("algorithm"), fmt.Sprintf("record %d: algorithm %d is not accepted", i+1, a.ValueInt64()))
		}
	}
}

// capabilitiesText describes a zone's DNSSEC capabilities.
func capabilitiesText(c *regfish.DNSSECCapabilities) string {
	if c == nil {
		return "not reported"
	}
	var modes []string
	if c.ModeRegfishAvailable {
		modes = append(modes, regfish.DNSSECModeRegfish)
	}
	if c.ModeExternalAvailable {
		modes = append(modes, regfish.DNSSECModeExternal)
	}
	algs := make([]string, 0, len(c.AcceptedAlgorithms))
	for _, a := range c.AcceptedAlgorithms {
		algs = append(algs, strconv.FormatInt(int64(a), 10))
	}
	return fmt.Sprintf("supported %t, modes %s, record kinds %s, at least %d record(s), algorithms %s", c.Supported, orNone(modes),
		orNone(c.AcceptedRecordKinds), c.MinRecords, orNone(algs))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none listed"
	}
	return strings.Join(s, ", ")
}
