package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Config is one run of the check.
type Config struct {
	// BaseURL of the API; plain http:// only to a loopback host.
	BaseURL string
	// APIKey is sent as x-api-key; it never appears in the report.
	APIKey string
	// KeySource names where the key came from, for the hint on a 401.
	KeySource string
	// Timeout limits each request (default 30 s).
	Timeout time.Duration
	// Pace is the pause between two requests.
	Pace time.Duration
}

// ErrUnreachable: the first request got no HTTP answer.
var ErrUnreachable = errors.New("the API could not be reached")

const (
	// unknownCertID cannot be a certificate id: regfish's ids are 13
	// characters of an alphabet without lower case.
	unknownCertID = "ZZZZZZZZZZZZZ-contract-check"
	// wrongKey is sent on step 10 instead of the key.
	wrongKey = "contract-check-wrong-key"
	// maxBody bounds the bytes read of one answer (a large account's
	// certificate list fits many times).
	maxBody = 64 << 20
)

// Outcomes of a check (Report.Outcome).
const (
	// OutcomeMatch: every answer matches the contract.
	OutcomeMatch = "match"
	// OutcomeMismatch: some answer does not (whatever else).
	OutcomeMismatch = "mismatch"
	// OutcomeIncomplete: what could be read matches, but the key lacks
	// the role for the TLS or the DNS endpoints, whose steps went
	// unchecked.
	OutcomeIncomplete = "incomplete"
	// OutcomeKeyRefused: the API refused the key (401); the check
	// stopped after the first requests and checked nothing.
	OutcomeKeyRefused = "key-refused"
)

// Report is the outcome of a check.
type Report struct {
	BaseURL string `json:"base_url"`
	// KeySource names where the key came from (REGFISH_API_KEY or a file).
	KeySource string `json:"key_source"`
	// Outcome is OutcomeMatch, OutcomeMismatch, OutcomeIncomplete or
	// OutcomeKeyRefused.
	Outcome  string    `json:"outcome"`
	Requests []*Result `json:"requests"`
	// Denied are the parts of the API the key lacks the role for: their
	// steps were not checked.
	Denied []Denial `json:"denied,omitempty"`
	// Headers sums up the rate-limit headers over all answers.
	Headers HeaderSummary `json:"headers"`
	// Variants: for every simulator variant, which of its values the
	// answers match; none when the key was refused.
	Variants []Detection `json:"variants,omitempty"`
	// Mismatches counts every mismatch of every request that was checked.
	Mismatches int `json:"mismatches"`
}

// Denial is a part of the API that refused every request sent with the
// account key while the other part took it.
type Denial struct {
	// Part is "tls" (/tls/...) or "dns" (/dns/...).
	Part string `json:"part"`
	// Status is the refusal's status, 403 or 401.
	Status int `json:"status"`
	// Steps are the steps so refused.
	Steps []int `json:"steps"`
}

