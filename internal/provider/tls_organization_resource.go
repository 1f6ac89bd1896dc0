package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var (
	_ resource.ResourceWithConfigure   = (*organizationResource)(nil)
	_ resource.ResourceWithImportState = (*organizationResource)(nil)
	_ resource.ResourceWithIdentity    = (*organizationResource)(nil)

	orgIDRe   = regexp.MustCompile(`^hdl_[0-9A-Z]+$`)
	countryRe = regexp.MustCompile(`^[A-Z]{2}$`)
	emailRe   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phoneRe   = regexp.MustCompile(`^\+?[0-9][0-9 ()./-]{4,30}$`)
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
	Name              types.String `tfsdk:"name"`
	Status            types.String `tfsdk:"status"`
	UsableForOrdering types.Bool   `tfsdk:"usable_for_ordering"`
}

func (r *organizationResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_organization"
}

// replaceIfKnown replaces the organization when a field that was known
// changes. regfish cannot update organizations in place. A field that is
// unknown in the state (an import from an API answer without it) is only
// recorded.
func replaceIfKnown() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !req.StateValue.IsNull() && req.StateValue.ValueString() != ""
	}, "Changing this field creates a new organization: regfish cannot update organizations in place.",
		"Changing this field creates a new organization: regfish cannot update organizations in place.")
}

func (r *organizationResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	field := func(desc string, v ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc + " Changing it replaces the organization.",
			Required:            true,
			Validators:          append([]validator.String{stringvalidator.LengthBetween(1, 255)}, v...),
			PlanModifiers:       []planmodifier.String{replaceIfKnown()},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TLS organization: the business identity an OV or EV certificate order is bound to. " +
			"Its public id (`hdl_...`) is what `regfish_tls_certificate.org_id` takes.\n\n" +
			"regfish has no API to change or delete organizations: every change replaces the organization, and destroying " +
			"the resource only removes it from the Terraform state (the organization stays in the regfish account).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Public organization id, `hdl_` followed by upper-case letters and digits.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
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
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name as returned by the API.",
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

// Update only records values the state did not know (after an import from
// an API answer without the contact fields); every real change replaces.
func (r *organizationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var plan organizationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, err := r.data.client.GetOrganization(ctx, plan.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read TLS Organization", fmt.Sprintf("Reading TLS organization %s: %v", plan.ID.ValueString(), err))
		return
	}
	plan.Name = types.StringValue(org.Name)
	plan.Status = types.StringValue(org.Status)
	plan.UsableForOrdering = types.BoolValue(org.UsableForOrdering)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
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
