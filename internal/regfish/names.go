package regfish

import (
	"sort"
	"strings"
)

// Fqdn returns name in the API's absolute form: lower case with one trailing
// dot. "" stays "".
func Fqdn(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimRight(n, ".")
	if n == "" {
		return ""
	}
	return n + "."
}

// Hostname returns name lower case without trailing dot.
func Hostname(name string) string {
	return strings.TrimRight(strings.ToLower(strings.TrimSpace(name)), ".")
}

// NameSet returns {cn} ∪ sans as sorted, de-duplicated hostnames.
func NameSet(cn string, sans []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range append([]string{cn}, sans...) {
		h := Hostname(n)
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// SameNames compares two name lists as sets of hostnames.
func SameNames(a, b []string) bool {
	x, y := NameSet("", a), NameSet("", b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// InZone reports whether name is zone or lies below it.
func InZone(name, zone string) bool {
	n, z := Hostname(name), Hostname(zone)
	return z != "" && (n == z || strings.HasSuffix(n, "."+z))
}
