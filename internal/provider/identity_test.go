package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// Resource identity needs Terraform 1.12 or later; on older binaries these
// tests skip (the import tests by id string cover them).
var needsIdentity = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)}

// identityIsID checks that the identity of addr is its id.
func identityIsID(addr string) statecheck.StateCheck {
	return statecheck.ExpectIdentityValueMatchesState(addr, tfjsonpath.New("id"))
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
