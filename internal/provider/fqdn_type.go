package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// fqdnType is a string holding a DNS name. Two values that differ only in
// case or a trailing dot are semantically equal, so the API's absolute,
// lower-case form never shows up as a diff against what the user wrote.
type fqdnType struct{ basetypes.StringType }

var (
	_ basetypes.StringTypable                    = fqdnType{}
	_ basetypes.StringValuableWithSemanticEquals = fqdnValue{}
)

func (t fqdnType) Equal(o attr.Type) bool { _, ok := o.(fqdnType); return ok }
func (t fqdnType) String() string         { return "fqdnType" }

func (t fqdnType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return fqdnValue{StringValue: in}, nil
}

func (t fqdnType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	sv, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return fqdnValue{StringValue: sv}, nil
}

func (t fqdnType) ValueType(context.Context) attr.Value { return fqdnValue{} }

type fqdnValue struct{ basetypes.StringValue }

func newFqdn(s string) fqdnValue { return fqdnValue{StringValue: basetypes.NewStringValue(s)} }

func (v fqdnValue) Equal(o attr.Value) bool {
	other, ok := o.(fqdnValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

func (v fqdnValue) Type(context.Context) attr.Type { return fqdnType{} }

func (v fqdnValue) StringSemanticEquals(_ context.Context, nv basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	other, ok := nv.(fqdnValue)
	if !ok {
		diags.AddError("Semantic Equality Check Error", fmt.Sprintf("Expected fqdnValue, got %T. This is always a bug in the provider.", nv))
		return false, diags
	}
	return regfish.Fqdn(v.ValueString()) == regfish.Fqdn(other.ValueString()), diags
}
