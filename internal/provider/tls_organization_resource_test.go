package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func testAccOrganizationConfig(name, city string) string {
	return fmt.Sprintf(`
resource "regfish_tls_organization" "acme" {
  organization = %q
  first_name   = "Ada"
  last_name    = "Admin"
  address      = "Musterstrasse 1"
  postal_code  = "10115"
  city         = %q
  country_code = "DE"
  phone        = "+49 30 1234567"
  email        = "admin@example.com"
}
`, name, city)
}

func TestAccOrganization_basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	var firstID string
	e.test(resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			// regfish cannot delete organizations: destroy only forgets them.
			if _, err := e.sim.Client(t).GetOrganization(ctxBG, firstID); err != nil {
				return fmt.Errorf("organization %s should stay in the account: %v", firstID, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: e.config(testAccOrganizationConfig("Example GmbH", "Berlin")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^hdl_[0-9A-Z]{13}$`))),
					statecheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("status"), knownvalue.StringExact("ready")),
					statecheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("usable_for_ordering"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("regfish_tls_organization.acme", tfjsonpath.New("name"), knownvalue.StringExact("Example GmbH")),
				},
				Check: resource.TestCheckResourceAttrWith("regfish_tls_organization.acme", "id", func(v string) error { firstID = v; return nil }),
			},
			{
				ResourceName:      "regfish_tls_organization.acme",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// no API can change an organization: a change is a replacement
				Config: e.config(testAccOrganizationConfig("Example GmbH", "Hamburg")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("regfish_tls_organization.acme", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.TestCheckResourceAttrWith("regfish_tls_organization.acme", "id", func(v string) error {
					if v == firstID {
						return fmt.Errorf("id did not change on replacement")
					}
					return nil
				}),
			},
		},
	})
}

func TestAccOrganization_validation(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	bad := func(field, value, want string) resource.TestStep {
		fields := map[string]string{"organization": "X", "first_name": "A", "last_name": "B", "address": "C", "postal_code": "1",
			"city": "D", "country_code": "DE", "phone": "+49 30 1234567", "email": "a@example.com"}
		fields[field] = value
		body := ""
		for k, v := range fields {
			body += fmt.Sprintf("  %s = %q\n", k, v)
		}
		return resource.TestStep{
			Config:      e.config("resource \"regfish_tls_organization\" \"x\" {\n" + body + "}"),
			PlanOnly:    true,
			ExpectError: errRe(want),
		}
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		bad("country_code", "Germany", `(?s)country_code.*ISO 3166-1`),
		bad("email", "nobody", `(?s)email.*e-mail address`),
		bad("phone", "call me", `(?s)phone.*phone number`),
	}})
}

func TestAccOrganization_importInvalidID(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config:        e.config(testAccOrganizationConfig("Example GmbH", "Berlin")),
		ResourceName:  "regfish_tls_organization.acme",
		ImportState:   true,
		ImportStateId: "42",
		ExpectError:   errRe(`Import a TLS organization by its public id`),
	}}})
}
