package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var _ datasource.DataSourceWithConfigure = (*productsDataSource)(nil)

// NewProductsDataSource is the regfish_tls_products data source.
func NewProductsDataSource() datasource.DataSource { return &productsDataSource{} }

type productsDataSource struct{ data *providerData }

type productsModel struct {
	ID                   types.String `tfsdk:"id"`
	SKU                  types.String `tfsdk:"sku"`
	ValidationLevel      types.String `tfsdk:"validation_level"`
	Type                 types.String `tfsdk:"type"`
	OrganizationRequired types.Bool   `tfsdk:"organization_required"`
	Products             types.List   `tfsdk:"products"`
	SKUs                 types.List   `tfsdk:"skus"`
}

var productAttrTypes = map[string]attr.Type{
	"sku": types.StringType, "name": types.StringType, "type": types.StringType, "ca": types.StringType,
	"recommended": types.BoolType, "validation_level": types.StringType, "organization_required": types.BoolType,
	"wildcard": types.BoolType, "max_validity_days": types.Int64Type,
}

func (d *productsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tls_products"
}

func (d *productsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The TLS product catalog (`GET /tls/products`), optionally filtered. Every filter that is set must match.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "Always `tls_products`."},
			"sku": schema.StringAttribute{
				Optional: true, MarkdownDescription: "Only the product with this SKU (compared case-insensitively), e.g. `SecureSite`.",
			},
			"validation_level": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only products of this validation level: `dv`, `ov` or `ev`.",
				Validators:          []validator.String{stringvalidator.OneOfCaseInsensitive("dv", "ov", "ev")},
			},
			"type": schema.StringAttribute{
				Optional: true, MarkdownDescription: "Only products of this type (compared case-insensitively), e.g. `dv` or `ov`.",
			},
			"organization_required": schema.BoolAttribute{
				Optional: true, MarkdownDescription: "Only products that do (`true`) or do not (`false`) need a TLS organization.",
			},
			"skus": schema.ListAttribute{
				Computed: true, ElementType: types.StringType, MarkdownDescription: "The SKUs of the matching products, in catalog order.",
			},
			"products": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The matching products, in catalog order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"sku":                   schema.StringAttribute{Computed: true, MarkdownDescription: "Order key, used as `regfish_tls_certificate.product`."},
					"name":                  schema.StringAttribute{Computed: true, MarkdownDescription: "Display name."},
					"type":                  schema.StringAttribute{Computed: true, MarkdownDescription: "Product type in lower case, e.g. `dv`, whatever case regfish sends."},
					"ca":                    schema.StringAttribute{Computed: true, MarkdownDescription: "Issuing certificate authority, e.g. `digicert`."},
					"recommended":           schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether regfish recommends the product."},
					"validation_level":      schema.StringAttribute{Computed: true, MarkdownDescription: "`dv`, `ov` or `ev`, in lower case."},
					"organization_required": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether orders need a TLS organization (`org_id`)."},
					"wildcard": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the product issues `*.` names: " +
						"the API's `wildcard` field when it sends one, else whether the SKU names a wildcard product (`RapidSSLWildcard`)."},
					"max_validity_days": schema.Int64Attribute{Computed: true, MarkdownDescription: fmt.Sprintf("The longest "+
						"`validity_days` the API accepts for the product, when the API says so (`max_validity_days`, not part of "+
						"the documented contract); **null** when it does not. A null is deliberate rather than a guessed %d: the "+
						"maximum shrinks over time (CA/B Forum lifetime limits), and leaving `regfish_tls_certificate.validity_days` "+
						"unset (or setting it to this null) orders the API's current maximum.", maxValidityDays)},
				}},
			},
		},
	}
}

func (d *productsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *productsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m productsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	all, err := d.data.client.ListProducts(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read TLS Products", err.Error())
		return
	}
	var objs []attr.Value
	var skus []attr.Value
	for _, p := range all {
		if !productMatches(p, m) {
			continue
		}
		o, diags := types.ObjectValue(productAttrTypes, map[string]attr.Value{
			"sku": types.StringValue(p.SKU), "name": types.StringValue(p.Name), "type": types.StringValue(strings.ToLower(p.Type)),
			"ca": types.StringValue(p.CA), "recommended": types.BoolValue(p.Recommended), "validation_level": types.StringValue(p.Level()),
			"organization_required": types.BoolValue(p.OrganizationRequired), "wildcard": types.BoolValue(p.SupportsWildcard()),
			"max_validity_days": maxValidityValue(p),
		})
		resp.Diagnostics.Append(diags...)
		objs = append(objs, o)
		skus = append(skus, types.StringValue(p.SKU))
	}
	if !m.SKU.IsNull() && len(objs) == 0 {
		var names []string
		for _, p := range all {
			names = append(names, p.SKU)
		}
		resp.Diagnostics.AddAttributeError(path.Root("sku"), "No Such TLS Product",
			fmt.Sprintf("No product %q matches the filters. Available products: %s.", m.SKU.ValueString(), strings.Join(names, ", ")))
		return
	}
	list, diags := types.ListValue(types.ObjectType{AttrTypes: productAttrTypes}, objs)
	resp.Diagnostics.Append(diags...)
	skuList, diags := types.ListValue(types.StringType, skus)
	resp.Diagnostics.Append(diags...)
	m.ID = types.StringValue("tls_products")
	m.Products = list
	m.SKUs = skuList
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func productMatches(p regfish.Product, m productsModel) bool {
	if !m.SKU.IsNull() && !strings.EqualFold(p.SKU, m.SKU.ValueString()) {
		return false
	}
	if !m.ValidationLevel.IsNull() && !strings.EqualFold(p.Level(), m.ValidationLevel.ValueString()) {
		return false
	}
	if !m.Type.IsNull() && !strings.EqualFold(p.Type, m.Type.ValueString()) {
		return false
	}
	if !m.OrganizationRequired.IsNull() && p.OrganizationRequired != m.OrganizationRequired.ValueBool() {
		return false
	}
	return true
}

// maxValidityValue is the product's maximum validity, null when the API
// does not send one (0 or absent).
func maxValidityValue(p regfish.Product) types.Int64 {
	if p.MaxValidityDays <= 0 {
		return types.Int64Null()
	}
	return types.Int64Value(int64(p.MaxValidityDays))
}
