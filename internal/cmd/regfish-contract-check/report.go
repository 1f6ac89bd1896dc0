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
		case r.Unchecked != "":
			p("%2d. %s %s: %d, not checked: %s\n", r.Step, r.Method, path, r.Status, r.Unchecked)
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

	if rep.Outcome == OutcomeKeyRefused {
		// Nothing was checked: no headers, no variants to speak of.
		p("\nResult: the API key was refused (HTTP 401): check REGFISH_API_KEY / -api-key-file (this key came from %s).\n"+
			"The check stopped there: no answer could be checked against the contract, and no variant told.\n", rep.KeySource)
		return
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

	p("\nResult: ")
	switch rep.Outcome {
	case OutcomeMismatch:
		var steps []int
		for _, r := range rep.Requests {
			if !r.OK() && r.Skipped == "" && r.Unchecked == "" {
				steps = append(steps, r.Step)
			}
		}
		p("%s (%s): regfish does not answer as the provider expects there.\n", count(rep.Mismatches, "mismatch"), stepList(steps))
		for _, d := range rep.Denied {
			p("Also, %s\n", d.text())
		}
	case OutcomeIncomplete:
		for _, d := range rep.Denied {
			p("%s\n", d.text())
		}
		p("Every answer that could be checked matches the contract the provider expects.\n")
	default:
		if rep.Headers.unobserved() == "" {
			p("every answer matches the contract the provider expects.\n")
			return
		}
		p("every answer matches the contract the provider expects, but not all as regfish was observed to answer:\n")
	}
	if extra := rep.Headers.unobserved(); extra != "" {
		p("%s\n", extra)
	}
}

// text says what a denial means for the check.
func (d Denial) text() string {
	return fmt.Sprintf("this key lacks the role for the %s endpoints: the steps of that part could not be checked (%d on %s); "+
		"rerun with a key that has access to both (the provider needs the TLS and the DNS endpoints).",
		partName(d.Part), d.Status, stepList(d.Steps))
}

// unobserved says which rate-limit headers the answers carried beyond what
// was observed of regfish (RateLimit-Policy alone), and that the provider
// handles them; "" when none.
func (h HeaderSummary) unobserved() string {
	var seen, s []string
	if h.RateLimit > 0 {
		seen = append(seen, fmt.Sprintf("RateLimit (the IETF draft header, on %d of %s)", h.RateLimit, count(h.Answers, "answer")))
	}
	if h.RateLimitRemaining > 0 {
		seen = append(seen, fmt.Sprintf("RateLimit-Remaining (on %s)", count(h.RateLimitRemaining, "answer")))
	}
	if len(seen) > 0 {
		s = append(s, fmt.Sprintf("The answers carry %s, which differs from what was observed of regfish (RateLimit-Policy alone); "+
			"the provider handles it: it paces its requests by these headers.", strings.Join(seen, " and ")))
	}
	if h.RetryAfter > 0 {
		s = append(s, fmt.Sprintf("Retry-After came on %s, which differs from what was observed (never); "+
			"the provider handles it: it reads Retry-After on 429 and 503 answers and ignores it elsewhere.", count(h.RetryAfter, "answer")))
	}
	return strings.Join(s, " ")
}
