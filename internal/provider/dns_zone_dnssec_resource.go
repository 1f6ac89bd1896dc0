package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

func (r *dnssecResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer syncIdentity(ctx, &resp.State, nil, resp.Identity, &resp.Diagnostics)
	var plan dnssecModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The object's private state never says "create": only a plan does.
	resp.Diagnostics.Append(setPrivate(ctx, resp.Private, privateDNSSEC, dnssecIntent{})...)
	timeout, d := plan.Timeouts.Create(ctx, defaultDNSSECTimeout)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = order.NameDeadline(ctx, "timeouts.create", timeout)
	r.settle(ctx, plan, timeout, func(m *dnssecModel) diag.Diagnostics { return resp.State.Set(ctx, m) }, &resp.Diagnostics)
}

func (r *dnssecResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var plan, state dnssecModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(setPrivate(ctx, resp.Private, privateDNSSEC, dnssecIntent{})...)
	// Until the zone takes the change, the state stays as it was.
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	timeout, d := plan.Timeouts.Update(ctx, defaultDNSSECTimeout)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = order.NameDeadline(ctx, "timeouts.update", timeout)
	r.settle(ctx, plan, timeout, func(m *dnssecModel) diag.Diagnostics { return resp.State.Set(ctx, m) }, &resp.Diagnostics)
}

func (r *dnssecResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var m dnssecModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	zone := regfish.Hostname(m.ID.ValueString())
	if zone == "" {
		zone = regfish.Hostname(m.Zone.ValueString())
	}
	z, err := r.data.client.GetZone(ctx, zone)
	if regfish.IsNotFound(err) {
		// A 404 from a wrong base_url must not drop the object: the zone
		// listing fails there.
		if _, zerr := r.data.AccountZones(ctx); zerr != nil {
			resp.Diagnostics.AddError("Unable to Read DNSSEC of Zone "+zone,
				fmt.Sprintf("Reading zone %s answered 404, but the account's zones could not be listed to confirm it (%v). The state is kept; check base_url and run the plan again.", zone, zerr))
			return
		}
		resp.Diagnostics.AddWarning("DNS Zone Not Found",
			fmt.Sprintf("The account has no DNS zone %s any more; its DNSSEC is removed from the state.", zone))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read DNSSEC of Zone "+zone, fmt.Sprintf("Reading zone %s: %v", zone, err))
		return
	}
	if z.DNSSEC == nil {
		resp.Diagnostics.AddError("Unable to Read DNSSEC of Zone "+zone,
			fmt.Sprintf("The detail of zone %s carries no dnssec object, so its DNSSEC is not known. The state is kept.", zone))
		return
	}
	resp.Diagnostics.Append(m.apply(ctx, zone, z.DNSSEC)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *dnssecResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m dnssecModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	zone := regfish.Hostname(m.ID.ValueString())
	if zone == "" {
		return
	}
	if rec := getPrivate[dnssecIntent](ctx, req.Private, privateDNSSEC); rec.Intent == "create" && rec.Zone == zone {
		// The delete half of a tainted object's replacement (a create that
		// timed out): the new object takes the zone over and waits for what
		// it asks for. Turning DNSSEC off here would undo it.
		tflog.Info(ctx, "regfish: DNSSEC of zone "+zone+" is handed over to the replacement, not turned off", map[string]any{"zone": zone})
		return
	}
	timeout, d := m.Timeouts.Delete(ctx, defaultDNSSECTimeout)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	off := regfish.DNSSECRequest{Mode: regfish.DNSSECModeNone, State: regfish.DNSSECDisabled}
	z, recorded, err := r.converge(order.NameDeadline(ctx, "timeouts.delete", timeout), zone, off, timeout)
	var refused *dnssecRefusedError
	switch {
	case err == nil:
	case regfish.IsNotFound(err):
		// the zone is gone, and its DNSSEC with it
	case errors.As(err, &refused):
		resp.Diagnostics.AddError("Unable to Turn DNSSEC Off for Zone "+zone,
			fmt.Sprintf("regfish did not take mode none, state disabled for zone %s: %v. The zone reads: %s. The resource stays in the state; turn DNSSEC off in the regfish Console, or run terraform destroy again.",
				zone, refused.Answer, dnssecText(zoneDNSSECOf(z))))
	case recorded:
		resp.Diagnostics.AddError("DNSSEC of Zone "+zone+" Not Off Yet",
			fmt.Sprintf("Zone %s asks for DNSSEC to be off, but it is not yet: %v (last read: %s). The resource stays in the state; run terraform destroy again to wait for it, or raise timeouts.delete.",
				zone, err, dnssecText(zoneDNSSECOf(z))))
	default:
		resp.Diagnostics.AddError("Unable to Turn DNSSEC Off for Zone "+zone, fmt.Sprintf("Zone %s: %v", zone, err))
	}
}

func (r *dnssecResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	raw := importID(ctx, req, &resp.Diagnostics)
	zone := regfish.Hostname(raw)
	if zone == "" || !zoneNameRe.MatchString(zone) {
		resp.Diagnostics.AddError("Invalid Import ID", fmt.Sprintf("Import the DNSSEC of a zone by the zone's domain, e.g. example.com; got %q.", raw))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), zone)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("zone"), zone)...)
	setImportedIdentity(ctx, zone, resp)
}
