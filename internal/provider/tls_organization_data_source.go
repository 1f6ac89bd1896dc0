package provider

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/boolvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var (
	_ datasource.DataSourceWithConfigure        = (*organizationDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*organizationDataSource)(nil)
)

// NewOrganizationDataSource is the regfish_tls_organization data source.
func NewOrganizationDataSource() datasource.DataSource { return &organizationDataSource{} }

type organizationDataSource struct{ data *providerData }

type organizationDataModel struct {
	ID                types.String `tfsdk:"id"`
	Name              types.String `tfsdk:"name"`
	UsableOnly        types.Bool   `tfsdk:"usable_only"`
	Organization      types.String `tfsdk:"organization"`
	Status            types.String `tfsdk:"status"`
	UsableForOrdering types.Bool   `tfsdk:"usable_for_ordering"`
	FirstName         types.String `tfsdk:"first_name"`
	LastName          types.String `tfsdk:"last_name"`
	Address           types.String `tfsdk:"address"`
	PostalCode        types.String `tfsdk:"postal_code"`
	City              types.String `tfsdk:"city"`
	CountryCode       types.String `tfsdk:"country_code"`
	Phone             types.String `tfsdk:"phone"`
	Email             types.String `tfsdk:"email"`
}

func (d *organizationDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_organization"
}

func (d *organizationDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up one existing TLS organization of the account (`GET /tls/organization`), typically one " +
			"vetted once in the regfish Console, by `id` or by `name` (exactly one of the two). Its `id` is what " +
			"`regfish_tls_certificate.org_id` takes.\n\n" +
			"A name lookup matches only organizations that are usable for ordering (`usable_for_ordering = true`) unless " +
			"`usable_only = false`, and fails when no organization or more than one matches; the error lists the candidates " +
			"with their ids and statuses.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Public organization id to look up, `hdl_` followed by upper-case letters and digits. " +
					"Exactly one of `id` and `name` must be set. An id lookup returns the organization whatever its status.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(orgIDRe, "must be a TLS organization id such as hdl_7K9QW3M2ZT8HJ")},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name to look up, e.g. `Example GmbH`, compared case-insensitively (surrounding " +
					"spaces ignored) with the organization's `name` (its legal `organization` name when the API sends no `name`). " +
					"Exactly one of `id` and `name` must be set.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 255)},
			},
			"usable_only": schema.BoolAttribute{
				MarkdownDescription: "For a `name` lookup: match only organizations that are usable for ordering (default: " +
					"`true`). Set it to `false` to also find organizations still being vetted or incomplete. Not allowed with `id`.",
				Optional:   true,
				Validators: []validator.Bool{boolvalidator.ConflictsWith(path.MatchRoot("id"))},
			},
			"organization":        computed("Legal name of the organization."),
			"status":              computed("Status reported by regfish, e.g. `ready`, `validated`, `pending` or `incomplete`."),
			"usable_for_ordering": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether certificate orders can be bound to this organization now."},
			"first_name":          computed("Contact first name (null when the API does not return it)."),
			"last_name":           computed("Contact last name (null when the API does not return it)."),
			"address":             computed("Street address (null when the API does not return it)."),
			"postal_code":         computed("Postal code (null when the API does not return it)."),
			"city":                computed("City (null when the API does not return it)."),
			"country_code":        computed("ISO 3166-1 alpha-2 country code in upper case (null when the API does not return it)."),
			"phone":               computed("Contact phone number (null when the API does not return it)."),
			"email":               computed("Contact e-mail address (null when the API does not return it)."),
		},
	}
}

func (d *organizationDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name"))}
}

