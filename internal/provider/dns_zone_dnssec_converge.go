package provider

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Converging a zone's DNSSEC to the configuration: the request, the wait
// for the zone to show it, and the state written from the zone.

// dnssecChangedError: the zone's DNSSEC was changed by someone else while
// the apply waited for its own change.
type dnssecChangedError struct{ Now string }

func (e *dnssecChangedError) Error() string {
	return "the zone's DNSSEC was changed by someone else while waiting: it now asks for " + e.Now
}

// dnssecText describes a zone's DNSSEC for errors and logs.
func dnssecText(d *regfish.ZoneDNSSEC) string {
	if d == nil {
		return "no dnssec object"
	}
	return fmt.Sprintf("mode %s, desired_state %s, live_state %s", cmp.Or(d.Mode, "-"), cmp.Or(d.DesiredState, "-"), cmp.Or(d.LiveState, "-"))
}

// pendingJobID names the pending job of a PUT answer ("" when none).
func pendingJobID(a *regfish.DNSSECAnswer) string {
	if a == nil || len(a.PendingJob) == 0 || string(a.PendingJob) == "null" {
		return ""
	}
	var job struct {
		ID regfish.FlexString `json:"id"`
	}
	if json.Unmarshal(a.PendingJob, &job) == nil && job.ID != "" {
		return string(job.ID)
	}
	return strings.Trim(string(a.PendingJob), `"`)
}

// dnssecRefusedError: the zone did not take the change (read back after
// the answer); Answer is what regfish answered.
type dnssecRefusedError struct{ Answer error }

func (e *dnssecRefusedError) Error() string { return "refused: " + e.Answer.Error() }

// converge asks zone for want unless it asks for it already, then waits
// until it is live. It returns the zone last read, whether the zone asks
// for want (the request is recorded there: the state may say so), and an
// error: a *dnssecRefusedError when the zone did not take it, else a
// WaitError or a read error.
func (r *dnssecResource) converge(ctx context.Context, zone string, want regfish.DNSSECRequest, timeout time.Duration) (*regfish.Zone, bool, error) {
	ctx = tflog.SetField(ctx, "zone", zone)
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	z, err := r.data.client.GetZone(wctx, zone)
	if err != nil {
		return nil, false, fmt.Errorf("reading zone %s: %w", zone, err)
	}
	job := ""
	// Switching an enabled zone from external signing to regfish's keeps
	// both states "enabled": the live records still being the external
	// ones tell that regfish's are not live yet.
	var formerLive []regfish.DNSSECRecord
	if d := z.DNSSEC; d != nil && strings.EqualFold(want.Mode, regfish.DNSSECModeRegfish) && strings.EqualFold(d.Mode, regfish.DNSSECModeExternal) {
		formerLive = d.LiveRecords
	}
	if asks(z.DNSSEC, want) {
		tflog.Info(ctx, fmt.Sprintf("regfish: zone %s asks for DNSSEC %s (mode %s) already: no new request, waiting for it to be live", zone, want.State, want.Mode),
			map[string]any{"desired_state": z.DNSSEC.DesiredState, "live_state": z.DNSSEC.LiveState})
	} else {
		ans, perr := r.data.client.SetDNSSEC(wctx, zone, want)
		// The status of a refusal is not documented (CONTRACT.md §3.1):
		// the zone read back decides whether the change was taken.
		z, err = r.data.client.GetZone(wctx, zone)
		if err != nil {
			if perr != nil {
				return nil, false, fmt.Errorf("setting DNSSEC of zone %s: %w; reading the zone back failed too: %v", zone, perr, err)
			}
			return nil, false, fmt.Errorf("reading zone %s after setting its DNSSEC: %w", zone, err)
		}
		if !asks(z.DNSSEC, want) {
			if perr == nil {
				perr = errors.New("the answer was a success, but the zone does not show the change")
			}
			return z, false, &dnssecRefusedError{Answer: perr}
		}
		if perr != nil {
			tflog.Warn(ctx, "regfish: the DNSSEC request was answered with an error, but the zone shows the change: going on", map[string]any{"error": perr.Error()})
		}
		job = pendingJobID(ans)
	}
	last := z
	_, err = r.data.Waiter().WaitOn(wctx, order.WaitSubject{Noun: "zone", Field: "zone", ID: zone}, "DNSSEC change", func(ctx context.Context) (order.WaitState, error) {
		z, err := r.data.client.GetZone(ctx, zone)
		if err != nil {
			return order.WaitState{}, err
		}
		last = z
		d := z.DNSSEC
		if d == nil {
			return order.WaitState{}, fmt.Errorf("the zone detail of %s carries no dnssec object", zone)
		}
		done := d.LiveAsAsked()
		detail := ""
		switch {
		case done && len(formerLive) > 0 && regfish.SameDNSSECRecords(d.LiveRecords, formerLive):
			done, detail = false, ", the live records are still the external signer's"
		case !done && d.Settled():
			detail = ", dnssec_state " + cmp.Or(d.DNSSECState, "-") + ", the live records not yet the desired ones"
		}
		st := order.WaitState{Done: done,
			Text:   fmt.Sprintf("desired_state %s, live_state %s, mode %s, pending job %s%s", cmp.Or(d.DesiredState, "-"), cmp.Or(d.LiveState, "-"), cmp.Or(d.Mode, "-"), cmp.Or(job, "-"), detail),
			Fields: map[string]any{"desired_state": d.DesiredState, "live_state": d.LiveState, "dnssec_state": d.DNSSECState, "mode": d.Mode, "pending_job": job}}
		if !asks(d, want) {
			return st, &dnssecChangedError{Now: dnssecText(d)}
		}
		return st, nil
	})
	return last, true, err
}