// Result is one request and what its answer showed.
type Result struct {
	Step   int    `json:"step"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Key says which key was sent: "account" or "wrong".
	Key      string `json:"key"`
	Expected string `json:"expected"`
	Status   int    `json:"status,omitempty"`
	// Skipped says why the request was not sent.
	Skipped string `json:"skipped,omitempty"`
	// Unchecked says why the answer could not be checked: the key was
	// refused, or lacks the role for this part of the API.
	Unchecked string `json:"unchecked,omitempty"`
	// NoAnswer is the transport error when no HTTP answer came.
	NoAnswer   string   `json:"no_answer,omitempty"`
	Mismatches []string `json:"mismatches"`
	Notes      []string `json:"notes,omitempty"`
	Headers    Headers  `json:"headers"`
	// ErrorKeys: which keys an error envelope carried.
	ErrorKeys *ErrorKeys `json:"error_keys,omitempty"`

	// refusal is the mismatch of a 401 or 403 to the account key: a
	// mismatch unless the whole part of the API refused the key (then
	// the step is Unchecked).
	refusal string
}

// OK reports whether the request was answered as the contract says.
func (r *Result) OK() bool {
	return r.Skipped == "" && r.NoAnswer == "" && r.Unchecked == "" && len(r.Mismatches) == 0
}

// Headers are the answer headers the contract speaks about.
type Headers struct {
	ContentType        string `json:"content_type,omitempty"`
	RateLimitPolicy    string `json:"ratelimit_policy,omitempty"`
	RateLimit          string `json:"ratelimit,omitempty"`
	RateLimitRemaining string `json:"ratelimit_remaining,omitempty"`
	RetryAfter         string `json:"retry_after,omitempty"`
}

// HeaderSummary counts the answers that carried each rate-limit header.
type HeaderSummary struct {
	Answers            int    `json:"answers"`
	RateLimitPolicy    int    `json:"ratelimit_policy"`
	Policy             string `json:"policy,omitempty"`
	RateLimit          int    `json:"ratelimit"`
	RateLimitRemaining int    `json:"ratelimit_remaining"`
	RetryAfter         int    `json:"retry_after"`
}

// ErrorKeys are the keys of an error envelope that were present.
type ErrorKeys struct {
	Message bool `json:"message"`
	Error   bool `json:"error"`
	Code    bool `json:"code"`
}

func (k ErrorKeys) String() string {
	var have, lack []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"message", k.Message}, {"error", k.Error}, {"code", k.Code}} {
		if f.ok {
			have = append(have, f.name)
		} else {
			lack = append(lack, f.name)
		}
	}
	if len(have) == 0 {
		return "none of message, error, code"
	}
	s := strings.Join(have, ", ")
	if len(lack) > 0 {
		s += "; no " + strings.Join(lack, ", no ")
	}
	return s
}

// observations are what the variant detection reads.
type observations struct {
	rateLimit  []int // steps whose answer carried RateLimit
	errorKeys  []stepKeys
	zoneAnswer string // step 9: "404", "200" or "other: ..."
	typeCase   string // "lower", "upper", "mixed" or "" (no products)
	types      []string
	listed     bool // step 7 listed records
	records    int
	annotated  int
	noZone     bool // the account holds no DNS zone
	// denied: the parts ("tls", "dns") the key lacks the role for, with
	// the status of the refusal.
	denied map[string]Denial
}

type stepKeys struct {
	step int
	keys ErrorKeys
}

type checker struct {
	cfg    Config
	base   string
	client *http.Client
	red    redactor
	rep    *Report
	obs    observations
	sent   int
}

// answer is one HTTP answer as the server sent it.
type answer struct {
	status int
	header http.Header
	body   []byte
	// obj is the body as a JSON object (nil when it is not one); numbers
	// are json.Number.
	obj map[string]any
}

// Check runs the ten requests against cfg.BaseURL. Its error is a usage
// error or ErrUnreachable; every answer that does not match the contract is
// in the report instead.
func Check(ctx context.Context, cfg Config) (*Report, error) {
	if err := regfish.CheckBaseURL(cfg.BaseURL, false); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL)
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %s: want scheme, host and an optional path only", u.Redacted())
	}
	if cfg.APIKey == "" {
		return nil, errors.New("no API key")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.KeySource == "" {
		cfg.KeySource = "REGFISH_API_KEY"
	}
	c := &checker{
		cfg:  cfg,
		base: strings.TrimSuffix(cfg.BaseURL, "/"),
		client: &http.Client{
			Timeout: cfg.Timeout,
			// A redirect is reported, never followed: the key goes to
			// base_url and nowhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		red: newRedactor(cfg.APIKey),
		rep: &Report{BaseURL: u.Redacted(), KeySource: cfg.KeySource},
		obs: observations{denied: map[string]Denial{}},
	}
	keyRefused, err := c.run(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(c.rep.Requests, func(a, b *Result) int { return a.Step - b.Step })
	if keyRefused {
		for _, r := range c.rep.Requests {
			r.Unchecked, r.Mismatches, r.refusal = "the API key was refused", []string{}, ""
		}
		c.rep.Outcome = OutcomeKeyRefused
		return c.rep, nil
	}
	c.settleRefusals()
	c.rep.Variants = detectVariants(&c.obs)
	for _, r := range c.rep.Requests {
		c.rep.Mismatches += len(r.Mismatches)
		if r.NoAnswer != "" {
			c.rep.Mismatches++
		}
	}
	switch {
	case c.rep.Mismatches > 0:
		c.rep.Outcome = OutcomeMismatch
	case len(c.rep.Denied) > 0:
		c.rep.Outcome = OutcomeIncomplete
	default:
		c.rep.Outcome = OutcomeMatch
	}
	return c.rep, nil
}

// run sends the requests. It reports keyRefused when the first request
// and the first of the DNS part were both answered 401: the key is wrong,
// and nothing more is sent.
func (c *checker) run(ctx context.Context) (keyRefused bool, err error) {
	// 1. products
	r, a := c.get(ctx, 1, "/tls/products", true, "200, success envelope, the product catalog")
	if r.NoAnswer != "" {
		return false, fmt.Errorf("%w at %s: %s", ErrUnreachable, c.rep.BaseURL, r.NoAnswer)
	}
	if resp, ok := c.success(r, a, "array"); ok {
		c.products(r, resp)
	}

	// A 401 to the first request: the key is wrong, or (role-denied=401)
	// it lacks the TLS role. The zone list (step 5, sent next) tells.
	zone, noZone := "", ""
	tlsRefused401 := r.Status == http.StatusUnauthorized
	if tlsRefused401 {
		var r5 *Result
		r5, zone, noZone = c.zoneList(ctx)
		if r5.Status == http.StatusUnauthorized {
			return true, nil
		}
	}

	// 2. organizations
	r, a = c.get(ctx, 2, "/tls/organization", true, "200, success envelope, the organizations")
	if resp, ok := c.success(r, a, "array"); ok {
		c.organizations(r, resp)
	}

	// 3. certificates, 4. the first one
	r, a = c.get(ctx, 3, "/tls/certificate", true, "200, success envelope, the certificates")
	firstCert, noCert := "", "step 3 gave no certificate list"
	if resp, ok := c.success(r, a, "array"); ok {
		firstCert, noCert = c.certificates(r, resp), "no certificate in the account"
	}
	certPath := "/tls/certificate/{id}"
	if firstCert != "" {
		certPath = "/tls/certificate/" + url.PathEscape(firstCert)
		r, a = c.get(ctx, 4, certPath, true, "200, success envelope, that certificate")
		if resp, ok := c.success(r, a, "object"); ok {
			obj, _ := resp.(map[string]any)
			t := newTally("certificate")
			checkCertificate(t, firstCert, obj)
			t.flush(r)
			if id, ok := obj["id"].(string); ok && id != firstCert {
				r.mismatch("the answer is about certificate %q, not %q", id, firstCert)
			}
		}
	} else {
		c.skip(4, certPath, "200, success envelope, that certificate", noCert)
	}

	// 5. zones (unless sent already), 6. the first one, 7. its records
	if !tlsRefused401 {
		_, zone, noZone = c.zoneList(ctx)
	}
	if zone != "" {
		r, a = c.get(ctx, 6, "/dns/zones/"+url.PathEscape(zone), true, "200, success envelope, that zone")
		if resp, ok := c.success(r, a, "object"); ok {
			c.zoneDetail(r, zone, resp)
		}
		r, a = c.get(ctx, 7, "/dns/"+url.PathEscape(zone)+"/rr", true, "200, success envelope, the zone's records")
		if resp, ok := c.success(r, a, "array"); ok {
			c.records(r, resp)
		}
	} else {
		c.skip(6, "/dns/zones/{domain}", "200, success envelope, that zone", noZone)
		c.skip(7, "/dns/{domain}/rr", "200, success envelope, the zone's records", noZone)
	}

	// 8. a certificate that cannot exist
	r, a = c.get(ctx, 8, "/tls/certificate/"+url.PathEscape(unknownCertID), true, "404, error envelope")
	if c.status(r, a, http.StatusNotFound) {
		if k, ok := c.errorEnvelope(r, a, "error envelope"); ok {
			c.obs.errorKeys = append(c.obs.errorKeys, stepKeys{8, k})
		}
	}

	// 9. a zone that cannot exist (.invalid is reserved, RFC 2606)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	unknownZone := "contract-check-" + hex.EncodeToString(b) + ".invalid"
	r, a = c.get(ctx, 9, "/dns/"+unknownZone+"/rr", true,
		`404 "DNS zone not found" with the error envelope, or (2024) 200 with success:false and code 15001`)
	c.unknownZone(r, a)

	// 10. a wrong key, where the account key was taken: a 401 to a wrong
	// key says nothing where the account key got one too.
	path := "/tls/products"
	if c.refusedPart("tls") != nil && c.refusedPart("dns") == nil {
		path = "/dns/zones"
	}
	r, a = c.get(ctx, 10, path, false, "401, error envelope")
	if c.status(r, a, http.StatusUnauthorized) {
		if k, ok := c.errorEnvelope(r, a, "error envelope"); ok {
			c.obs.errorKeys = append(c.obs.errorKeys, stepKeys{10, k})
		}
	}
	return false, nil
}

// zoneList is step 5: it returns the first zone, or why there is none.
func (c *checker) zoneList(ctx context.Context) (r *Result, zone, noZone string) {
	r, a := c.get(ctx, 5, "/dns/zones", true, "200, success envelope, the DNS zones")
	zone, noZone = "", "step 5 gave no zone list"
	if resp, ok := c.success(r, a, "array"); ok {
		zone, noZone = c.zones(r, resp), "no DNS zone in the account"
		c.obs.noZone = zone == ""
	}
	return r, zone, noZone
}

// apiPart is the part of the API a path belongs to: "tls", "dns" or "".
func apiPart(path string) string {
	part, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if part == "tls" || part == "dns" {
		return part
	}
	return ""
}

// partName is "TLS" or "DNS".
func partName(part string) string { return strings.ToUpper(part) }

// refusedPart returns the denial of part when every request sent to it
// with the account key so far was refused with 401 or 403 (nil when one
// was not, or none was sent).
func (c *checker) refusedPart(part string) *Denial {
	var d *Denial
	for _, r := range c.rep.Requests {
		if r.Key != "account" || apiPart(r.Path) != part || r.Skipped != "" || r.NoAnswer != "" {
			continue
		}
		if r.refusal == "" {
			return nil
		}
		if d == nil {
			d = &Denial{Part: part, Status: r.Status}
		}
		d.Steps = append(d.Steps, r.Step)
	}
	return d
}

// settleRefusals decides what the refusals of the account key are. A part
// of the API that refused every request while the other part took the
// key: the key lacks the role for it (403, or 401 as role-denied=401), and
// its steps are not checked. Any other refusal is a mismatch.
func (c *checker) settleRefusals() {
	denied := map[string]*Denial{}
	for _, part := range []string{"tls", "dns"} {
		if d := c.refusedPart(part); d != nil {
			denied[part] = d
		}
	}
	// A 401 on both parts is a refused key (run stops early on one), not
	// a missing role; a 401 on one part is a missing role only when the
	// other part took the key.
	for part, d := range denied {
		other := "dns"
		if part == "dns" {
			other = "tls"
		}
		if d.Status == http.StatusUnauthorized && denied[other] != nil && denied[other].Status == http.StatusUnauthorized {
			delete(denied, part)
			delete(denied, other)
		}
	}
	for _, part := range []string{"tls", "dns"} {
		d := denied[part]
		if d == nil {
			continue
		}
		why := fmt.Sprintf("this key lacks the role for the %s endpoints", partName(part))
		for _, r := range c.rep.Requests {
			if r.Key != "account" || apiPart(r.Path) != part {
				continue
			}
			if r.Skipped != "" {
				r.Skipped = why
			} else if r.NoAnswer == "" {
				// The refusal's other findings (its headers, its
				// envelope) are not counted either: the step was not
				// checked.
				r.Unchecked, r.Mismatches, r.refusal = why, []string{}, ""
			}
		}
		c.rep.Denied = append(c.rep.Denied, *d)
		c.obs.denied[part] = *d
	}
	for _, r := range c.rep.Requests {
		if r.refusal != "" {
			r.Mismatches = append(r.Mismatches, r.refusal)
			r.refusal = ""
		}
	}
}

// get sends one GET, pacing it after the one before, and checks what every
// JSON answer must carry. With accountKey false it sends wrongKey.
func (c *checker) get(ctx context.Context, step int, path string, accountKey bool, expected string) (*Result, *answer) {
	r := &Result{Step: step, Method: http.MethodGet, Path: path, Key: "account", Expected: expected, Mismatches: []string{}}
	if !accountKey {
		r.Key = "wrong"
	}
	c.rep.Requests = append(c.rep.Requests, r)
	if c.sent > 0 && c.cfg.Pace > 0 {
		select {
		case <-time.After(c.cfg.Pace):
		case <-ctx.Done():
		}
	}
	c.sent++
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		r.NoAnswer = err.Error()
		return r, nil
	}
	key := c.cfg.APIKey
	if !accountKey {
		key = wrongKey
	}
	req.Header.Set("x-api-key", key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "regfish-contract-check")
	// Whatever the server sends is redacted as it comes in (a server may
	// echo the key); the check's own wording never is.
	resp, err := c.client.Do(req)
	if err != nil {
		// A transport error may quote what the server sent.
		r.NoAnswer = c.red.String(err.Error())
		return r, nil
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	a := &answer{status: resp.StatusCode, header: c.red.Header(resp.Header), body: c.red.Bytes(body)}
	r.Status = resp.StatusCode
	if err != nil {
		r.mismatch("the answer broke off: %s", c.red.String(err.Error()))
	} else if len(body) > maxBody {
		r.mismatch("the answer is larger than %d MiB; not read", maxBody>>20)
		a.body = nil
	}
	c.headers(r, a)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		r.mismatch("a redirect (%d to %q), not followed: the key is sent to base_url only", resp.StatusCode, a.header.Get("Location"))
		return r, a
	}
	if len(bytes.TrimSpace(a.body)) == 0 {
		r.mismatch("the body is empty, want a JSON object")
		return r, a
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		r.mismatch("the body is not JSON (%s)", snippet(a.body))
		return r, a
	}
	obj, ok := c.red.Value(v).(map[string]any)
	if !ok {
		r.mismatch("the body is %s, want a JSON object (the envelope)", jsonType(v))
		return r, a
	}
	a.obj = obj
	return r, a
}

func (c *checker) skip(step int, path, expected, why string) {
	c.rep.Requests = append(c.rep.Requests, &Result{Step: step, Method: http.MethodGet, Path: path, Key: "account",
		Expected: expected, Skipped: why, Mismatches: []string{}})
}

// headers checks Content-Type and RateLimit-Policy and records the other
// rate-limit headers.
func (c *checker) headers(r *Result, a *answer) {
	h := a.header
	r.Headers = Headers{
		ContentType:        h.Get("Content-Type"),
		RateLimitPolicy:    h.Get("RateLimit-Policy"),
		RateLimit:          h.Get("RateLimit"),
		RateLimitRemaining: h.Get("RateLimit-Remaining"),
		RetryAfter:         h.Get("Retry-After"),
	}
	s := &c.rep.Headers
	s.Answers++
	if mt, _, err := mime.ParseMediaType(r.Headers.ContentType); err != nil || mt != "application/json" {
		if r.Headers.ContentType == "" {
			r.mismatch("no Content-Type header, want application/json")
		} else {
			r.mismatch("Content-Type is %q, want application/json", r.Headers.ContentType)
		}
	}
	switch p := r.Headers.RateLimitPolicy; {
	case p != "":
		s.RateLimitPolicy++
		if s.Policy == "" {
			s.Policy = p
		}
		if !validPolicy(p) {
			r.mismatch("RateLimit-Policy %q is not in the form \"<n>; w=<seconds>\"", p)
		}
	case a.status == http.StatusUnauthorized:
		// The recorded exchanges behind CONTRACT.md §1 hold no 401, so
		// whether regfish sends the policy on one is not known (the
		// simulator does not); the provider needs none there.
		r.note("no RateLimit-Policy on this 401 (no recorded 401 to compare with, so not counted)")
	default:
		r.mismatch("no RateLimit-Policy header (observed on every answer)")
	}
	if r.Headers.RateLimit != "" {
		s.RateLimit++
		c.obs.rateLimit = append(c.obs.rateLimit, r.Step)
	}
	if r.Headers.RateLimitRemaining != "" {
		s.RateLimitRemaining++
	}
	if r.Headers.RetryAfter != "" {
		s.RetryAfter++
	}
}

// validPolicy reports whether p is "<n>; w=<seconds>" (further
// "; name=value" parameters allowed).
func validPolicy(p string) bool {
	parts := strings.Split(p, ";")
	if !isDigits(strings.TrimSpace(parts[0])) {
		return false
	}
	w := false
	for _, param := range parts[1:] {
		k, v, ok := strings.Cut(param, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return false
		}
		if strings.TrimSpace(k) == "w" {
			w = isDigits(strings.TrimSpace(v))
		}
	}
	return w
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// status reports whether the answer has one of want; otherwise it records
// the mismatch.
func (c *checker) status(r *Result, a *answer, want int) bool {
	if a == nil {
		return false
	}
	if a.status == want {
		return true
	}
	msg := fmt.Sprintf("status %d, want %d", a.status, want)
	refused := r.Key == "account" && (a.status == http.StatusUnauthorized || a.status == http.StatusForbidden)
	switch {
	case refused && a.status == http.StatusUnauthorized:
		msg += fmt.Sprintf(": the API key was refused here (check %s)", c.cfg.KeySource)
	case refused:
		msg += ": the API key lacks the role for this endpoint (the provider needs a key with access to the TLS and DNS endpoints)"
	}
	if a.obj != nil {
		if m := errorText(a.obj); m != "" {
			msg += fmt.Sprintf(" (%q)", m)
		}
	}
	if refused {
		// Settled after the last request: a part of the API refusing
		// every request is a missing role, not a mismatch.
		r.refusal = msg
		return false
	}
	r.mismatch("%s", msg)
	return false
}

// success checks a success answer (status 200, success:true, response of
// kind "array" or "object") and returns the response.
func (c *checker) success(r *Result, a *answer, kind string) (any, bool) {
	if !c.status(r, a, http.StatusOK) || a.obj == nil {
		return nil, false
	}
	ok := true
	switch s, present := a.obj["success"]; {
	case !present:
		r.mismatch("the envelope has no \"success\"")
		ok = false
	case s != true:
		r.mismatch("\"success\" is %s, want true", show(s))
		ok = false
	}
	if code, present := a.obj["code"]; present {
		if n, isNum := code.(json.Number); !isNum {
			r.mismatch("\"code\" is %s, want a number (0) or no code", jsonType(code))
		} else if n.String() != "0" {
			r.mismatch("\"code\" is %s on a success, want 0 or no code", n)
		}
	}
	resp, present := a.obj["response"]
	switch {
	case !present:
		r.mismatch("the envelope has no \"response\"")
		return nil, false
	case kind == "array":
		if _, isArr := resp.([]any); !isArr {
			r.mismatch("\"response\" is %s, want an array", jsonType(resp))
			return nil, false
		}
	case kind == "object":
		if _, isObj := resp.(map[string]any); !isObj {
			r.mismatch("\"response\" is %s, want an object", jsonType(resp))
			return nil, false
		}
	}
	return resp, ok
}

// errorEnvelope checks an error answer: success:false and a message or
// error; code optional. It returns which keys were present and notes them
// under label.
func (c *checker) errorEnvelope(r *Result, a *answer, label string) (ErrorKeys, bool) {
	if a == nil || a.obj == nil {
		return ErrorKeys{}, false
	}
	o := a.obj
	switch s, present := o["success"]; {
	case !present:
		r.mismatch("the error envelope has no \"success\"")
	case s != false:
		r.mismatch("\"success\" is %s, want false", show(s))
	}
	var k ErrorKeys
	for _, f := range []struct {
		name string
		set  *bool
	}{{"message", &k.Message}, {"error", &k.Error}} {
		v, present := o[f.name]
		if !present {
			continue
		}
		*f.set = true
		if _, ok := v.(string); !ok {
			r.mismatch("%q is %s, want a string", f.name, jsonType(v))
		}
	}
	if v, present := o["code"]; present {
		k.Code = true
		if _, ok := v.(json.Number); !ok {
			r.mismatch("\"code\" is %s, want a number", jsonType(v))
		}
	}
	if !k.Message && !k.Error {
		r.mismatch("the error envelope has neither \"message\" nor \"error\"")
	}
	r.ErrorKeys = &k
	r.note("%s: %s", label, k)
	return k, true
}

// unknownZone checks step 9: 404 with the error envelope, or the 2024
// answer 200 with success:false and code 15001.
func (c *checker) unknownZone(r *Result, a *answer) {
	if a == nil {
		return
	}
	switch {
	case a.status == http.StatusNotFound:
		c.obs.zoneAnswer = "404"
		if k, ok := c.errorEnvelope(r, a, "error envelope"); ok {
			c.obs.errorKeys = append(c.obs.errorKeys, stepKeys{9, k})
		}
		if m := errorText(a.obj); m != "" && !strings.EqualFold(m, "DNS zone not found") {
			r.note("text %q (documented: \"DNS zone not found\")", m)
		}
	case a.status == http.StatusOK && a.obj != nil && a.obj["success"] == false:
		c.obs.zoneAnswer = "200"
		// The keys of this answer are its own (the 2024 recording), not
		// those of the error envelope, so they do not count for the
		// error-envelope variant.
		c.errorEnvelope(r, a, "the 2024 answer, 200 with success:false and the keys")
		if code, ok := a.obj["code"].(json.Number); !ok || code.String() != "15001" {
			r.mismatch("\"code\" is %s, want 15001 (the 2024 answer for a domain that is no zone)", show(a.obj["code"]))
		}
	default:
		c.obs.zoneAnswer = "other"
		if a.status == http.StatusOK && a.obj != nil && a.obj["success"] == true {
			r.mismatch("status 200 with success:true for a domain that is no zone of the account, want 404 (or 200 with success:false)")
			return
		}
		c.status(r, a, http.StatusNotFound)
	}
}

// ----- the objects -------------------------------------------------------

func (c *checker) products(r *Result, resp any) {
	list, _ := resp.([]any)
	if len(list) == 0 {
		r.mismatch("the catalog is empty")
		return
	}
	t := newTally("product")
	var types, levels []string
	for i, v := range list {
		p, ok := v.(map[string]any)
		label := fmt.Sprintf("%d", i+1)
		if !ok {
			t.add(label, "is %s, want an object", jsonType(v))
			continue
		}
		if sku, ok := p["sku"].(string); ok && sku != "" {
			label = sku
		}
		t.field(label, p, "sku", kNonEmptyString)
		t.field(label, p, "name", kString)
		t.field(label, p, "type", kString)
		t.field(label, p, "validation_level", kString)
		t.field(label, p, "organization_required", kBool)
		if s, ok := p["type"].(string); ok {
			types = append(types, s)
		}
		if s, ok := p["validation_level"].(string); ok {
			levels = append(levels, s)
		}
	}
	t.flush(r)
	c.obs.typeCase, c.obs.types = letterCase(types), distinct(types)
	r.note("%s; type %s (%s), validation_level %s (%s)", count(len(list), "product"),
		caseWords(c.obs.typeCase), strings.Join(c.obs.types, ", "), caseWords(letterCase(levels)), strings.Join(distinct(levels), ", "))
}

func (c *checker) organizations(r *Result, resp any) {
	list, _ := resp.([]any)
	if len(list) == 0 {
		r.note("no organization in the account: the organization fields could not be checked")
		return
	}
	t := newTally("organization")
	named := 0
	for i, v := range list {
		o, ok := v.(map[string]any)
		label := fmt.Sprintf("%d", i+1)
		if !ok {
			t.add(label, "is %s, want an object", jsonType(v))
			continue
		}
		switch id := o["id"].(type) {
		case string:
			label = id
			if !strings.HasPrefix(id, "hdl_") && !isDigits(id) {
				t.add(label, "id %q is neither \"hdl_...\" nor a legacy number", id)
			}
		case json.Number:
			label = id.String()
		default:
			t.field(label, o, "id", kString)
		}
		t.field(label, o, "organization", kString)
		t.field(label, o, "status", kString)
		t.field(label, o, "usable_for_ordering", kBool)
		for _, f := range []string{"first_name", "last_name", "address", "postal_code", "city", "country_code", "phone", "email"} {
			t.field(label, o, f, kStringOrNull)
		}
		if _, ok := o["name"]; ok {
			named++
		}
	}
	t.flush(r)
	if named > 0 {
		r.note("%s, %d with \"name\" (the documented object has none)", count(len(list), "organization"), named)
	} else {
		r.note("%s, without \"name\" (as documented)", count(len(list), "organization"))
	}
}

// certificates checks the list and returns the first certificate's id.
func (c *checker) certificates(r *Result, resp any) string {
	list, _ := resp.([]any)
	r.note("%s", count(len(list), "certificate"))
	t := newTally("certificate")
	first := ""
	for i, v := range list {
		o, ok := v.(map[string]any)
		label := fmt.Sprintf("%d", i+1)
		if !ok {
			t.add(label, "is %s, want an object", jsonType(v))
			continue
		}
		if id, ok := o["id"].(string); ok && id != "" {
			label = id
			if first == "" && i == 0 {
				first = id
			}
		}
		checkCertificate(t, label, o)
	}
	t.flush(r)
	return first
}

// certTimes are the certificate's timestamps (RFC 3339 where present).
var certTimes = []string{"valid_from", "valid_until", "contract_valid_from", "contract_valid_until",
	"last_status_check", "order_cancellable_until"}

func checkCertificate(t *tally, label string, o map[string]any) {
	t.field(label, o, "id", kNonEmptyString)
	t.field(label, o, "status", kString)
	t.field(label, o, "common_name", kString)
	t.field(label, o, "product", kString)
	t.field(label, o, "order_state", kString)
	t.field(label, o, "action_required", kBool)
	t.field(label, o, "certificate_pem_available", kBool)
	t.field(label, o, "dns_names", kStringArray)
	t.field(label, o, "validation", kOptionalObject)
	for _, f := range certTimes {
		t.field(label, o, f, kOptionalTime)
	}
	if re, ok := o["reissue"].(map[string]any); ok {
		for _, f := range []string{"requested_at", "last_updated_at"} {
			if problem := checkKind(re, f, kOptionalTime); problem != "" {
				t.add(label, "reissue.%s", problem)
			}
		}
	}
}

// zones checks the zone list and returns the first zone's domain.
func (c *checker) zones(r *Result, resp any) string {
	list, _ := resp.([]any)
	r.note("%s", count(len(list), "zone"))
	t := newTally("zone")
	first := ""
	for i, v := range list {
		o, ok := v.(map[string]any)
		label := fmt.Sprintf("%d", i+1)
		if !ok {
			t.add(label, "is %s, want an object", jsonType(v))
			continue
		}
		if d, ok := o["domain"].(string); ok && strings.TrimSuffix(d, ".") != "" {
			label = d
			if first == "" && i == 0 {
				first = strings.TrimSuffix(d, ".")
			}
		}
		t.field(label, o, "domain", kNonEmptyString)
	}
	t.flush(r)
	return first
}

func (c *checker) zoneDetail(r *Result, zone string, resp any) {
	o, _ := resp.(map[string]any)
	t := newTally("zone")
	t.field(zone, o, "domain", kNonEmptyString)
	if d, ok := o["domain"].(string); ok && d != "" && !strings.EqualFold(strings.TrimSuffix(d, "."), zone) {
		t.add(zone, "the answer is about zone %q", d)
	}
	t.field(zone, o, "soa", kObject)
	recs, present := o["records"]
	var list []any
	switch v := recs.(type) {
	case []any:
		list = v
	case nil:
		// An empty list left out (or null) reads as no records.
		if !present {
			r.note("no \"records\" (read as none; the zone may hold no records of its own)")
		} else {
			r.note("\"records\" is null (read as none)")
		}
	default:
		t.add(zone, "records is %s, want an array", jsonType(recs))
	}
	withData := 0
	for i, v := range list {
		rec, ok := v.(map[string]any)
		label := fmt.Sprintf("%s record %d", zone, i+1)
		if !ok {
			t.add(label, "is %s, want an object", jsonType(v))
			continue
		}
		if id, ok := rec["id"].(json.Number); ok {
			label = zone + " record " + id.String()
		}
		t.field(label, rec, "id", kInt)
		t.field(label, rec, "name", kString)
		t.field(label, rec, "type", kString)
		t.field(label, rec, "ttl", kInt)
		if _, ok := rec["data"]; ok {
			withData++
		}
	}
	t.flush(r)
	switch {
	case len(list) == 0:
	case withData > 0:
		r.note("%s, %d carrying \"data\" (documented: the zone detail's records carry none)", count(len(list), "record"), withData)
	default:
		r.note("%s, without \"data\" (as documented)", count(len(list), "record"))
	}
}

func (c *checker) records(r *Result, resp any) {
	list, _ := resp.([]any)
	c.obs.listed = true
	c.obs.records = len(list)
	t := newTally("record")
	system := 0
	for i, v := range list {
		rec, ok := v.(map[string]any)
		label := fmt.Sprintf("%d", i+1)
		if !ok {
			t.add(label, "is %s, want an object", jsonType(v))
			continue
		}
		if id, ok := rec["id"].(json.Number); ok {
			label = id.String()
		}
		t.field(label, rec, "id", kInt)
		t.field(label, rec, "name", kString)
		t.field(label, rec, "type", kString)
		t.field(label, rec, "data", kString)
		t.field(label, rec, "ttl", kInt)
		if a, ok := rec["annotation"].(string); ok && a != "" {
			c.obs.annotated++
		}
		typ, _ := rec["type"].(string)
		if rec["auto"] == true || strings.EqualFold(typ, "NS") || strings.EqualFold(typ, "SOA") {
			system++
		}
	}
	t.flush(r)
	msg := count(len(list), "record")
	if len(list) > 0 {
		msg += fmt.Sprintf(", %d with an annotation", c.obs.annotated)
	}
	if system > 0 {
		msg += fmt.Sprintf("; %d system records (NS/SOA or auto:true) listed (observed: a listing holds none)", system)
	} else {
		msg += "; no system records (NS/SOA, auto:true) listed (as observed)"
	}
	r.note("%s", msg)
}

// ----- helpers -----------------------------------------------------------

func (r *Result) mismatch(format string, args ...any) {
	r.Mismatches = append(r.Mismatches, fmt.Sprintf(format, args...))
}

func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

type kind int

const (
	kString kind = iota
	kNonEmptyString
	kStringOrNull
	kBool
	kInt
	kObject
	kOptionalObject // object, null or absent
	kStringArray
	kOptionalTime // RFC 3339 string, null or absent
)

// checkKind returns what is wrong with o[name] ("" when nothing).
func checkKind(o map[string]any, name string, k kind) string {
	v, present := o[name]
	if !present {
		if k == kOptionalObject || k == kOptionalTime {
			return ""
		}
		return fmt.Sprintf("%s is missing", name)
	}
	bad := func(want string) string { return fmt.Sprintf("%s is %s, want %s", name, jsonType(v), want) }
	switch k {
	case kString, kNonEmptyString, kStringOrNull:
		if v == nil && k == kStringOrNull {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		if k == kNonEmptyString && s == "" {
			return fmt.Sprintf("%s is empty", name)
		}
	case kBool:
		if _, ok := v.(bool); !ok {
			return bad("true or false")
		}
	case kInt:
		n, ok := v.(json.Number)
		if !ok {
			return bad("an integer")
		}
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return fmt.Sprintf("%s is %s, want an integer", name, n)
		}
	case kObject:
		if _, ok := v.(map[string]any); !ok {
			return bad("an object")
		}
	case kOptionalObject:
		if _, ok := v.(map[string]any); !ok && v != nil {
			return bad("an object or null")
		}
	case kStringArray:
		arr, ok := v.([]any)
		if !ok {
			return bad("an array")
		}
		for _, e := range arr {
			if _, ok := e.(string); !ok {
				return fmt.Sprintf("%s holds %s, want strings", name, jsonType(e))
			}
		}
	case kOptionalTime:
		if v == nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			return bad("an RFC 3339 time")
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Sprintf("%s %q is not an RFC 3339 time", name, s)
		}
	}
	return ""
}

// tally collects the problems of a list's items, each problem once with the
// first item that has it and how many do.
type tally struct {
	noun  string
	order []string
	first map[string]string
	n     map[string]int
}

func newTally(noun string) *tally {
	return &tally{noun: noun, first: map[string]string{}, n: map[string]int{}}
}

func (t *tally) field(label string, o map[string]any, name string, k kind) {
	if p := checkKind(o, name, k); p != "" {
		t.add(label, "%s", p)
	}
}

func (t *tally) add(label, format string, args ...any) {
	p := fmt.Sprintf(format, args...)
	if t.n[p] == 0 {
		t.order = append(t.order, p)
		t.first[p] = label
	}
	t.n[p]++
}

func (t *tally) flush(r *Result) {
	for _, p := range t.order {
		msg := fmt.Sprintf("%s %s: %s", t.noun, t.first[p], p)
		if n := t.n[p]; n > 1 {
			msg += fmt.Sprintf(" (and %d more)", n-1)
		}
		r.Mismatches = append(r.Mismatches, msg)
	}
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// show is a value for a message: the JSON text of small values.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool, json.Number:
		return fmt.Sprint(v)
	case string:
		return strconv.Quote(v)
	}
	return jsonType(v)
}

func errorText(o map[string]any) string {
	if m, ok := o["message"].(string); ok && m != "" {
		return m
	}
	if m, ok := o["error"].(string); ok {
		return m
	}
	return ""
}

// snippet is the start of a body for a message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return strconv.Quote(s)
}

// letterCase is "lower", "upper" or "mixed" over all of ss ("" for none).
func letterCase(ss []string) string {
	lower, upper := true, true
	for _, s := range ss {
		lower = lower && s == strings.ToLower(s)
		upper = upper && s == strings.ToUpper(s)
	}
	switch {
	case len(ss) == 0:
		return ""
	case lower && !upper:
		return "lower"
	case upper && !lower:
		return "upper"
	}
	return "mixed"
}

func caseWords(c string) string {
	if c == "" {
		return "absent"
	}
	return c + " case"
}

func distinct(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "ch") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
