package provider

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var (
	_ resource.ResourceWithConfigure      = (*dnssecResource)(nil)
	_ resource.ResourceWithImportState    = (*dnssecResource)(nil)
	_ resource.ResourceWithValidateConfig = (*dnssecResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*dnssecResource)(nil)
	_ resource.ResourceWithIdentity       = (*dnssecResource)(nil)

	// dnssecModes are the modes a configuration may ask for; mode "none"
	// is what destroying the resource asks for.
	dnssecModes       = []string{regfish.DNSSECModeRegfish, regfish.DNSSECModeExternal}
	dnssecRecordKinds = []string{regfish.DNSSECKindDS, regfish.DNSSECKindDNSKEY}
)

// defaultDNSSECTimeout bounds a wait for a DNSSEC change to go live.
const defaultDNSSECTimeout = 30 * time.Minute

// privateDNSSEC is the private-state key of the planned intent.
const privateDNSSEC = "dnssec_plan"

// dnssecIntent is what ModifyPlan records for Create, and for the delete
// half of a replacement: a create in Zone (a tainted object's replacement,
// whose delete half hands the zone over instead of turning DNSSEC off).
type dnssecIntent struct {
	Intent string `json:"intent,omitempty"`
	Zone   string `json:"zone,omitempty"`
}

// NewDNSSECResource is the regfish_dns_zone_dnssec resource.
func NewDNSSECResource() resource.Resource { return &dnssecResource{} }

type dnssecResource struct{ data *providerData }

