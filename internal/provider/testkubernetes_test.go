package provider

import (
	"context"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// testKubernetesProvider is a provider for the tests only, standing in for
// hashicorp/kubernetes (no registry, no cluster here) under its name,
// kubernetes: kubernetes_secret_v1 with a metadata block (name, namespace —
// default "default"), type (default "Opaque"), data, and the write-only
// data_wo with data_wo_revision (data_wo is written when the resource is
// created or data_wo_revision changes), as hashicorp/kubernetes has them.
// The secrets live in secrets, by namespace/name, for the test to read.
// Only those arguments.
type testKubernetesProvider struct{ secrets *testSecrets }

// testSecrets is the stand-in's cluster: secret data by namespace/name.
type testSecrets struct {
	mu sync.Mutex
	m  map[string]map[string]string
}

func (s *testSecrets) put(key string, data map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]map[string]string{}
	}
	s.m[key] = data
}

func (s *testSecrets) get(key string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.m[key]
	return d, ok
}

func (s *testSecrets) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

func (p *testKubernetesProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "kubernetes"
}
func (p *testKubernetesProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {
}
func (p *testKubernetesProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (p *testKubernetesProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &testSecretResource{secrets: p.secrets} }}
}
func (p *testKubernetesProvider) DataSources(context.Context) []func() datasource.DataSource {
	return nil
}
func (p *testKubernetesProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return nil
}

type testSecretResource struct{ secrets *testSecrets }

type testSecretModel struct {
	ID             types.String            `tfsdk:"id"`
	Metadata       []testSecretMetadata    `tfsdk:"metadata"`
	Type           types.String            `tfsdk:"type"`
	Data           map[string]types.String `tfsdk:"data"`
	DataWO         map[string]types.String `tfsdk:"data_wo"`
	DataWORevision types.Int64             `tfsdk:"data_wo_revision"`
}

type testSecretMetadata struct {
	Name      types.String `tfsdk:"name"`
	Namespace types.String `tfsdk:"namespace"`
}

func (m testSecretModel) key() string {
	return m.Metadata[0].Namespace.ValueString() + "/" + m.Metadata[0].Name.ValueString()
}

func (r *testSecretResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "kubernetes_secret_v1"
}

func (r *testSecretResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id":               schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"type":             schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("Opaque"), PlanModifiers: replace},
			"data":             schema.MapAttribute{ElementType: types.StringType, Optional: true, Sensitive: true},
			"data_wo":          schema.MapAttribute{ElementType: types.StringType, Optional: true, WriteOnly: true},
			"data_wo_revision": schema.Int64Attribute{Optional: true},
		},
		Blocks: map[string]schema.Block{
			"metadata": schema.ListNestedBlock{
				Validators:    []validator.List{listvalidator.SizeBetween(1, 1)},
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()},
				NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
					"name":      schema.StringAttribute{Required: true},
					"namespace": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("default")},
				}},
			},
		},
	}
}

// write stores the secret: data, and data_wo when it is to be written.
func (r *testSecretResource) write(m testSecretModel, withWO bool, old map[string]string) {
	data := map[string]string{}
	if withWO {
		for k, v := range m.DataWO {
			data[k] = v.ValueString()
		}
	} else {
		for k, v := range old {
			data[k] = v
		}
	}
	for k, v := range m.Data {
		data[k] = v.ValueString()
	}
	r.secrets.put(m.key(), data)
}

func (r *testSecretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testSecretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	var cfg testSecretModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.DataWO = cfg.DataWO
	r.write(m, true, nil)
	m.ID, m.DataWO = types.StringValue(m.key()), nil
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testSecretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m testSecretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if _, ok := r.secrets.get(m.key()); !ok {
		resp.State.RemoveResource(ctx)
	}
}

func (r *testSecretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m, st, cfg testSecretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	old, _ := r.secrets.get(m.key())
	m.DataWO = cfg.DataWO
	r.write(m, !m.DataWORevision.Equal(st.DataWORevision), old)
	m.DataWO = nil
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testSecretResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m testSecretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	r.secrets.remove(m.key())
}
