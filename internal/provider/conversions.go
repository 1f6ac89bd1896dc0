package provider

import (
	"math/big"
	"strings"

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
