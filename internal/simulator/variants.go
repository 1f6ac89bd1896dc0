package simulator

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// Variants are the simulator's answers where regfish's behaviour is assumed,
// not documented or observed (the "assumed" rows of CONTRACT.md). Each field
// has a default - the most plausible answer, or the observed one - and the
// other plausible answers, so that the provider's tests can run under each
// of them. An empty field is the default.
//
// Variants are set with Options.Variants, the flag -variant of regfish-sim,
// POST /_sim/settings {"variants":"key=value,..."}, or, when
// Options.Variants is empty, the environment variable VariantsEnv, so that a
// whole test process runs under a variant.
type Variants struct {
	// RateLimitHeaders: which rate-limit headers answers carry.
	// "policy" (observed): only "RateLimit-Policy: <limit>; w=<seconds>",
	// a 429 without Retry-After. "policy-retry-after": the same, a 429
	// with Retry-After. "draft": also "RateLimit: limit=, remaining=,
	// reset=" on every answer and Retry-After on a 429.
	RateLimitHeaders string
	// ErrorEnvelope: the keys of an error answer. "documented" (the v1.6.2
	// reference pages): success, message, error. "legacy" (the 2024
	// recordings): success, error, code. "full": all four.
	ErrorEnvelope string
	// ZoneNotFound: GET /dns/{domain}/rr for a domain that is not a zone
	// of the account. "404" (documented): 404 "DNS zone not found".
	// "200" (observed in 2024): 200 with success:false, code 15001.
	ZoneNotFound string
	// Annotation: whether DNS records keep the annotation they were
	// created with. "echoed" (what regfish's own client certbro relies
	// on) or "dropped" (never stored, never shown).
	Annotation string
	// CNAMEConflict: the answer to a record that would sit beside a CNAME
	// (a second CNAME at one name included). "409" (code 15005), "400"
	// (code 15004) or "417" (code 15003, the observed duplicate answer).
	CNAMEConflict string
	// Cancel: POST /tls/certificate/{id}/cancel. "served" (UNKNOWN choice
	// 2), "missing" (404 Not Found: no such path) or "refused" (403:
	// cancelling is only possible in the Console).
	Cancel string
	// Revoke: POST /tls/certificate/{id}/revoke, as Cancel (UNKNOWN
	// choice 1).
	Revoke string
	// Complete: the status of every refusal of POST
	// /tls/certificate/{id}/complete. "mixed": 400 for a missing org_id or
	// an organization not usable for ordering, 404 for an unknown
	// organization, 409 for an order that is not staged; or one status for
	// all of them: "400", "403", "404", "409", "422".
	Complete string
	// OrgEdit: PATCH /tls/organization/{id}. "in-place": the fields change
	// and the id stays, unless edit_mode is "create_replacement", which
	// creates a replacement organization with a new id. "replace": every
	// edit of a usable organization creates a replacement with a new id
	// (an organization not usable yet is edited in place).
	OrgEdit string
	// ProductType: the case of a product's type and validation_level.
	// "lower" ("dv") or "upper" ("DV", as the regfish recipe writes it).
	ProductType string
	// RoleDenied: the answer to a key without the role for an endpoint
	// (Options.Keys). "403" with the error envelope, or "401" as for a
	// wrong key.
	RoleDenied string
	// DownloadNotReady: the answer to a download of a certificate that is
	// not issued yet. "409" (what regfish's own client certbro waits on)
	// or "404" (the certificate is not there yet).
	DownloadNotReady string
	// ContractWindow: when an order's contract_valid_from/_until appear.
	// "at-issue" (the regfish pages show them on issued orders only) or
	// "at-order" (from the order's answer on, starting at the order).
	ContractWindow string
	// DNSSECRefused: the status of PUT /dns/{domain}/dnssec asking for
	// what the zone cannot do (its capabilities): "422", "400" or "409".
	DNSSECRefused string
}

// VariantsEnv is the environment variable New reads when Options.Variants
// is empty: "key=value,key=value".
const VariantsEnv = "REGFISH_SIM_VARIANTS"

// VariantInfo describes one variant: its key, its values (the default
// first) and the Variants field it sets.
type VariantInfo struct {
	Key    string
	Values []string
}

