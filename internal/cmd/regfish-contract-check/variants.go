package main

import (
	"fmt"
	"slices"
	"strings"
)

// variantTable is the simulator's variants (internal/simulator, VariantList):
// each key with its values, the default first. It is a copy, so that this
// program does not carry the simulator; TestVariantTableMatchesSimulator
// keeps the two equal.
var variantTable = []struct {
	Key    string
	Values []string
}{
	{"ratelimit-headers", []string{"policy", "policy-retry-after", "draft"}},
	{"error-envelope", []string{"documented", "legacy", "full"}},
	{"zone-not-found", []string{"404", "200"}},
	{"annotation", []string{"echoed", "dropped"}},
	{"cname-conflict", []string{"409", "400", "417"}},
	{"cancel", []string{"served", "missing", "refused"}},
	{"revoke", []string{"served", "missing", "refused"}},
	{"complete", []string{"mixed", "400", "403", "404", "409", "422"}},
	{"org-edit", []string{"in-place", "replace"}},
	{"product-type", []string{"lower", "upper"}},
	{"role-denied", []string{"403", "401"}},
	{"download-not-ready", []string{"409", "404"}},
	{"contract-window", []string{"at-issue", "at-order"}},
	{"dnssec-refused", []string{"422", "400", "409"}},
}

// Detection is what the answers say about one simulator variant.
type Detection struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
	// Readable: GET requests can tell (some of) the values apart.
	Readable bool `json:"readable"`
	// Matches are the values the answers are consistent with: one when
	// Told, several when the reads cannot separate them, none when the
	// account answers like no value (or, not Readable, nothing was read).
	Matches []string `json:"matches"`
	// Told: exactly one value matches.
	Told bool   `json:"told"`
	Why  string `json:"why"`
}

// writeOnly are the variants only a write (or a second key) would show.
var writeOnly = map[string]string{
	"cname-conflict":     "it needs a write: a record created beside a CNAME",
	"cancel":             "it needs a write: cancelling an order (POST /tls/certificate/{id}/cancel)",
	"revoke":             "it needs a write: revoking a certificate (POST /tls/certificate/{id}/revoke)",
	"complete":           "it needs a write: POST /tls/certificate/{id}/complete refused for a wrong organization or order state",
	"org-edit":           "it needs a write: an edit of an organization (PATCH /tls/organization/{id})",
	"contract-window":    "it needs an order that is not issued yet, to read (GET /tls/certificate/{id}); a read-only check cannot place one",
	"download-not-ready": "it needs an order that is not issued yet, to download (GET /tls/certificate/{id}/download/pem); a read-only check cannot place one",
	"dnssec-refused":     "it needs a write: a DNSSEC change the zone's capabilities do not allow (PUT /dns/{domain}/dnssec)",
}

func detectVariants(o *observations) []Detection {
	out := make([]Detection, 0, len(variantTable))
	for _, v := range variantTable {
		d := Detection{Key: v.Key, Values: v.Values, Readable: true, Matches: []string{}}
		switch v.Key {
		case "ratelimit-headers":
			d.detectRateLimit(o)
		case "error-envelope":
			d.detectEnvelope(o)
		case "zone-not-found":
			d.detectZoneNotFound(o)
		case "annotation":
			d.detectAnnotation(o)
		case "product-type":
			d.detectProductType(o)
		case "role-denied":
			d.detectRoleDenied(o)
		default:
			d.Readable = false
			d.Why = writeOnly[v.Key]
			if d.Why == "" {
				d.Why = "this check does not know the variant"
			}
		}
		d.Told = len(d.Matches) == 1
		out = append(out, d)
	}
	return out
}

// all marks every value as matching: the reads cannot separate them.
func (d *Detection) all(why string) {
	d.Matches, d.Why = slices.Clone(d.Values), why
}

func (d *Detection) one(value, why string) {
	d.Matches, d.Why = []string{value}, why
}

func (d *Detection) detectRateLimit(o *observations) {
	if len(o.rateLimit) > 0 {
		d.one("draft", "a RateLimit header on the answers of "+stepList(o.rateLimit))
		return
	}
	d.Matches = []string{"policy", "policy-retry-after"}
	d.Why = "no RateLimit header on any answer; policy and policy-retry-after differ only in a 429, which a read-only check does not provoke"
}

