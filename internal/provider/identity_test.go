package provider

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// Resource identity needs Terraform 1.12 or later; on older binaries these
// tests skip (the import tests by id string cover them).
var needsIdentity = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)}

// identityIsID checks that the identity of addr is its id.
func identityIsID(addr string) statecheck.StateCheck {
	return statecheck.ExpectIdentityValueMatchesState(addr, tfjsonpath.New("id"))
}

// A certificate is imported by identity; its identity follows the id when
// a names change places a new order in place (a mutable identity).
func TestAccCertificate_IdentityImportAndNewOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr1, _ := csrHCL(t, "id.example.com")
	csr2, _ := csrHCL(t, "id.example.com", "www.id.example.com")
	var firstID string
	e.test(resource.TestCase{TerraformVersionChecks: needsIdentity, Steps: []resource.TestStep{
		{
			Config:            e.config(certConfig("RapidSSL", "id.example.com", nil, csr1, "")),
			ConfigStateChecks: []statecheck.StateCheck{identityIsID(certAddr)},
			Check:             capture(&firstID, "id"),
		},
		{
			// an import block with identity = { id = ... }; without csr the
			// import is a no-op (the API never returns the CSR)
			Config: e.config(`
resource "regfish_tls_certificate" "www" {
  product     = "RapidSSL"
  common_name = "id.example.com"
}
`),
			ResourceName:    certAddr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
			ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("status"), knownvalue.StringExact("issued")),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("common_name"), knownvalue.StringExact("id.example.com")),
			}},
		},
		{
			// new names: a new order in place, a new id, and the identity with it
			Config: e.config(certConfig("RapidSSL", "id.example.com", []string{"www.id.example.com"}, csr2, "")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{identityIsID(certAddr)},
			Check:             notSame(&firstID, "id"),
		},
	}})
}

func TestAccOrganization_IdentityImport(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	const addr = "regfish_tls_organization.acme"
	e.test(resource.TestCase{TerraformVersionChecks: needsIdentity, Steps: []resource.TestStep{
		{
			Config:            e.config(testAccOrganizationConfig("Example GmbH", "Berlin")),
			ConfigStateChecks: []statecheck.StateCheck{identityIsID(addr)},
		},
		{
			ResourceName:    addr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
			ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("ready")),
			}},
		},
		{
			Config: e.config(testAccOrganizationConfig("Example GmbH", "Berlin") + `
resource "regfish_tls_organization" "other" {
  organization = "Other GmbH"
  first_name   = "Bo"
  last_name    = "Other"
  address      = "Musterstrasse 2"
  postal_code  = "10115"
  city         = "Berlin"
  country_code = "DE"
  phone        = "+49 30 7654321"
  email        = "bo@example.com"
}
` + importByIdentity("regfish_tls_organization.other", "hdl_NOT/AN/ID")),
			PlanOnly:    true,
			ExpectError: errRe(`Invalid Import ID.*hdl_NOT/AN/ID`),
		},
	}})
}

// importByIdentity is an import block with an identity for the resource at
// addr.
func importByIdentity(addr, id string) string {
	return fmt.Sprintf(`
import {
  to       = %s
  identity = { id = %q }
}
`, addr, id)
}

// DNS records are imported by identity; a system-managed record cannot be,
// whichever way it is imported.
func TestAccDNSRecord_IdentityImport(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	const addr = "regfish_dns_record.www"
	nsID := e.sim.AddSystemRecord("example.com", "NS", "ns1.regfish.de")
	cfg := e.config(`
resource "regfish_dns_record" "www" {
  name = "www.example.com"
  type = "A"
  data = "192.0.2.10"
}
`)
	e.test(resource.TestCase{TerraformVersionChecks: needsIdentity, Steps: []resource.TestStep{
		{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{identityIsID(addr)}},
		{
			ResourceName:    addr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
		},
		{
			Config: cfg + `
resource "regfish_dns_record" "ns" {
  name = "example.com"
  type = "NS"
  data = "ns1.regfish.de"
  ttl  = 86400
}
` + importByIdentity("regfish_dns_record.ns", strconv.FormatInt(nsID, 10)),
			PlanOnly:    true,
			ExpectError: errRe(`System-Managed DNS Record Cannot Be Imported`),
		},
	}})
}
