package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var (
	_ resource.ResourceWithConfigure   = (*organizationResource)(nil)
	_ resource.ResourceWithImportState = (*organizationResource)(nil)
	_ resource.ResourceWithIdentity    = (*organizationResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*organizationResource)(nil)
)

// NewOrganizationResource is the regfish_tls_organization resource.
func NewOrganizationResource() resource.Resource { return &organizationResource{} }

type organizationResource struct{ data *providerData }

type organizationModel struct {
	ID                types.String `tfsdk:"id"`
	Organization      types.String `tfsdk:"organization"`
	FirstName         types.String `tfsdk:"first_name"`
	LastName          types.String `tfsdk:"last_name"`
	Address           types.String `tfsdk:"address"`
	PostalCode        types.String `tfsdk:"postal_code"`
	City              types.String `tfsdk:"city"`
	CountryCode       types.String `tfsdk:"country_code"`
	Phone             types.String `tfsdk:"phone"`
	Email             types.String `tfsdk:"email"`
	EditMode          types.String `tfsdk:"edit_mode"`
	Name              types.String `tfsdk:"name"`
	Status            types.String `tfsdk:"status"`
	UsableForOrdering types.Bool   `tfsdk:"usable_for_ordering"`
}

func (r *organizationResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_organization"
	// edit_mode = "create_replacement" may hand back a replacement
	// organization with a new id, which the identity follows.
	resp.ResourceBehavior.MutableIdentity = true
}

// editModeReplacement is the one documented edit_mode of PATCH
// /tls/organization/{id} (CONTRACT.md, organizations).
const editModeReplacement = "create_replacement"

func (r *organizationResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	field := func(desc string, v ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc + " Changing it updates the organization in place.",
			Required:            true,
			Validators:          append([]validator.String{stringvalidator.LengthBetween(1, 255)}, v...),
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TLS organization: the business identity an OV or EV certificate order is bound to. " +
			"Its public id (`hdl_...`) is what `regfish_tls_certificate.org_id` takes.\n\n" +
			"A change of its fields updates the organization in place (`PATCH /tls/organization/{id}`): no new organization is " +
			"created, and certificates bound to it are untouched. With `edit_mode = \"create_replacement\"` regfish may instead " +
			"hand back a replacement organization with a new id; the plan then shows the id as known after apply, and the state " +
			"follows the id regfish answers with. regfish has no API to delete organizations: destroying the resource only " +
			"removes it from the Terraform state (the organization stays in the regfish account).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Public organization id, `hdl_` followed by upper-case letters and digits. It changes only when " +
					"an edit with `edit_mode = \"create_replacement\"` is answered with a replacement organization.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"organization": field("Legal name of the organization, e.g. `Example GmbH`."),
			"first_name":   field("Contact first name."),
			"last_name":    field("Contact last name."),
			"address":      field("Street address."),
			"postal_code":  field("Postal code."),
			"city":         field("City."),
			"country_code": field("ISO 3166-1 alpha-2 country code in upper case, e.g. `DE`.",
				stringvalidator.RegexMatches(countryRe, "must be an upper-case ISO 3166-1 alpha-2 code such as DE")),
			"phone": field("Contact phone number, e.g. `+49 30 1234567`.",
				stringvalidator.RegexMatches(phoneRe, "must be a phone number such as +49 30 1234567")),
			"email": field("Contact e-mail address.",
				stringvalidator.RegexMatches(emailRe, "must be an e-mail address")),
			"edit_mode": schema.StringAttribute{
				MarkdownDescription: "How regfish applies a change of the fields, sent with each update. Unset (the default): " +
					"the organization is edited in place and keeps its id. `create_replacement` (the one value regfish " +
					"documents): regfish may create a replacement organization with a new id, which the state then follows; " +
					"certificates bound to the old id keep it. Changing only this argument calls no API.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(editModeReplacement)},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name: the API's `name` when it sends one, else the legal name (`organization`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Status reported by regfish, e.g. `ready`, `validated` or `incomplete`.",
				Computed:            true,
			},
			"usable_for_ordering": schema.BoolAttribute{
				MarkdownDescription: "Whether certificate orders can be bound to this organization now.",
				Computed:            true,
			},
		},
	}
}

