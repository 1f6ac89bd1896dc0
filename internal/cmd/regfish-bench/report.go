package main

import (
	"fmt"
	"sort"
	"strconv"
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

// limitBound is the least time a rate limit of limit requests per window
// lets requests take: the windows they need, less the first (which starts
// at once). 0 when they fit in one window.
func limitBound(requests, limit int, window time.Duration) time.Duration {
	if limit <= 0 || requests <= limit {
		return 0
	}
	windows := (requests + limit - 1) / limit
	return time.Duration(windows-1) * window
}

// share formats part of whole as a percentage.
func share(part, whole int) string {
	if whole == 0 {
		return "0 %"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(part)/float64(whole))
}

// scaleRow is one line of the scale table: N certificates, with the rate
// limit or without it.
type scaleRow struct {
	N                  int
	Limited            bool
	Floor, Bound, Ours time.Duration
	// StateFloor: N terraform_data holding as many state bytes per
	// instance as our certificates (StateBytes): what Terraform itself
	// spends persisting a state of that size after every resource.
	StateFloor time.Duration
	StateBytes int
	// PluginFloor: StateFloor's configuration and one data source of our
	// provider: the floor with Terraform's state writes of our size and
	// its provider process starts in it.
	PluginFloor        time.Duration
	ApplyOK, AllIssued bool
	Requests           int // API requests of the apply (plan + apply walks)
	PlanRequests       int // API requests of the no-change plan after it
	PlanEmpty          bool
	Answers429         int
	PeakRSS            int64
	Duplicates         int
}

// targets of issue 22 (make bench prints them beside each figure).
const (
	targetFloorRatio   = 3.0
	targetBoundRatio   = 1.2
	targetPlanRequests = 3
	target429Share     = 0.01
	targetRSS          = 150 << 20
	targetRSSAtN       = 1000
)

// formatScale renders the scale rows with the targets beside the figures.
func formatScale(rows []scaleRow) string {
	var out []row
	for _, r := range rows {
		limit := "none"
		if r.Limited {
			limit = "500 / 60 s"
		}
		sec := fmt.Sprintf("N=%d, limit %s", r.N, limit)
		ok := func(b bool) string {
			if !r.ApplyOK {
				return fail
			}
			return verdict(b)
		}
		out = append(out, row{sec, "apply succeeded, all issued, no duplicate order", fmt.Sprintf("%t, %t, %d duplicates", r.ApplyOK, r.AllIssued, r.Duplicates), "yes", ok(r.AllIssued && r.Duplicates == 0)})
		out = append(out, row{sec, "floor (N x terraform_data apply)", secs(r.Floor), "", info})
		bound := "-"
		if r.Limited {
			bound = secs(r.Bound) + fmt.Sprintf(" (%d requests at 500 per 60 s)", r.Requests)
		}
		out = append(out, row{sec, "bound the rate limit sets", bound, "", info})
		out = append(out, row{sec, "our apply", secs(r.Ours), "", info})
		fr := r.Ours.Seconds() / r.Floor.Seconds()
		frT, frR := fmt.Sprintf("<= %.0fx", targetFloorRatio), ok(fr <= targetFloorRatio)
		if r.Limited && r.Bound > 0 {
			frT, frR = "-", info
		}
		out = append(out, row{sec, "ratio ours / floor", fmt.Sprintf("%.1fx", fr), frT, frR})
		if r.StateFloor > 0 {
			out = append(out, row{sec, fmt.Sprintf("floor with our state size (N x terraform_data of %s each)", kib(int64(r.StateBytes))), secs(r.StateFloor), "", info})
			sr := r.Ours.Seconds() / r.StateFloor.Seconds()
			out = append(out, row{sec, "ratio ours / same-state floor", fmt.Sprintf("%.1fx", sr), fmt.Sprintf("<= %.0fx", targetFloorRatio), ok(sr <= targetFloorRatio)})
		}
		if r.PluginFloor > 0 {
			out = append(out, row{sec, "floor with our state size and the provider started (the same + 1 regfish data source)", secs(r.PluginFloor), "", info})
			pr := r.Ours.Seconds() / r.PluginFloor.Seconds()
			out = append(out, row{sec, "ratio ours / floor with our state size and the provider started", fmt.Sprintf("%.1fx", pr), fmt.Sprintf("<= %.0fx", targetFloorRatio), ok(pr <= targetFloorRatio)})
		}
		if r.Limited && r.Bound > 0 {
			br := r.Ours.Seconds() / r.Bound.Seconds()
			out = append(out, row{sec, "ratio ours / bound", fmt.Sprintf("%.2fx", br), fmt.Sprintf("<= %.1fx", targetBoundRatio), ok(br <= targetBoundRatio)})
		}
		out = append(out, row{sec, "API requests per certificate (plan + apply)", perCert(r.Requests, r.N), "", info})
		planNote := ""
		if !r.PlanEmpty {
			planNote = " (CHANGES PLANNED)"
		}
		out = append(out, row{sec, "requests of the no-change plan after it", strconv.Itoa(r.PlanRequests) + planNote, fmt.Sprintf("<= %d", targetPlanRequests), ok(r.PlanEmpty && r.PlanRequests <= targetPlanRequests)})
		out = append(out, row{sec, "429 answers", share(r.Answers429, r.Requests) + fmt.Sprintf(" (%d)", r.Answers429), "< 1 %", ok(float64(r.Answers429) < target429Share*float64(max(r.Requests, 1)))})
		rssT, rssR := "", info
		if r.N == targetRSSAtN {
			rssT, rssR = "< 150 MB", ok(r.PeakRSS > 0 && r.PeakRSS < targetRSS)
		}
		out = append(out, row{sec, "provider peak RSS", mib(r.PeakRSS), rssT, rssR})
	}
	return formatTable(out)
}
