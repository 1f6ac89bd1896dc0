package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

var _ resource.ResourceWithUpgradeState = (*certificateResource)(nil)

// certificateSchemaVersion is the version of regfish_tls_certificate's
// state. 1 added cancel_on_destroy (default true).
const certificateSchemaVersion = 1

// UpgradeState fills the arguments a state of an earlier version lacks with
// the values that version behaved by, so that an upgrade of the provider
// plans no change: version 0 always cancelled a pending order on destroy
// (cancel_on_destroy = true).
func (r *certificateResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{
		0: {StateUpgrader: func(_ context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
			if req.RawState == nil || len(req.RawState.JSON) == 0 {
				resp.Diagnostics.AddError("Unable to Upgrade Certificate State", "The state of version 0 is not stored as JSON. This is always a bug in the provider; please report it.")
				return
			}
			var raw map[string]any
			if err := json.Unmarshal(req.RawState.JSON, &raw); err != nil {
				resp.Diagnostics.AddError("Unable to Upgrade Certificate State", "Reading the state of version 0: "+err.Error())
				return
			}
			if v, ok := raw["cancel_on_destroy"]; !ok || v == nil {
				raw["cancel_on_destroy"] = true
			}
			b, err := json.Marshal(raw)
			if err != nil {
				resp.Diagnostics.AddError("Unable to Upgrade Certificate State", err.Error())
				return
			}
			resp.DynamicValue = &tfprotov6.DynamicValue{JSON: b}
		}},
	}
}
