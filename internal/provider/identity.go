package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource identity (Terraform 1.12 and later): every regfish resource is
// identified by its id, the same string `terraform import` takes, so an
// import block may say `identity = { id = "..." }` instead of an opaque id
// string, and `terraform query` can hand out import blocks.
//
// The identity follows the state's id on every return path of Create, Read
// and Update (syncIdentity). A certificate's id changes in place when a
// renewal order or a new order for changed names or product replaces the
// order (DESIGN.md: an in-place update with a new id), so its identity is
// mutable (MutableIdentity in Metadata); organizations and DNS records keep
// their id for life and the framework checks that they do.

// identityAttr is the one identity attribute.
const identityAttr = "id"

// idIdentitySchema is the identity schema of a resource identified by its id.
func idIdentitySchema(desc string) identityschema.Schema {
	return identityschema.Schema{Attributes: map[string]identityschema.Attribute{
		identityAttr: identityschema.StringAttribute{RequiredForImport: true, Description: desc},
	}}
}

// attributeGetter is a state or plan.
type attributeGetter interface {
	GetAttribute(context.Context, path.Path, any) diag.Diagnostics
}

// stateID returns the known, non-empty id of an object ("" otherwise).
func stateID(ctx context.Context, s attributeGetter) string {
	if s == nil {
		return ""
	}
	var id types.String
	if d := s.GetAttribute(ctx, path.Root("id"), &id); d.HasError() || id.IsNull() || id.IsUnknown() {
		return ""
	}
	return id.ValueString()
}

// syncIdentity sets the identity to the id of the object in state, or —
// when the state holds none (a Read that removes the object, an Update that
// failed before writing the state) — to fallback's id. Defer it first thing
// in Create, Read and Update so that no return path leaves the identity
// behind the state.
func syncIdentity(ctx context.Context, state *tfsdk.State, fallback attributeGetter, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	if identity == nil {
		return // no identity support in this Terraform
	}
	var id string
	if state != nil && !state.Raw.IsNull() {
		id = stateID(ctx, state)
	}
	if id == "" {
		id = stateID(ctx, fallback)
	}
	if id == "" {
		return
	}
	diags.Append(identity.SetAttribute(ctx, path.Root(identityAttr), id)...)
}

// importID is the id to import: the import id string, or the id of the
// identity in an import block.
func importID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) string {
	if req.ID != "" || req.Identity == nil {
		return req.ID
	}
	var id types.String
	diags.Append(req.Identity.GetAttribute(ctx, path.Root(identityAttr), &id)...)
	return strings.TrimSpace(id.ValueString())
}

// setImportedIdentity records the identity of an imported object.
func setImportedIdentity(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	if resp.Identity == nil || id == "" || resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Identity.SetAttribute(ctx, path.Root(identityAttr), id)...)
}

func (r *certificateResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("Public id of the current certificate order (e.g. 7K9QW3M2ZT8HJ). It changes with the id: " +
		"a renewal order or a new order for changed names or product gives the certificate a new id.")
}

func (r *organizationResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("Public id of the TLS organization (hdl_...).")
}

func (r *dnsRecordResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("The record id (rrid), e.g. 3236254. System-managed records (auto: true) cannot be imported.")
}
