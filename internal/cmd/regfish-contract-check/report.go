package main

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the report for a person: one block per request, the
// rate-limit headers, the variants and the result.
func (rep *Report) WriteText(w io.Writer) {
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }
	p("regfish contract check of %s (GET only)\n\n", rep.BaseURL)
	for _, r := range rep.Requests {
		path := r.Path
		if r.Key == "wrong" {
			path += " (with a wrong key)"
		}
		switch {
		case r.Skipped != "":
			p("%2d. %s %s: skipped, %s\n", r.Step, r.Method, path, r.Skipped)
			continue
		case r.NoAnswer != "":
			p("%2d. %s %s: NO ANSWER\n      - %s\n", r.Step, r.Method, path, r.NoAnswer)
			continue
		case r.OK():
			p("%2d. %s %s: %d, ok\n", r.Step, r.Method, path, r.Status)
		default:
			p("%2d. %s %s: %d, MISMATCH (expected %s)\n", r.Step, r.Method, path, r.Status, r.Expected)
		}
		for _, m := range r.Mismatches {
			p("      - %s\n", m)
		}
		for _, n := range r.Notes {
			p("      %s\n", n)
		}
	}

	h := rep.Headers
	p("\nRate-limit headers over %s:\n", count(h.Answers, "answer"))
	policy := fmt.Sprintf("on %d", h.RateLimitPolicy)
	if h.Policy != "" {
		policy += fmt.Sprintf(" (%q)", h.Policy)
	}
	p("  RateLimit-Policy     %s (observed: on every answer)\n", policy)
	for _, x := range []struct {
		name string
		n    int
	}{{"RateLimit", h.RateLimit}, {"RateLimit-Remaining", h.RateLimitRemaining}, {"Retry-After", h.RetryAfter}} {
		seen := "never"
		if x.n > 0 {
			seen = fmt.Sprintf("on %d", x.n)
		}
		p("  %-20s %s (observed: never)\n", x.name, seen)
	}

	p("\nSimulator variants this account matches (regfish-sim -variant key=value):\n")
	width := 0
	for _, d := range rep.Variants {
		width = max(width, len(d.Key))
	}
	for _, d := range rep.Variants {
		switch {
		case !d.Readable:
			p("  %-*s : cannot tell from reads: %s\n", width, d.Key, d.Why)
		case len(d.Matches) == 0:
			p("  %-*s : matches no variant: %s\n", width, d.Key, d.Why)
		case len(d.Matches) == len(d.Values) && len(d.Values) > 1:
			p("  %-*s : %s\n", width, d.Key, d.Why)
		default:
			p("  %-*s = %s   (%s)\n", width, d.Key, strings.Join(d.Matches, " or "), d.Why)
		}
	}

	if rep.Mismatches == 0 {
		p("\nResult: every answer matches the contract the provider expects.\n")
		return
	}
	var steps []string
	for _, r := range rep.Requests {
		if !r.OK() && r.Skipped == "" {
			steps = append(steps, fmt.Sprint(r.Step))
		}
	}
	p("\nResult: %s (steps %s): regfish does not answer as the provider expects there.\n",
		count(rep.Mismatches, "mismatch"), strings.Join(steps, ", "))
}