type dnssecModel struct {
	ID               types.String   `tfsdk:"id"`
	Zone             types.String   `tfsdk:"zone"`
	Mode             types.String   `tfsdk:"mode"`
	Enabled          types.Bool     `tfsdk:"enabled"`
	Records          types.List     `tfsdk:"records"`
	VerifyAfterApply types.Bool     `tfsdk:"verify_after_apply"`
	LiveState        types.String   `tfsdk:"live_state"`
	DSRecords        types.List     `tfsdk:"ds_records"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
}

type dnssecRecordModel struct {
	Kind       types.String `tfsdk:"kind"`
	Algorithm  types.Int64  `tfsdk:"algorithm"`
	KeyTag     types.Int64  `tfsdk:"key_tag"`
	DigestType types.Int64  `tfsdk:"digest_type"`
	Digest     types.String `tfsdk:"digest"`
	Flags      types.Int64  `tfsdk:"flags"`
	Protocol   types.Int64  `tfsdk:"protocol"`
	PublicKey  types.String `tfsdk:"public_key"`
}

var (
	dnssecRecordType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"kind": types.StringType, "algorithm": types.Int64Type, "key_tag": types.Int64Type, "digest_type": types.Int64Type,
		"digest": types.StringType, "flags": types.Int64Type, "protocol": types.Int64Type, "public_key": types.StringType,
	}}
	dsRecordType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"key_tag": types.Int64Type, "algorithm": types.Int64Type, "digest_type": types.Int64Type, "digest": types.StringType,
	}}
)

func (r *dnssecResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_dns_zone_dnssec"
}

func (r *dnssecResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("The zone's domain, lower case without trailing dot (e.g. example.com).")
}

func (r *dnssecResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	optInt := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{Optional: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "DNSSEC of one DNS zone hosted on regfish DNS (`PUT /dns/{domain}/dnssec`), one resource per zone. " +
			"regfish carries a change out asynchronously (a pending job): create and update send the change and then wait, " +
			"bounded by `timeouts`, until the zone's `live_state` equals what was asked for, logging the zone, the desired " +
			"and the live state and the pending job. Destroying the resource turns DNSSEC off (mode `none`, state `disabled`) " +
			"and waits alike. A change made outside Terraform (DNSSEC turned off in the Console) shows up in the next plan.\n\n" +
			"When a wait times out the request stays recorded: the state holds what was asked for and the live state, and the next " +
			"apply waits again without sending the change anew. A change regfish refuses fails naming the zone, after the zone " +
			"is read back (regfish does not document the status of a refusal; the zone says whether the change was taken).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The zone's domain, lower case without trailing dot.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"zone": schema.StringAttribute{
				MarkdownDescription: "The zone's domain, e.g. `example.com`. Changing it replaces the resource: DNSSEC of the old zone is turned off.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(zoneNameRe, "must be a domain name such as example.com")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"mode": schema.StringAttribute{
				MarkdownDescription: "Who signs the zone: " + joinQuoted(dnssecModes) + ". `regfish` signs the zone with regfish's " +
					"key and exposes the DS records to hand to the registry in `ds_records`; `external` takes the zone's DS or DNSKEY " +
					"records from `records`. regfish's third mode, `none`, is what destroying the resource sets; the state shows " +
					"`none` when DNSSEC was turned off outside Terraform.",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(dnssecModes...)},
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether DNSSEC is on (state `enabled`) or kept configured but off (`disabled`). Default: `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
			"records": schema.ListNestedAttribute{
				MarkdownDescription: "The zone's DS or DNSKEY records, for `mode = \"external\"` only (required there while enabled). " +
					"At plan time they are checked against what the zone accepts (`capabilities`: record kinds, the least number " +
					"of records and, where regfish lists them, the algorithms).",
				Optional:   true,
				Validators: []validator.List{listvalidator.SizeAtLeast(1)},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"kind": schema.StringAttribute{Required: true, MarkdownDescription: "Record kind: " + joinQuoted(dnssecRecordKinds) + ".",
						Validators: []validator.String{stringvalidator.OneOf(dnssecRecordKinds...)}},
					"algorithm": schema.Int64Attribute{Required: true, MarkdownDescription: "DNSSEC algorithm number, e.g. `13` (ECDSA P-256 SHA-256).",
						Validators: []validator.Int64{int64validator.Between(1, 255)}},
					"key_tag": schema.Int64Attribute{Optional: true, MarkdownDescription: "Key tag (DS; required there), 1 to 65535.",
						Validators: []validator.Int64{int64validator.Between(1, 65535)}},
					"digest_type": schema.Int64Attribute{Optional: true, MarkdownDescription: "Digest type (DS; required there), e.g. `2` (SHA-256).",
						Validators: []validator.Int64{int64validator.Between(1, 255)}},
					"digest": schema.StringAttribute{Optional: true, MarkdownDescription: "Digest in hex (DS; required there). Case does not matter.",
						Validators: []validator.String{stringvalidator.RegexMatches(hexDigestRe, "must be hexadecimal")}},
					"flags":      optInt("Flags (DNSKEY; required there), e.g. `257` for a key-signing key."),
					"protocol":   optInt("Protocol (DNSKEY; required there): `3`."),
					"public_key": schema.StringAttribute{Optional: true, MarkdownDescription: "The public key in base64 (DNSKEY; required there)."},
				}},
			},
			"verify_after_apply": schema.BoolAttribute{
				MarkdownDescription: "Asks regfish to verify the configuration once it is applied (`verify_after_apply`). Sent with each change " +
					"of `mode`, `enabled` or `records`; changing it alone sends nothing (regfish does not report it back, so there is " +
					"nothing to change on the zone) and it applies with the next change. Default: `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"live_state": schema.StringAttribute{
				MarkdownDescription: "The zone's live DNSSEC state as regfish reports it (`enabled`, `disabled`). After a successful " +
					"apply it equals the state asked for; after a timed-out one it tells what is live.",
				Computed: true,
			},
			"ds_records": schema.ListNestedAttribute{
				MarkdownDescription: "With `mode = \"regfish\"` and DNSSEC live: the DS records of regfish's key, to hand to the " +
					"registry of a domain registered elsewhere. Empty otherwise.",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"key_tag":     schema.Int64Attribute{Computed: true, MarkdownDescription: "Key tag."},
					"algorithm":   schema.Int64Attribute{Computed: true, MarkdownDescription: "DNSSEC algorithm number."},
					"digest_type": schema.Int64Attribute{Computed: true, MarkdownDescription: "Digest type."},
					"digest":      schema.StringAttribute{Computed: true, MarkdownDescription: "Digest in hex, as regfish lists it."},
				}},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true,
				CreateDescription: "How long to wait until the change is live (default `30m`). When it passes, the apply fails naming " +
					"the zone and both states; the request stays recorded and the next apply waits for it again.",
				UpdateDescription: "How long an update waits until the change is live (default `30m`, not the `create` value). When it " +
					"passes, the apply fails as for create.",
				DeleteDescription: "How long to wait until DNSSEC is off (default `30m`).",
			}),
		},
	}
}

func (r *dnssecResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

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