// VariantList lists every variant key with its values, the default first.
func VariantList() []VariantInfo {
	return variantInfos
}

var variantInfos = func() []VariantInfo {
	var out []VariantInfo
	for _, f := range variantFields() {
		out = append(out, VariantInfo{Key: f.key, Values: f.values})
	}
	return out
}()

type variantField struct {
	key    string
	values []string
	get    func(*Variants) *string
}

func variantFields() []variantField {
	return []variantField{
		{"ratelimit-headers", []string{"policy", "policy-retry-after", "draft"}, func(v *Variants) *string { return &v.RateLimitHeaders }},
		{"error-envelope", []string{"documented", "legacy", "full"}, func(v *Variants) *string { return &v.ErrorEnvelope }},
		{"zone-not-found", []string{"404", "200"}, func(v *Variants) *string { return &v.ZoneNotFound }},
		{"annotation", []string{"echoed", "dropped"}, func(v *Variants) *string { return &v.Annotation }},
		{"cname-conflict", []string{"409", "400", "417"}, func(v *Variants) *string { return &v.CNAMEConflict }},
		{"cancel", []string{"served", "missing", "refused"}, func(v *Variants) *string { return &v.Cancel }},
		{"revoke", []string{"served", "missing", "refused"}, func(v *Variants) *string { return &v.Revoke }},
		{"complete", []string{"mixed", "400", "403", "404", "409", "422"}, func(v *Variants) *string { return &v.Complete }},
		{"org-edit", []string{"in-place", "replace"}, func(v *Variants) *string { return &v.OrgEdit }},
		{"product-type", []string{"lower", "upper"}, func(v *Variants) *string { return &v.ProductType }},
		{"role-denied", []string{"403", "401"}, func(v *Variants) *string { return &v.RoleDenied }},
		{"download-not-ready", []string{"409", "404"}, func(v *Variants) *string { return &v.DownloadNotReady }},
		{"contract-window", []string{"at-issue", "at-order"}, func(v *Variants) *string { return &v.ContractWindow }},
		{"dnssec-refused", []string{"422", "400", "409"}, func(v *Variants) *string { return &v.DNSSECRefused }},
	}
}

// ParseVariants reads "key=value,key=value" (spaces and an empty spec
// allowed) into Variants; an unknown key or value is an error naming the
// allowed ones.
func ParseVariants(spec string) (Variants, error) {
	var v Variants
	err := v.Set(spec)
	return v, err
}

// Set applies "key=value,..." on top of v; it changes nothing on error.
func (v *Variants) Set(spec string) error {
	next := *v
	fields := variantFields()
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, val, ok := strings.Cut(item, "=")
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		i := slices.IndexFunc(fields, func(f variantField) bool { return f.key == k })
		if !ok || i < 0 {
			keys := make([]string, len(fields))
			for j, f := range fields {
				keys[j] = f.key
			}
			return fmt.Errorf("unknown simulator variant %q (want key=value with a key of %s)", item, strings.Join(keys, ", "))
		}
		if !slices.Contains(fields[i].values, val) {
			return fmt.Errorf("unknown value %q of simulator variant %s (want one of %s)", val, k, strings.Join(fields[i].values, ", "))
		}
		*fields[i].get(&next) = val
	}
	*v = next
	return nil
}

// normalise fills every empty field with its default.
func (v *Variants) normalise() {
	for _, f := range variantFields() {
		if p := f.get(v); *p == "" {
			*p = f.values[0]
		}
	}
}

// String is the spec of the non-default variants ("" when all are
// default), in key order.
func (v Variants) String() string {
	var out []string
	for _, f := range variantFields() {
		if p := f.get(&v); *p != "" && *p != f.values[0] {
			out = append(out, f.key+"="+*p)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// Map is every variant's value by key (defaults included).
func (v Variants) Map() map[string]string {
	v.normalise()
	out := map[string]string{}
	for _, f := range variantFields() {
		out[f.key] = *f.get(&v)
	}
	return out
}

// variantsFromEnv is the environment's variants, for New.
func variantsFromEnv() (Variants, error) {
	v, err := ParseVariants(os.Getenv(VariantsEnv))
	if err != nil {
		return v, fmt.Errorf("%s: %w", VariantsEnv, err)
	}
	return v, nil
}