// apply copies what the zone reports into the model: mode, desired state
// and records (keeping the configuration's spelling where they are the
// same), the live state and the DS records of mode regfish.
func (m *dnssecModel) apply(ctx context.Context, zone string, d *regfish.ZoneDNSSEC) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(zone)
	if m.Zone.IsNull() || m.Zone.IsUnknown() || regfish.Hostname(m.Zone.ValueString()) != zone {
		m.Zone = types.StringValue(zone)
	}
	mode := strings.ToLower(d.Mode)
	if mode == "" {
		mode = regfish.DNSSECModeNone
	}
	m.Mode = types.StringValue(mode)
	m.Enabled = types.BoolValue(strings.EqualFold(d.DesiredState, regfish.DNSSECEnabled))
	if m.VerifyAfterApply.IsNull() || m.VerifyAfterApply.IsUnknown() {
		m.VerifyAfterApply = types.BoolValue(false)
	}
	m.LiveState = strOrNull(strings.ToLower(d.LiveState))
	if mode == regfish.DNSSECModeExternal && len(d.DesiredRecords) > 0 {
		prior, _, _ := m.records(ctx)
		priorAPI := make([]regfish.DNSSECRecord, 0, len(prior))
		for _, p := range prior {
			priorAPI = append(priorAPI, p.api())
		}
		if !sameDNSSECRecords(priorAPI, d.DesiredRecords) {
			m.Records, diags = dnssecRecordsValue(d.DesiredRecords)
		}
	} else {
		m.Records = types.ListNull(dnssecRecordType)
	}
	var ds []attr.Value
	// only once regfish signs: while a change is under way the live
	// records may still be another signer's
	if mode == regfish.DNSSECModeRegfish && strings.EqualFold(d.LiveState, regfish.DNSSECEnabled) && d.LiveAsAsked() {
		for _, rec := range d.LiveRecords {
			if !strings.EqualFold(rec.Kind, regfish.DNSSECKindDS) {
				continue
			}
			o, od := types.ObjectValue(dsRecordType.AttrTypes, map[string]attr.Value{
				"key_tag": types.Int64Value(int64(rec.KeyTag)), "algorithm": types.Int64Value(int64(rec.Algorithm)),
				"digest_type": types.Int64Value(int64(rec.DigestType)), "digest": types.StringValue(rec.Digest),
			})
			diags.Append(od...)
			ds = append(ds, o)
		}
	}
	l, ld := types.ListValue(dsRecordType, ds)
	diags.Append(ld...)
	m.DSRecords = l
	return diags
}

