package provider

import (
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// FuzzCheckCSR feeds arbitrary text as a CSR to the plan-time validation
// and to the helpers that read CSRs and downloaded chains: no input may
// make them panic.
func FuzzCheckCSR(f *testing.F) {
	f.Add(testutil.NewCSR(f, "www.example.com", "api.example.com").PEM, "www.example.com", "api.example.com")
	f.Add("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "a.example.com", "")
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "", "*.example.com")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, csr, cn, san string) {
		_ = order.CheckCSR(csr, cn, []string{san})
		_ = order.CSRKeyFingerprint(csr)
		_, _ = order.ParseChain("X", []byte(csr))
	})
}
