package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func TestAccProductsDataSource(t *testing.T) {
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
					"organization_required": knownvalue.Bool(true), "wildcard": knownvalue.Bool(false),
				})),
				statecheck.ExpectKnownValue("data.regfish_tls_products.dv_noorg", tfjsonpath.New("skus"), knownvalue.ListSizeExact(4)),
			},
		},
	}})
}
