package simulator

import (
	"fmt"
	"slices"
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
// CNAME to the token target (trailing dot and case do not matter). Under
// the registrable-domain scope a domain validated by any order within
// Options.DCVReuse needs no record (UNKNOWN choice 12), and a domain whose
// record is found counts as validated from now on.
func (s *Simulator) dcvSatisfied(names []string, token, scope string) bool {
	now := s.clock.Now()
	reuse := orderScope(scope) == DCVScopeRegistrableDomain && s.opts.DCVReuse > 0
	var proved []string
	for _, want := range dcvRecords(names, token, scope) {
		base := strings.TrimSuffix(strings.TrimPrefix(want.Name, "_dnsauth."), ".")
		if at, ok := s.validated[base]; reuse && ok && now.Sub(at) < s.opts.DCVReuse {
			continue
		}
		targets, err := s.resolveCNAMELocked(want.Name)
		if err != nil {
			s.logger.Printf("DCV: %v", err)
		}
		if !slices.ContainsFunc(targets, func(t string) bool { return strings.EqualFold(t, want.Value) }) {
			return false
		}
		proved = append(proved, base)
	}
	if reuse {
		for _, base := range proved {
			s.validated[base] = now
		}
		s.dirty = true
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