// dnssecRecordsValue is records as the zone lists them (an import, or a
// change made outside Terraform).
func dnssecRecordsValue(recs []regfish.DNSSECRecord) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	intOrNull := func(v regfish.DNSSECNum) types.Int64 {
		if v == 0 {
			return types.Int64Null()
		}
		return types.Int64Value(int64(v))
	}
	elems := make([]attr.Value, 0, len(recs))
	for _, r := range recs {
		o, d := types.ObjectValue(dnssecRecordType.AttrTypes, map[string]attr.Value{
			"kind": types.StringValue(strings.ToLower(r.Kind)), "algorithm": types.Int64Value(int64(r.Algorithm)),
			"key_tag": intOrNull(r.KeyTag), "digest_type": intOrNull(r.DigestType), "digest": strOrNull(r.Digest),
			"flags": intOrNull(r.Flags), "protocol": intOrNull(r.Protocol), "public_key": strOrNull(r.PublicKey),
		})
		diags.Append(d...)
		elems = append(elems, o)
	}
	l, d := types.ListValue(dnssecRecordType, elems)
	diags.Append(d...)
	return l, diags
}

// settle carries a create or update out and writes the state: nothing
// when the zone did not take the change (the caller's prior state stays),
// else what was asked for and what is live, also when the wait failed.
func (r *dnssecResource) settle(ctx context.Context, plan dnssecModel, timeout time.Duration, set func(*dnssecModel) diag.Diagnostics, diags *diag.Diagnostics) {
	zone := regfish.Hostname(plan.Zone.ValueString())
	want, d := plan.request(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	z, recorded, err := r.converge(ctx, zone, want, timeout)
	if recorded && z != nil && z.DNSSEC != nil {
		// The state holds what the zone asks for, which is this plan, and
		// what is live.
		live := plan
		diags.Append(live.apply(ctx, zone, z.DNSSEC)...)
		live.VerifyAfterApply = plan.VerifyAfterApply
		diags.Append(set(&live)...)
	}
	var refused *dnssecRefusedError
	var changed *dnssecChangedError
	switch {
	case err == nil:
	case errors.As(err, &changed):
		diags.AddError("DNSSEC of Zone "+zone+" Changed While Waiting",
			fmt.Sprintf("Zone %s was asked for DNSSEC %s with mode %s, but while this apply waited for it, someone else changed the zone's DNSSEC: it now asks for %s. "+
				"The state holds what the zone reads now; the next plan shows the difference to the configuration, and the next apply sends the configuration's DNSSEC again. "+
				"Agree on who manages this zone's DNSSEC first.", zone, want.State, want.Mode, changed.Now))
	case errors.As(err, &refused):
		diags.AddAttributeError(path.Root("mode"), "DNSSEC Change Refused for Zone "+zone,
			fmt.Sprintf("regfish did not take DNSSEC %s with mode %s for zone %s: %v. The zone reads back unchanged: %s; its DNSSEC capabilities: %s. "+
				"Nothing was changed. Ask only for what the zone's capabilities allow (the regfish_dns_zone data source shows them), or ask regfish to enable it for the zone.",
				want.State, want.Mode, zone, refused.Answer, dnssecText(zoneDNSSECOf(z)), capabilitiesText(capsOf(z))))
	case recorded:
		diags.AddError("DNSSEC of Zone "+zone+" Not Live",
			fmt.Sprintf("Zone %s asks for DNSSEC %s with mode %s, but it is not live: %v (last read: %s). The request is recorded in the state and with regfish: "+
				"the next terraform apply waits for it again without sending it anew. Raise the timeouts block to wait longer, or check the zone's DNSSEC in the regfish Console.",
				zone, want.State, want.Mode, err, dnssecText(zoneDNSSECOf(z))))
	default:
		diags.AddError("Unable to Set DNSSEC of Zone "+zone, fmt.Sprintf("Zone %s: %v. Nothing is recorded; run terraform apply again.", zone, err))
	}
}

func zoneDNSSECOf(z *regfish.Zone) *regfish.ZoneDNSSEC {
	if z == nil {
		return nil
	}
	return z.DNSSEC
}

func capsOf(z *regfish.Zone) *regfish.DNSSECCapabilities {
	if d := zoneDNSSECOf(z); d != nil {
		return d.Capabilities
	}
	return nil
}
