package provider

import (
	"context"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
)

// Value conversions between the API's plain values and Terraform's.

func orNil(err error, otherwise string) string {
	if err != nil {
		return err.Error()
	}
	return otherwise
}

// normalSerial respells a serial held in the state as SerialText does
// (states written before kept no leading zeros); anything else unchanged.
func normalSerial(v types.String) types.String {
	if v.IsNull() || v.IsUnknown() {
		return v
	}
	n, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimSpace(v.ValueString()), ":", ""), 16)
	if !ok {
		return v
	}
	return types.StringValue(order.SerialText(n))
}

func setStrings(ctx context.Context, s types.Set) []string {
	if s.IsNull() || s.IsUnknown() {
		return nil
	}
	var out []string
	s.ElementsAs(ctx, &out, false)
	return out
}

func strOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func parseTime(s types.String) time.Time {
	t, _ := time.Parse(time.RFC3339, s.ValueString())
	return t
}

func valueOr(v maybe[string], unknown string) string {
	if !v.Known {
		return unknown
	}
	return v.V
}

func joinQuoted(vals []string) string { return "`" + strings.Join(vals, "`, `") + "`" }