func (d *organizationDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// orgDisplayName is the name a name lookup compares: name, else the legal name.
func orgDisplayName(o regfish.Organization) string {
	if o.Name != "" {
		return o.Name
	}
	return o.Organization
}

// maxListedOrgs bounds the candidate list in an error.
const maxListedOrgs = 20

// orgCandidates lists organizations as `hdl_X (name "N", status S,
// usable_for_ordering B)`, sorted by id, at most maxListedOrgs of them.
func orgCandidates(orgs []regfish.Organization) string {
	var parts []string
	for _, o := range orgs {
		parts = append(parts, fmt.Sprintf("%s (name %q, status %s, usable_for_ordering %t)", o.ID, orgDisplayName(o), cmp.Or(o.Status, "-"), o.UsableForOrdering))
	}
	sort.Strings(parts)
	switch {
	case len(parts) == 0:
		return "none"
	case len(parts) > maxListedOrgs:
		return strings.Join(parts[:maxListedOrgs], "; ") + fmt.Sprintf("; and %d more", len(parts)-maxListedOrgs)
	}
	return strings.Join(parts, "; ")
}

// selectOrganization picks the organization a configuration asks for, or
// says why none can be picked. The error names the argument it belongs to.
func selectOrganization(orgs []regfish.Organization, m organizationDataModel) (*regfish.Organization, path.Path, string, string) {
	if !m.ID.IsNull() {
		id := m.ID.ValueString()
		for i := range orgs {
			if string(orgs[i].ID) == id {
				return &orgs[i], path.Path{}, "", ""
			}
		}
		return nil, path.Root("id"), "TLS Organization Not Found",
			fmt.Sprintf("The account has no TLS organization with id %s. Its organizations: %s. Check the id (it is shown in the "+
				"regfish Console), or look the organization up by name.", id, orgCandidates(orgs))
	}
	name := strings.TrimSpace(m.Name.ValueString())
	usableOnly := m.UsableOnly.IsNull() || m.UsableOnly.ValueBool()
	var named, matches []regfish.Organization
	for _, o := range orgs {
		if !strings.EqualFold(strings.TrimSpace(orgDisplayName(o)), name) {
			continue
		}
		named = append(named, o)
		if !usableOnly || o.UsableForOrdering {
			matches = append(matches, o)
		}
	}
	switch {
	case len(matches) == 1:
		return &matches[0], path.Path{}, "", ""
	case len(matches) > 1:
		qualifier := ""
		if usableOnly {
			qualifier = " and usable for ordering"
		}
		return nil, path.Root("name"), "Several TLS Organizations Match",
			fmt.Sprintf("%d TLS organizations of the account are named %q%s: %s. Look the organization up by id instead.",
				len(matches), name, qualifier, orgCandidates(matches))
	case len(named) > 0:
		return nil, path.Root("name"), "No Usable TLS Organization Matches",
			fmt.Sprintf("The account has TLS organizations named %q, but none is usable for ordering yet: %s. Wait until "+
				"regfish has vetted it (status ready), complete it in the regfish Console, or set usable_only = false to read it anyway.",
				name, orgCandidates(named))
	default:
		return nil, path.Root("name"), "TLS Organization Not Found",
			fmt.Sprintf("No TLS organization of the account is named %q. Its organizations: %s. Check the name, or create the "+
				"organization with the regfish_tls_organization resource.", name, orgCandidates(orgs))
	}
}

func (m *organizationDataModel) apply(o *regfish.Organization) {
	m.ID = types.StringValue(string(o.ID))
	if m.Name.IsNull() || m.Name.IsUnknown() {
		m.Name = types.StringValue(orgDisplayName(*o))
	}
	m.Organization = strOrNull(o.Organization)
	m.Status = types.StringValue(o.Status)
	m.UsableForOrdering = types.BoolValue(o.UsableForOrdering)
	m.FirstName = strOrNull(o.FirstName)
	m.LastName = strOrNull(o.LastName)
	m.Address = strOrNull(o.Address)
	m.PostalCode = strOrNull(o.PostalCode)
	m.City = strOrNull(o.City)
	m.CountryCode = strOrNull(strings.ToUpper(o.CountryCode))
	m.Phone = strOrNull(o.Phone)
	m.Email = strOrNull(o.Email)
}

func (d *organizationDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m organizationDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	orgs, err := d.data.client.ListOrganizations(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read TLS Organizations",
			"Listing the account's TLS organizations failed: "+err.Error())
		return
	}
	org, attr, summary, detail := selectOrganization(orgs, m)
	if org == nil {
		resp.Diagnostics.AddAttributeError(attr, summary, detail)
		return
	}
	m.apply(org)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
