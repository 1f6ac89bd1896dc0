package order

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// DCV scope prediction: which _dnsauth names an order needs (the keys of
// dcv_records, known at plan time), and which records it waits for now.

// The provider's dcv_scope: where the CA expects the _dnsauth records of an
// order (CONTRACT.md §2.2: assumed), which sets the keys of
// dcv_records at plan time.
const (
	// ScopeRegistrableDomain: one _dnsauth.<registrable domain> per distinct
	// registrable domain of the names (the regfish recipe).
	ScopeRegistrableDomain = "registrable_domain"
	// ScopePerName: one _dnsauth.<name> per distinct name.
	ScopePerName = "per_name"
)

var DCVScopes = []string{ScopeRegistrableDomain, ScopePerName}

// dcvRecordPrefix is the label every DCV record name starts with.
const dcvRecordPrefix = "_dnsauth."

// dcvBase is the name whose _dnsauth record validates name under scope:
// the name itself (a leading "*." stripped) or its registrable domain.
func dcvBase(name, scope string) (string, error) {
	h := strings.TrimPrefix(regfish.Hostname(name), "*.")
	if scope == ScopePerName {
		return h, nil
	}
	suffix := icannPublicSuffix(h)
	rest, ok := strings.CutSuffix(h, "."+suffix)
	if !ok || rest == "" {
		return "", fmt.Errorf("%s is itself a public suffix and has no registrable domain, so dcv_scope = %q cannot name its DCV record; use dcv_scope = %q",
			h, ScopeRegistrableDomain, ScopePerName)
	}
	return rest[strings.LastIndexByte(rest, '.')+1:] + "." + suffix, nil
}

// icannPublicSuffix is the public suffix of h by the ICANN section of the
// public suffix list alone — how the CA/Browser Forum Baseline
// Requirements define a base domain, so "a.b.github.io" has the suffix
// "io" (golang.org/x/net's EffectiveTLDPlusOne would also honour the
// PRIVATE section and say "b.github.io"). A top-level label the list does
// not know is its own suffix.
func icannPublicSuffix(h string) string {
	suffix, icann := publicsuffix.PublicSuffix(h)
	for !icann {
		_, parent, found := strings.Cut(suffix, ".")
		if !found {
			break
		}
		suffix, icann = publicsuffix.PublicSuffix(parent)
	}
	return suffix
}

// PredictDCVNames returns the names of the DCV records an order for names
// needs under scope: sorted, lower case, without a trailing dot. They are
// the keys of dcv_records, known at plan time.
func PredictDCVNames(names []string, scope string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		b, err := dcvBase(n, scope)
		if err != nil {
			return nil, err
		}
		if k := dcvRecordPrefix + b; !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ActiveDCVRecords returns the DCV records the order waits for now: those
// of a reissue in progress, else those of a pending order. nil when it
// waits for none (issued and no reissue running, staged, e-mail).
func ActiveDCVRecords(c *regfish.Certificate) []regfish.ValidationRecord {
	if c == nil {
		return nil
	}
	if r := c.Reissue; r.Active() {
		if r.Validation != nil && len(r.Validation.DNSRecords) > 0 {
			return r.Validation.DNSRecords
		}
		return nil
	}
	if c.Pending() && !c.ActionRequired && c.Validation != nil {
		return c.Validation.DNSRecords
	}
	return nil
}

// DCVRecordSet maps the CNAME records of recs by name to their targets
// (both lower case, without trailing dot). A wildcard and its apex share
// one record.
func DCVRecordSet(recs []regfish.ValidationRecord) map[string]string {
	out := map[string]string{}
	for _, v := range recs {
		if v.Type != "" && !strings.EqualFold(v.Type, "CNAME") {
			continue
		}
		out[regfish.Hostname(v.Name)] = regfish.Hostname(v.Value)
	}
	return out
}

func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ScopeMismatchError is the error when the API asks for other DCV records
// than dcv_scope predicted: it names both sets and the setting to change.
type ScopeMismatchError struct {
	ID        string
	Scope     string
	Predicted []string
	Actual    []string
	Names     []string
}

func (e *ScopeMismatchError) Error() string {
	fix := fmt.Sprintf("Set dcv_scope in the provider configuration to the scope regfish uses (%s)", strings.Join(DCVScopes, " or "))
	for _, s := range DCVScopes {
		if p, err := PredictDCVNames(e.Names, s); err == nil && s != e.Scope && slices.Equal(p, e.Actual) {
			fix = fmt.Sprintf("regfish uses dcv_scope = %q for these names: set it in the provider configuration", s)
		}
	}
	return fmt.Sprintf("the regfish API asks for the DCV records %s for certificate %s, but dcv_records was planned from the provider's dcv_scope = %q as %s. "+
		"%s, then run terraform apply again. Certificate order %s is kept: no order is placed or cancelled",
		strings.Join(e.Actual, ", "), e.ID, e.Scope, strings.Join(e.Predicted, ", "), fix, e.ID)
}
