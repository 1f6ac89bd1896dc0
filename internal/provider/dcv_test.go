package provider

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The keys of dcv_records, predicted at plan time, under both scopes.
func TestPredictDCVNames(t *testing.T) {
	cases := []struct {
		names           []string
		registrable     []string
		perName         []string
		registrableFail bool
	}{
		{names: []string{"www.example.com"}, registrable: []string{"_dnsauth.example.com"}, perName: []string{"_dnsauth.www.example.com"}},
		{names: []string{"www.example.com", "api.example.com"}, registrable: []string{"_dnsauth.example.com"},
			perName: []string{"_dnsauth.api.example.com", "_dnsauth.www.example.com"}},
		// a wildcard and its apex share one record
		{names: []string{"*.example.com", "example.com"}, registrable: []string{"_dnsauth.example.com"}, perName: []string{"_dnsauth.example.com"}},
		{names: []string{"*.a.example.com", "b.example.org"}, registrable: []string{"_dnsauth.example.com", "_dnsauth.example.org"},
			perName: []string{"_dnsauth.a.example.com", "_dnsauth.b.example.org"}},
		// multi-label public suffixes
		{names: []string{"shop.example.co.uk", "WWW.Example.co.uk."}, registrable: []string{"_dnsauth.example.co.uk"},
			perName: []string{"_dnsauth.shop.example.co.uk", "_dnsauth.www.example.co.uk"}},
		// a public suffix has no registrable domain
		{names: []string{"co.uk"}, registrableFail: true, perName: []string{"_dnsauth.co.uk"}},
		// only the ICANN section of the public suffix list counts (github.io is a PRIVATE suffix)
		{names: []string{"a.b.github.io"}, registrable: []string{"_dnsauth.github.io"}, perName: []string{"_dnsauth.a.b.github.io"}},
		// an unlisted top-level label is its own suffix
		{names: []string{"www.shop.example.test"}, registrable: []string{"_dnsauth.example.test"}, perName: []string{"_dnsauth.www.shop.example.test"}},
	}
	for _, tc := range cases {
		got, err := order.PredictDCVNames(tc.names, order.ScopeRegistrableDomain)
		switch {
		case tc.registrableFail && (err == nil || !strings.Contains(err.Error(), `dcv_scope = "per_name"`)):
			t.Errorf("%v, registrable_domain: %v, %v; want an error naming per_name", tc.names, got, err)
		case !tc.registrableFail && (err != nil || !slices.Equal(got, tc.registrable)):
			t.Errorf("%v, registrable_domain: %v, %v; want %v", tc.names, got, err, tc.registrable)
		}
		got, err = order.PredictDCVNames(tc.names, order.ScopePerName)
		if err != nil || !slices.Equal(got, tc.perName) {
			t.Errorf("%v, per_name: %v, %v; want %v", tc.names, got, err, tc.perName)
		}
	}
}

func validation(recs ...string) *regfish.Validation {
	v := &regfish.Validation{Method: regfish.DCVMethodCNAME}
	for _, r := range recs {
		n, val, _ := strings.Cut(r, "=")
		v.DNSRecords = append(v.DNSRecords, regfish.ValidationRecord{Name: n, Type: "CNAME", Value: val})
	}
	return v
}

