package order

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Spec is what a configuration asks for.
type Spec struct {
	Product      string
	CommonName   string
	DNSNames     []string // without duplicates, as configured
	CSR          string
	OrgID        string
	DCVMethod    string
	DCVEmails    []string
	ValidityDays int // 0 = API default
	// External: the DCV records are published outside this provider
	// (dcv_publisher "external"). Not part of the order, nor of its
	// fingerprint.
	External bool
	// KeepPending: cancel_on_destroy = false, a pending order this
	// configuration no longer wants is left pending instead of cancelled.
	// Not part of the order, nor of its fingerprint.
	KeepPending bool
	// KeyVersion: private_key_wo_version (0 with a csr). An order's CSR key
	// does not identify a configuration whose key is ephemeral (new on every
	// run); the version does, so it goes into the DCV records' annotation.
	// Not part of the order, nor of its fingerprint.
	KeyVersion int64
}

// names is {CN} ∪ dns_names as sorted hostnames.
func (s Spec) Names() []string { return regfish.NameSet(s.CommonName, s.DNSNames) }

// fingerprint identifies a configuration (not its CSR) across the two
// halves of a replacement.
func (s Spec) Fingerprint() string {
	h := sha256.Sum256([]byte(strings.Join([]string{strings.ToLower(s.Product), strings.Join(s.Names(), ","),
		s.OrgID, s.DCVMethod, fmt.Sprint(s.ValidityDays)}, "|")))
	return hex.EncodeToString(h[:8])
}

func (s Spec) Request() regfish.CertificateRequest {
	var sans []string
	for _, n := range s.DNSNames {
		if regfish.Hostname(n) != regfish.Hostname(s.CommonName) {
			sans = append(sans, regfish.Hostname(n))
		}
	}
	return regfish.CertificateRequest{
		SKU: s.Product, CommonName: regfish.Hostname(s.CommonName), DNSNames: sans, CSR: s.CSR,
		DCVMethod: s.DCVMethod, DCVEmails: s.DCVEmails, OrgID: s.OrgID, ValidityDays: s.ValidityDays,
	}
}

// matches reports whether an existing order was placed for spec.
func (s Spec) matches(c *regfish.Certificate) bool {
	if !strings.EqualFold(c.Product, s.Product) || !regfish.SameNames(c.Names(), s.Names()) {
		return false
	}
	if s.CommonName != "" && c.CommonName != "" && regfish.Hostname(c.CommonName) != regfish.Hostname(s.CommonName) {
		return false // the same names under another subject: another order
	}
	if s.ValidityDays != 0 && c.ValidityDays != 0 && c.ValidityDays != s.ValidityDays {
		return false
	}
	if c.Validation != nil && c.Validation.Method != "" && !strings.EqualFold(c.Validation.Method, s.DCVMethod) {
		return false
	}
	if s.OrgID != "" && c.OrganizationID != "" && string(c.OrganizationID) != s.OrgID {
		return false
	}
	return true
}
