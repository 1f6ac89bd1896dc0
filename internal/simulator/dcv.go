package simulator

import (
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// DCV record scopes (UNKNOWN choice 12).
const (
	// DCVScopeRegistrableDomain asks for one "_dnsauth.<registrable
	// domain>." record per distinct registrable domain of the order's
	// names, as the regfish OV recipe shows (the default).
	DCVScopeRegistrableDomain = "registrable-domain"
	// DCVScopePerName asks for one "_dnsauth.<name>." record per distinct
	// name of the order.
	DCVScopePerName = "per-name"
	// DCVScopeEnv is the environment variable New reads when
	// Options.DCVScope is empty, so a whole test process can run under
	// either scope.
	DCVScopeEnv = "REGFISH_SIM_DCV_SCOPE"
)

// checkDCVScope reports an unknown scope.
func checkDCVScope(scope string) error {
	switch scope {
	case DCVScopeRegistrableDomain, DCVScopePerName:
		return nil
	}
	return fmt.Errorf("unknown DCV scope %q (want %q or %q)", scope, DCVScopeRegistrableDomain, DCVScopePerName)
}

// orderScope is the scope an order or reissue was created with. Orders in
// state files written before scopes existed have none: they were per-name.
func orderScope(scope string) string {
	if scope == "" {
		return DCVScopePerName
	}
	return scope
}

// icannSuffix is the public suffix of host h according to the ICANN
// section of the public suffix list only: the CA/Browser Forum Baseline
// Requirements (ballot 129) tell CAs to ignore the PRIVATE section, so
// "a.b.github.io" has the suffix "io". An unlisted top-level label (such
// as "test") is its own suffix.
func icannSuffix(h string) string {
	suffix, icann := publicsuffix.PublicSuffix(h)
	for !icann {
		i := strings.IndexByte(suffix, '.')
		if i < 0 {
			break
		}
		suffix, icann = publicsuffix.PublicSuffix(suffix[i+1:])
	}
	return suffix
}

// registrableDomain is h's public suffix plus one label ("shop.example.co.uk"
// -> "example.co.uk"); h itself when h is a public suffix or has no label
// left of it.
func registrableDomain(h string) string {
	suffix := icannSuffix(h)
	if h == suffix || !strings.HasSuffix(h, "."+suffix) {
		return h
	}
	rest := strings.TrimSuffix(h, "."+suffix)
	return rest[strings.LastIndexByte(rest, '.')+1:] + "." + suffix
}

// dcvBase is the name a DCV record for name n is published under (without
// the "_dnsauth." label): n without a leading "*.", reduced to its
// registrable domain under DCVScopeRegistrableDomain.
func dcvBase(n, scope string) string {
	h := strings.TrimPrefix(normHost(n), "*.")
	if orderScope(scope) == DCVScopeRegistrableDomain {
		return registrableDomain(h)
	}
	return h
}

// dcvRecords lists the _dnsauth CNAMEs for names (UNKNOWN choice 12): one
// per distinct base, in the order of names, all pointing to the token.
func dcvRecords(names []string, token, scope string) []validationRecord {
	seen := map[string]bool{}
	var out []validationRecord
	for _, n := range names {
		b := dcvBase(n, scope)
		if seen[b] {
			continue
		}
		seen[b] = true
		out = append(out, validationRecord{Name: "_dnsauth." + b + ".", Type: "CNAME", Value: token + dcvSuffix})
	}
	return out
}

// dcvSatisfied reports whether every listed _dnsauth record exists as a
// CNAME to the token target (trailing dot and case do not matter).
func (s *Simulator) dcvSatisfied(names []string, token, scope string) bool {
	for _, want := range dcvRecords(names, token, scope) {
		found := false
		for _, rr := range s.records {
			if rr.Type == "CNAME" && rr.Name == want.Name && strings.EqualFold(fqdn(rr.Data), want.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// defaultEmailTargets are the usual administrative addresses of the common
// name's registrable domain (UNKNOWN choice 25).
func defaultEmailTargets(cn string) []string {
	base := registrableDomain(strings.TrimPrefix(normHost(cn), "*."))
	var out []string
	for _, u := range []string{"admin", "administrator", "hostmaster", "postmaster", "webmaster"} {
		out = append(out, u+"@"+base)
	}
	return out
}