// dcv_records from the API's answer: the active validation wins, the
// state's values stay while nothing waits for DCV, and other names than
// predicted are a mismatch that names the scope to set.
func TestDCVRecordsValue(t *testing.T) {
	keys := []string{"_dnsauth.example.com"}
	pending := &regfish.Certificate{ID: "C", Status: "pending", Validation: validation("_dnsauth.example.com.=T1.dcv.digicert.com.")}
	v, missing, mismatch := dcvRecordsValue(pending, keys, map[string]string{"_dnsauth.example.com": "old"})
	if mismatch || len(missing) > 0 || dcvValues(v)["_dnsauth.example.com"] != "t1.dcv.digicert.com" {
		t.Errorf("pending order: %v %v %v", dcvValues(v), missing, mismatch)
	}
	reissuing := &regfish.Certificate{ID: "C", Status: "issued", Validation: validation("_dnsauth.example.com.=t1.dcv.digicert.com."),
		Reissue: &regfish.Reissue{ID: 2, Status: "pending", Validation: validation("_dnsauth.example.com.=t2.dcv.digicert.com.")}}
	if v, _, _ := dcvRecordsValue(reissuing, keys, map[string]string{"_dnsauth.example.com": "t1.dcv.digicert.com"}); dcvValues(v)["_dnsauth.example.com"] != "t2.dcv.digicert.com" {
		t.Errorf("reissue in progress: %v, want the reissue's token", dcvValues(v))
	}
	// issued after that reissue: the state's value (t2) stays, although the
	// order still shows its first validation (t1)
	reissuing.Reissue.Status = "issued"
	if v, _, _ := dcvRecordsValue(reissuing, keys, map[string]string{"_dnsauth.example.com": "t2.dcv.digicert.com"}); dcvValues(v)["_dnsauth.example.com"] != "t2.dcv.digicert.com" {
		t.Errorf("issued: %v, want the state's value", dcvValues(v))
	}
	if _, missing, _ := dcvRecordsValue(&regfish.Certificate{ID: "C", Status: "issued"}, keys, nil); !slices.Equal(missing, keys) {
		t.Errorf("issued without validation or state: missing %v", missing)
	}
	perName := &regfish.Certificate{ID: "C", Status: "pending", Validation: validation("_dnsauth.www.example.com.=t.dcv.digicert.com.", "_dnsauth.api.example.com.=t.dcv.digicert.com.")}
	v, _, mismatch = dcvRecordsValue(perName, keys, nil)
	if !mismatch || !slices.Equal(order.SortedKeys(dcvValues(v)), []string{"_dnsauth.api.example.com", "_dnsauth.www.example.com"}) {
		t.Fatalf("per-name API, registrable prediction: %v, mismatch %v", dcvValues(v), mismatch)
	}
	err := error(&order.ScopeMismatchError{ID: "C", Scope: order.ScopeRegistrableDomain, Predicted: keys, Actual: order.SortedKeys(dcvValues(v)), Names: []string{"api.example.com", "www.example.com"}})
	for _, want := range []string{"_dnsauth.api.example.com, _dnsauth.www.example.com", "dcv_scope = \"registrable_domain\" as _dnsauth.example.com",
		"regfish uses dcv_scope = \"per_name\"", "order C is kept"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("mismatch error %q does not say %q", err, want)
		}
	}
	var m *order.ScopeMismatchError
	if !errors.As(err, &m) {
		t.Error("not a *dcvScopeMismatch")
	}
}

// A map with unknown values is saved with only its known entries.
func TestKnownDCVRecords(t *testing.T) {
	full := dcvRecordsMap(map[string]string{"_dnsauth.a.example.com": "t"})
	if !knownDCVRecords(full).Equal(full) || !dcvRecordsComplete(full) {
		t.Error("a complete map changed")
	}
	partial := types.MapValueMust(validationRecordType, map[string]attr.Value{
		"_dnsauth.a.example.com": dcvRecordObject("_dnsauth.a.example.com", types.StringValue("t")),
		"_dnsauth.b.example.com": dcvRecordObject("_dnsauth.b.example.com", types.StringUnknown()),
	})
	if dcvRecordsComplete(partial) || !knownDCVRecords(partial).Equal(full) {
		t.Errorf("partial map saved as %v", knownDCVRecords(partial))
	}
	if k := knownDCVRecords(types.MapUnknown(validationRecordType)); k.IsUnknown() || len(k.Elements()) != 0 {
		t.Errorf("unknown map saved as %v", k)
	}
}
