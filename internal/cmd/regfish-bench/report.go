package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Pure helpers of the bench: counter arithmetic, verdicts and the table.

// row is one line of the bench table.
type row struct {
	Section, Metric, Value, Target, Result string
}

// Result values.
const (
	pass = "PASS"
	miss = "MISS"
	info = ""
	fail = "FAIL" // the measured run itself failed
)

// verdict is PASS when ok, else MISS.
func verdict(ok bool) string {
	if ok {
		return pass
	}
	return miss
}

// formatTable renders rows as a pipe table with aligned columns.
func formatTable(rows []row) string {
	head := row{"Section", "Metric", "Measured", "Target", "Result"}
	cells := func(r row) []string { return []string{r.Section, r.Metric, r.Value, r.Target, r.Result} }
	width := make([]int, 5)
	for _, r := range append([]row{head}, rows...) {
		for i, c := range cells(r) {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	line := func(cs []string) {
		b.WriteString("|")
		for i, c := range cs {
			b.WriteString(" " + c + strings.Repeat(" ", width[i]-len([]rune(c))) + " |")
		}
		b.WriteString("\n")
	}
	line(cells(head))
	sep := make([]string, 5)
	for i, w := range width {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, r := range rows {
		line(cells(r))
	}
	return b.String()
}

// diffCounts returns after - before for every key whose count changed.
func diffCounts[K comparable](before, after map[K]int) map[K]int {
	d := map[K]int{}
	for k, v := range after {
		if n := v - before[k]; n != 0 {
			d[k] = n
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok && v != 0 {
			d[k] = -v
		}
	}
	return d
}

// isControlRoute reports a simulator control route (not an API request).
func isControlRoute(route string) bool {
	_, p, _ := strings.Cut(route, " ")
	return strings.HasPrefix(p, "/_sim/") || p == "/_sim"
}

// apiTotal sums the API (non-control) requests of a route count.
func apiTotal(byRoute map[string]int) int {
	n := 0
	for r, c := range byRoute {
		if !isControlRoute(r) {
			n += c
		}
	}
	return n
}

// Routes the rows single out.
const (
	routeList      = "GET /tls/certificate"
	downloadPrefix = "GET /tls/certificate/{id}/download/" // + pem, zip, ...
)

// downloads sums the certificate downloads (any format) of a route count.
func downloads(byRoute map[string]int) int {
	n := 0
	for r, c := range byRoute {
		if strings.HasPrefix(r, downloadPrefix) {
			n += c
		}
	}
	return n
}

// sortedRoutes returns the API routes of a count, most requested first.
func sortedRoutes(byRoute map[string]int) []string {
	var rs []string
	for r, c := range byRoute {
		if c != 0 && !isControlRoute(r) {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool {
		if byRoute[rs[i]] != byRoute[rs[j]] {
			return byRoute[rs[i]] > byRoute[rs[j]]
		}
		return rs[i] < rs[j]
	})
	return rs
}

// nameSet is the canonical key of an order's names.
func nameSet(cn string, sans []string) string {
	seen := map[string]bool{}
	for _, n := range append([]string{cn}, sans...) {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		if n != "" {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// duplicates counts the live orders beyond the first for each name set:
// 0 means no name set has two live orders.
func duplicates(liveNameSets []string) int {
	n := map[string]int{}
	dup := 0
	for _, s := range liveNameSets {
		n[s]++
		if n[s] > 1 {
			dup++
		}
	}
	return dup
}

// secs formats a duration in seconds.
func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// perCert formats a count divided by n.
func perCert(count, n int) string {
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(count)/float64(n))
}

// mib formats bytes as MB (2^20).
func mib(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// kib formats bytes as kB (2^10).
func kib(b int64) string { return fmt.Sprintf("%.1f kB", float64(b)/(1<<10)) }

// parseInts parses "10,50,200".
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(f, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != f {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no number in %q", s)
	}
	return out, nil
}

// parseSections parses "apply,account" against the known sections.
func parseSections(s string, known []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		if f == "" {
			continue
		}
		if f == "all" {
			for _, k := range known {
				out[k] = true
			}
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || k == f
		}
		if !ok {
			return nil, fmt.Errorf("unknown section %q (known: %s, all)", f, strings.Join(known, ", "))
		}
		out[f] = true
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no section in %q", s)
	}
	return out, nil
}