func (d *Detection) detectEnvelope(o *observations) {
	if len(o.errorKeys) == 0 {
		d.all("cannot tell: no error answer to read")
		return
	}
	first := o.errorKeys[0].keys
	var where []int
	for _, s := range o.errorKeys {
		where = append(where, s.step)
		if s.keys != first {
			var each []string
			for _, s := range o.errorKeys {
				each = append(each, fmt.Sprintf("step %d: %s", s.step, s.keys))
			}
			d.Why = "the error answers differ: " + strings.Join(each, "; ")
			return
		}
	}
	why := first.String() + " on the error answers of " + stepList(where)
	switch first {
	case ErrorKeys{Message: true, Error: true}:
		d.one("documented", why)
	case ErrorKeys{Error: true, Code: true}:
		d.one("legacy", why)
	case ErrorKeys{Message: true, Error: true, Code: true}:
		d.one("full", why)
	default:
		d.Why = why + ": no variant answers so"
	}
}

// lacksRole marks every value as matching when the key lacks the role for
// part: nothing of it was read.
func (d *Detection) lacksRole(o *observations, part string) bool {
	if _, denied := o.denied[part]; !denied {
		return false
	}
	d.all(fmt.Sprintf("cannot tell: this key lacks the role for the %s endpoints", partName(part)))
	return true
}

func (d *Detection) detectZoneNotFound(o *observations) {
	if d.lacksRole(o, "dns") {
		return
	}
	switch o.zoneAnswer {
	case "404":
		d.one("404", "404 for a domain that is no zone")
	case "200":
		d.one("200", "200 with success:false for a domain that is no zone")
	case "":
		d.all("cannot tell: step 9 got no answer")
	default:
		d.Why = "step 9 was answered neither with 404 nor with 200 and success:false"
	}
}

// annotationNextStep is what makes the annotation variant readable.
const annotationNextStep = "create a DNS record with an annotation in the regfish Console or with the provider " +
	"(regfish_dns_record, attribute annotation), then run the check again"

func (d *Detection) detectAnnotation(o *observations) {
	if d.lacksRole(o, "dns") {
		return
	}
	switch {
	case o.annotated > 0:
		d.one("echoed", fmt.Sprintf("listed records carry an annotation (%d of %d, step 7)", o.annotated, o.records))
	case o.noZone:
		d.all("cannot tell: the account holds no DNS zone, so no records were listed; to tell, add a zone, " + annotationNextStep)
	case !o.listed:
		d.all("cannot tell: no records were listed (step 7 gave no record list)")
	default:
		d.all("cannot tell: no record carries an annotation (dropped, or none was ever created with one); to tell, " + annotationNextStep)
	}
}

func (d *Detection) detectProductType(o *observations) {
	if d.lacksRole(o, "tls") {
		return
	}
	switch o.typeCase {
	case "lower", "upper":
		d.one(o.typeCase, fmt.Sprintf("product type in %s case (%s)", o.typeCase, strings.Join(o.types, ", ")))
	case "":
		d.all("cannot tell: no product type read")
	default:
		d.Why = fmt.Sprintf("product types in mixed case (%s): no variant answers so", strings.Join(o.types, ", "))
	}
}

func (d *Detection) detectRoleDenied(o *observations) {
	for _, part := range []string{"tls", "dns"} {
		den, ok := o.denied[part]
		if !ok {
			continue
		}
		// A 401 counts as a missing role only where the other part took
		// the key (settleRefusals); a 403 always does.
		d.one(fmt.Sprint(den.Status), fmt.Sprintf("this key lacks the role for the %s endpoints: refused with %d on %s",
			partName(part), den.Status, stepList(den.Steps)))
		return
	}
	d.Readable = false
	d.Why = "this key may use the TLS and the DNS endpoints; only a key that lacks one of the roles shows how regfish refuses it"
}

// stepList is "step 7" or "steps 8, 9 and 10", in the order of the steps.
func stepList(ns []int) string {
	ns = slices.Clone(ns)
	slices.Sort(ns)
	ns = slices.Compact(ns)
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	switch len(s) {
	case 0:
		return "no step"
	case 1:
		return "step " + s[0]
	}
	return "steps " + strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
