package provider

import (
	"context"
	"crypto/sha1" //nolint:gosec // the id hashicorp/local gives a file: a hex SHA-1 of its content
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// testLocalProvider is a provider for the tests only, standing in for
// hashicorp/local (no registry here) under its name, local: local_file
// with filename and content, as hashicorp/local has them — every argument
// replaces the file, the id is the hex SHA-1 of the content, a file that
// is gone or changed on disk is removed from the state at refresh (so the
// next apply writes it again), destroy deletes it. Only those arguments.
// A relative filename is taken relative to dir, terraform's working
// directory: the working directory of a real provider's plugin process,
// which this in-process one does not share.
type testLocalProvider struct{ dir string }

func (p *testLocalProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "local"
}
func (p *testLocalProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {
}
func (p *testLocalProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (p *testLocalProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &testLocalFileResource{dir: p.dir} }}
}
func (p *testLocalProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
func (p *testLocalProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return nil
}

type testLocalFileResource struct{ dir string }

func (r *testLocalFileResource) path(m testLocalFileModel) string {
	if p := m.Filename.ValueString(); !filepath.IsAbs(p) {
		return filepath.Join(r.dir, p)
	}
	return m.Filename.ValueString()
}

type testLocalFileModel struct {
	ID       types.String `tfsdk:"id"`
	Filename types.String `tfsdk:"filename"`
	Content  types.String `tfsdk:"content"`
}

func contentID(b []byte) string {
	sum := sha1.Sum(b) //nolint:gosec // an identifier
	return hex.EncodeToString(sum[:])
}

func (r *testLocalFileResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "local_file"
}

func (r *testLocalFileResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":       schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"filename": schema.StringAttribute{Required: true, PlanModifiers: replace},
		"content":  schema.StringAttribute{Optional: true, PlanModifiers: replace},
	}}
}

func (r *testLocalFileResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testLocalFileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	content := []byte(m.Content.ValueString())
	if err := os.MkdirAll(filepath.Dir(r.path(m)), 0o777); err != nil { //nolint:gosec // hashicorp/local's default directory_permission
		resp.Diagnostics.AddError("Directory Not Made", err.Error())
		return
	}
	if err := os.WriteFile(r.path(m), content, 0o777); err != nil { //nolint:gosec // hashicorp/local's default file_permission
		resp.Diagnostics.AddError("File Not Written", err.Error())
		return
	}
	m.ID = types.StringValue(contentID(content))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *testLocalFileResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m testLocalFileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	b, err := os.ReadFile(r.path(m))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && contentID(b) != m.ID.ValueString()) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("File Not Read", err.Error())
	}
}

func (r *testLocalFileResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw // every argument replaces
}

func (r *testLocalFileResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m testLocalFileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if err := os.Remove(r.path(m)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		resp.Diagnostics.AddError("File Not Deleted", err.Error())
	}
}
