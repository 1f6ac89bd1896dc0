package provider

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func TestAccProductsDataSource_Basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      e.config(`data "regfish_tls_products" "x" { sku = "NoSuchSSL" }`),
			ExpectError: errRe(`No product "NoSuchSSL".*Available products: RapidSSL`),
		},
		{
			Config:      e.config(`data "regfish_tls_products" "x" { validation_level = "xv" }`),
			ExpectError: errRe(`validation_level`),
		},
		{
			Config: e.config(`
data "regfish_tls_products" "all" {}
data "regfish_tls_products" "ov" { validation_level = "ov" }
data "regfish_tls_products" "one" { sku = "securesite" }
data "regfish_tls_products" "dv_noorg" {
  type                  = "dv"
  organization_required = false
}`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.regfish_tls_products.all", tfjsonpath.New("skus"), knownvalue.ListSizeExact(7)),
				statecheck.ExpectKnownValue("data.regfish_tls_products.ov", tfjsonpath.New("skus"),
					knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("TrueBusinessID"), knownvalue.StringExact("SecureSite"), knownvalue.StringExact("SSLWebServer")})),
				statecheck.ExpectKnownValue("data.regfish_tls_products.one", tfjsonpath.New("products").AtSliceIndex(0), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"sku": knownvalue.StringExact("SecureSite"), "name": knownvalue.StringExact("DigiCert Secure Site"), "type": knownvalue.StringExact("ov"),
					"ca": knownvalue.StringExact("digicert"), "recommended": knownvalue.Bool(false), "validation_level": knownvalue.StringExact("ov"),
					"organization_required": knownvalue.Bool(true), "wildcard": knownvalue.Bool(false), "max_validity_days": knownvalue.Int64Exact(199),
				})),
				statecheck.ExpectKnownValue("data.regfish_tls_products.all", tfjsonpath.New("products").AtSliceIndex(1).AtMapKey("sku"), knownvalue.StringExact("RapidSSLWildcard")),
				statecheck.ExpectKnownValue("data.regfish_tls_products.all", tfjsonpath.New("products").AtSliceIndex(1).AtMapKey("wildcard"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.regfish_tls_products.dv_noorg", tfjsonpath.New("skus"), knownvalue.ListSizeExact(4)),
			},
		},
	}})
}

// withoutFields serves the simulator but deletes the given keys from the
// JSON objects answered for GET path (the response itself, or each element
// when it is an array): an API that sends only what the contract documents.
func withoutFields(t *testing.T, e *accEnv, path string, keys ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != path {
			e.sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.sim.ServeHTTP(rec, r)
		var env map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		var resp any
		if err := json.Unmarshal(env["response"], &resp); err != nil {
			t.Errorf("simulator answer of %s: %v", path, err)
		}
		objs, ok := resp.([]any)
		if !ok {
			objs = []any{resp}
		}
		for _, o := range objs {
			if m, ok := o.(map[string]any); ok {
				for _, k := range keys {
					delete(m, k)
				}
			}
		}
		env["response"], _ = json.Marshal(resp)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(env)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// configAt is e.config with the provider pointed at srv instead of the simulator.
func (e *accEnv) configAt(srv *httptest.Server, cfg string) string {
	return strings.Replace(e.config(cfg), e.sim.URL, srv.URL, 1)
}

// An API that sends neither wildcard nor max_validity_days (the documented
// contract): wildcard comes from the SKU, max_validity_days is null.
func TestAccProductsDataSource_ContractFieldsOnly(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	srv := withoutFields(t, e, "/tls/products", "wildcard", "max_validity_days")
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.configAt(srv, `
data "regfish_tls_products" "wild" { sku = "RapidSSLWildcard" }
data "regfish_tls_products" "plain" { sku = "RapidSSL" }
`),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.regfish_tls_products.wild", tfjsonpath.New("products").AtSliceIndex(0).AtMapKey("wildcard"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue("data.regfish_tls_products.wild", tfjsonpath.New("products").AtSliceIndex(0).AtMapKey("max_validity_days"), knownvalue.Null()),
			statecheck.ExpectKnownValue("data.regfish_tls_products.plain", tfjsonpath.New("products").AtSliceIndex(0).AtMapKey("wildcard"), knownvalue.Bool(false)),
			statecheck.ExpectKnownValue("data.regfish_tls_products.plain", tfjsonpath.New("products").AtSliceIndex(0).AtMapKey("max_validity_days"), knownvalue.Null()),
		},
	}}})
}
