package simulator

import (
	"reflect"
	"testing"
)

func TestRegistrableDomain(t *testing.T) {
	for in, want := range map[string]string{
		"www.example.com":     "example.com",
		"a.b.c.example.com":   "example.com",
		"example.com":         "example.com",
		"shop.example.co.uk":  "example.co.uk",
		"example.co.uk":       "example.co.uk",
		"co.uk":               "co.uk",
		"com":                 "com",
		"x.y.example.com.au":  "example.com.au",
		"a.b.github.io":       "github.io", // PRIVATE section ignored (CA/B ballot 129)
		"x.nope.test":         "nope.test", // unlisted top-level label
		"test":                "test",
		"www.example.de":      "example.de",
		"deep.sub.example.jp": "example.jp",
	} {
		if got := registrableDomain(in); got != want {
			t.Errorf("registrableDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDCVRecordsByScope(t *testing.T) {
	names := []string{"www.example.com", "api.example.com", "*.shop.example.co.uk", "shop.example.co.uk", "EXAMPLE.org."}
	for scope, want := range map[string][]string{
		DCVScopeRegistrableDomain: {"_dnsauth.example.com.", "_dnsauth.example.co.uk.", "_dnsauth.example.org."},
		DCVScopePerName:           {"_dnsauth.www.example.com.", "_dnsauth.api.example.com.", "_dnsauth.shop.example.co.uk.", "_dnsauth.example.org."},
		"":                        {"_dnsauth.www.example.com.", "_dnsauth.api.example.com.", "_dnsauth.shop.example.co.uk.", "_dnsauth.example.org."},
	} {
		var got []string
		for _, r := range dcvRecords(names, "0123", scope) {
			if r.Type != "CNAME" || r.Value != "0123.dcv.digicert.com." {
				t.Errorf("scope %q: record %+v", scope, r)
			}
			got = append(got, r.Name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("scope %q: %v, want %v", scope, got, want)
		}
	}
	if err := checkDCVScope("per-domain"); err == nil {
		t.Error("unknown scope accepted")
	}
}
