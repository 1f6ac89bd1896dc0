package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The regfish_dns_zone_dnssec resource: its type, model and schema.

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