func (r *organizationResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (m *organizationModel) request() regfish.OrganizationRequest {
	return regfish.OrganizationRequest{
		Organization: m.Organization.ValueString(), FirstName: m.FirstName.ValueString(), LastName: m.LastName.ValueString(),
		Address: m.Address.ValueString(), PostalCode: m.PostalCode.ValueString(), City: m.City.ValueString(),
		CountryCode: m.CountryCode.ValueString(), Phone: m.Phone.ValueString(), Email: m.Email.ValueString(),
	}
}

// apply copies the API's organization into the model. Fields the API does
// not return keep their prior value.
func (m *organizationModel) apply(o *regfish.Organization) {
	m.ID = types.StringValue(string(o.ID))
	set := func(dst *types.String, v string) {
		if v != "" {
			*dst = types.StringValue(v)
		} else if dst.IsUnknown() {
			*dst = types.StringNull()
		}
	}
	set(&m.Organization, o.Organization)
	set(&m.FirstName, o.FirstName)
	set(&m.LastName, o.LastName)
	set(&m.Address, o.Address)
	set(&m.PostalCode, o.PostalCode)
	set(&m.City, o.City)
	set(&m.CountryCode, strings.ToUpper(o.CountryCode))
	set(&m.Phone, o.Phone)
	set(&m.Email, o.Email)
	m.Name = types.StringValue(orgDisplayName(*o))
	m.Status = types.StringValue(o.Status)
	m.UsableForOrdering = types.BoolValue(o.UsableForOrdering)
}

func (r *organizationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer syncIdentity(ctx, &resp.State, nil, resp.Identity, &resp.Diagnostics)
	var m organizationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := m.request()
	org, err := r.data.client.CreateOrganization(ctx, in)
	if errors.Is(err, regfish.ErrMaybeProcessed) {
		// The answer was lost. Adopt the organization if it was created
		// rather than creating a second one.
		if found := r.findCreated(ctx, in); found != nil {
			org, err = found, nil
		}
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create TLS Organization", fmt.Sprintf("Creating TLS organization %q: %v", in.Organization, err))
		return
	}
	m.apply(org)
	if !org.UsableForOrdering {
		resp.Diagnostics.AddWarning("TLS Organization Not Usable Yet",
			fmt.Sprintf("TLS organization %s was created with status %q and cannot be used for ordering yet. Orders bound to it stay staged until it is usable.", org.ID, org.Status))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *organizationResource) findCreated(ctx context.Context, in regfish.OrganizationRequest) *regfish.Organization {
	orgs, err := r.data.client.ListOrganizations(ctx)
	if err != nil {
		return nil
	}
	for i := len(orgs) - 1; i >= 0; i-- {
		o := orgs[i]
		if o.Organization == in.Organization && o.Email == in.Email && o.City == in.City && o.LastName == in.LastName {
			return &o
		}
	}
	return nil
}

func (r *organizationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var m organizationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, err := r.data.client.GetOrganization(ctx, m.ID.ValueString())
	if regfish.IsNotFound(err) {
		resp.Diagnostics.AddWarning("TLS Organization Not Found",
			fmt.Sprintf("TLS organization %s is no longer in the regfish account; it is removed from the state and will be planned for creation.", m.ID.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read TLS Organization", fmt.Sprintf("Reading TLS organization %s: %v", m.ID.ValueString(), err))
		return
	}
	m.apply(org)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// orgFields pairs the fields of an organization model with those of the
// API's object and of a PATCH body, in one order.
func orgFields(m *organizationModel, o *regfish.Organization, u *regfish.OrganizationUpdate) []struct {
	name  string
	model *types.String
	api   *string
	patch *string
} {
	if o == nil {
		o = &regfish.Organization{}
	}
	if u == nil {
		u = &regfish.OrganizationUpdate{}
	}
	return []struct {
		name  string
		model *types.String
		api   *string
		patch *string
	}{
		{"organization", &m.Organization, &o.Organization, &u.Organization},
		{"first_name", &m.FirstName, &o.FirstName, &u.FirstName},
		{"last_name", &m.LastName, &o.LastName, &u.LastName},
		{"address", &m.Address, &o.Address, &u.Address},
		{"postal_code", &m.PostalCode, &o.PostalCode, &u.PostalCode},
		{"city", &m.City, &o.City, &u.City},
		{"country_code", &m.CountryCode, &o.CountryCode, &u.CountryCode},
		{"phone", &m.Phone, &o.Phone, &u.Phone},
		{"email", &m.Email, &o.Email, &u.Email},
	}
}

// changedFields lists the fields whose planned value differs from the
// state's (unknown counts as changed).
func changedFields(state, plan *organizationModel) []string {
	var out []string
	sf, pf := orgFields(state, nil, nil), orgFields(plan, nil, nil)
	for i := range sf {
		if !sf[i].model.Equal(*pf[i].model) {
			out = append(out, sf[i].name)
		}
	}
	return out
}

// ModifyPlan shows what an update does: a change of the fields is an edit
// in place (the id stays), or with edit_mode = "create_replacement" an edit
// that may hand back a replacement organization (the id is known after
// apply). status and usable_for_ordering are known after apply whenever a
// field changes; a change of edit_mode alone calls no API.
func (r *organizationResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var state, plan organizationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	changed := changedFields(&state, &plan)
	if len(changed) == 0 {
		// edit_mode alone: recorded, no API call (Update keeps these)
		plan.Status, plan.UsableForOrdering = state.Status, state.UsableForOrdering
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	if slices.Contains(changed, "organization") {
		plan.Name = types.StringUnknown() // the display name follows the legal name
	}
	if plan.EditMode.IsUnknown() || plan.EditMode.ValueString() == editModeReplacement {
		plan.ID, plan.Name = types.StringUnknown(), types.StringUnknown()
		resp.Diagnostics.AddWarning("TLS Organization "+state.ID.ValueString()+" May Be Replaced",
			fmt.Sprintf("The change of %s is sent with edit_mode = %q (or an edit_mode not known until apply): regfish may answer with a "+
				"replacement organization with a new id instead of editing %s in place. The state follows the id regfish answers with. "+
				"Certificates bound to %s keep it; certificates whose org_id refers to this organization's id record the new id for their "+
				"next order, without an order now.", strings.Join(changed, ", "), editModeReplacement, state.ID.ValueString(), state.ID.ValueString()))
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// Update edits the organization in place (PATCH with the changed fields)
// and reads it back: the state follows the id the answer names and the
// fields regfish shows afterwards. A change of edit_mode alone is only
// recorded.
func (r *organizationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var state, plan organizationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	changed := changedFields(&state, &plan)
	var body regfish.OrganizationUpdate
	for _, f := range orgFields(&plan, nil, &body) {
		if slices.Contains(changed, f.name) {
			*f.patch = f.model.ValueString()
		}
	}
	if len(changed) == 0 {
		// edit_mode alone: recorded without an API call, as planned
		plan.ID, plan.Name, plan.Status, plan.UsableForOrdering = state.ID, state.Name, state.Status, state.UsableForOrdering
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	body.EditMode = plan.EditMode.ValueString()
	// The organizations before the edit: a replacement the edit creates is
	// one that was not there (needed only when its answer is lost).
	before, err := r.data.client.ListOrganizations(ctx)
	if err != nil {
		if !r.data.apiKeyProblem(err, &resp.Diagnostics) {
			resp.Diagnostics.AddError("Unable to Update TLS Organization",
				fmt.Sprintf("Listing the organizations before editing %s failed: %v. Nothing was sent; run terraform apply again.", id, err))
		}
		return
	}
	org, err := r.data.client.UpdateOrganization(ctx, id, body)
	if errors.Is(err, regfish.ErrMaybeProcessed) {
		// The answer was lost: what regfish did is read, never guessed,
		// and the edit is never sent again.
		org, err = r.findEdited(ctx, id, &plan, before)
	}
	if err != nil {
		if !r.data.apiKeyProblem(err, &resp.Diagnostics) {
			resp.Diagnostics.AddError("Unable to Update TLS Organization",
				fmt.Sprintf("Updating TLS organization %s (%s): %v. Run terraform apply again.", id, strings.Join(changed, ", "), err))
		}
		return
	}
	// Read back what regfish now shows under the answer's id. When that
	// fails, the state takes the answer: an id regfish answered with is
	// never lost.
	if back, rerr := r.data.client.GetOrganization(ctx, string(org.ID)); rerr == nil {
		org = back
	} else {
		resp.Diagnostics.AddWarning("TLS Organization "+string(org.ID)+" Not Read Back",
			fmt.Sprintf("regfish accepted the edit of %s and answered with organization %s, but reading it back failed: %v. The state holds regfish's answer; the next refresh reads it again.", id, org.ID, rerr))
	}
	want := plan
	plan.apply(org)
	if newID := string(org.ID); newID != id {
		tflog.Info(ctx, "regfish: TLS organization "+id+" was replaced by "+newID, map[string]any{"organization_id": newID})
		if !want.ID.IsUnknown() {
			resp.Diagnostics.AddError("TLS Organization "+id+" Replaced by "+newID,
				fmt.Sprintf("regfish answered the edit of %s (%s) with another organization, %s, although no edit_mode asked for a replacement. "+
					"The state now holds %s. Certificates bound to %s keep it. Set edit_mode = %q to plan such edits as possible replacements.",
					id, strings.Join(changed, ", "), newID, newID, id, editModeReplacement))
		}
	}
	var differ []string
	for i, f := range orgFields(&want, nil, nil) {
		got := orgFields(&plan, nil, nil)[i]
		if slices.Contains(changed, f.name) && !f.model.Equal(*got.model) {
			differ = append(differ, fmt.Sprintf("%s is %q, not %q", f.name, got.model.ValueString(), f.model.ValueString()))
		}
	}
	if len(differ) > 0 {
		resp.Diagnostics.AddError("TLS Organization "+string(org.ID)+" Not Updated as Planned",
			fmt.Sprintf("regfish accepted the edit of %s, but reading it back shows: %s. The state holds what regfish shows; the next plan "+
				"proposes the change again. If the organization is being vetted, check it in the regfish Console.", org.ID, strings.Join(differ, "; ")))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// findEdited finds out what an edit whose answer was lost did, from the
// organizations listed before (before) and now: the organization itself
// carrying the planned fields (edited in place), or exactly one
// organization that was not there before and carries them (a replacement
// the edit created). Anything else is an error that names what to check;
// nothing is sent again.
func (r *organizationResource) findEdited(ctx context.Context, id string, plan *organizationModel, before []regfish.Organization) (*regfish.Organization, error) {
	orgs, err := r.data.client.ListOrganizations(ctx)
	if err != nil {
		return nil, fmt.Errorf("the answer to the edit was lost, and listing the organizations to see what it did failed: %w. Check organization %s in the regfish Console before applying again", err, id)
	}
	matches := func(o *regfish.Organization) bool {
		for _, f := range orgFields(plan, o, nil) {
			if !strings.EqualFold(strings.TrimSpace(*f.api), f.model.ValueString()) {
				return false
			}
		}
		return true
	}
	existed := map[string]bool{}
	for _, o := range before {
		existed[string(o.ID)] = true
	}
	var created []regfish.Organization
	for i := range orgs {
		if string(orgs[i].ID) != id && !existed[string(orgs[i].ID)] && matches(&orgs[i]) {
			created = append(created, orgs[i])
		}
	}
	if len(created) == 1 {
		return &created[0], nil
	}
	for i := range orgs {
		if string(orgs[i].ID) == id && matches(&orgs[i]) && len(created) == 0 {
			return &orgs[i], nil
		}
	}
	return nil, fmt.Errorf("the answer to the edit was lost, and the organizations regfish lists do not show what it did "+
		"(%d new organizations carry the planned fields): check organization %s in the regfish Console before applying again", len(created), id)
}

func (r *organizationResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m organizationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	resp.Diagnostics.AddWarning("TLS Organization Left in the Account",
		fmt.Sprintf("regfish has no API to delete TLS organizations. %s was removed from the Terraform state but stays in the regfish account; delete it in the regfish Console if it is no longer needed.", m.ID.ValueString()))
}

func (r *organizationResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := importID(ctx, req, &resp.Diagnostics)
	if !orgIDRe.MatchString(id) {
		resp.Diagnostics.AddError("Invalid Import ID", fmt.Sprintf("Import a TLS organization by its public id such as hdl_7K9QW3M2ZT8HJ, got %q.", id))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	setImportedIdentity(ctx, id, resp)
}
