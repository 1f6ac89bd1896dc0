// Package regfish is the one client of the regfish TLS and DNS API used by the
// whole provider.
//
// Every call goes through one HTTP path (Client.do) that adds the API key, the
// User-Agent and JSON headers, decodes the success/error envelope into typed
// values and errors, validates the answer and retries what is safe to retry.
// The rules:
//
// Retries. 429 (honouring Retry-After), 5xx (except 501), connection
// failures, timeouts and invalid 2xx answers to reads are retried with
// capped, jittered exponential backoff, at most Config.MaxRetries times
// (429 answers have their own allowance of rateLimitRetries). One call,
// retries and backoff included, stops after Config.MaxRetryDuration
// (default 2 minutes; at least one full Config.RequestTimeout); waits
// imposed by the API's rate limit do not count against it. Each attempt
// is bounded by Config.RequestTimeout (default 30 s). When a call ends
// because the API did not answer at all, later calls fail at once with
// ErrNoAnswer for the next MaxRetryDuration (or until any answer arrives),
// so that an unresponsive API fails a whole plan in about MaxRetryDuration
// instead of once per resource.
//
// Non-idempotent calls. Creating an order, an organization or a DNS record
// is not idempotent: such a call is only retried when the server provably did
// not process it (429, or a connection that was never established); any
// other failure - a 5xx, a connection lost or a timeout after the request
// was sent, the caller's context ending while the request was in flight, an
// invalid 2xx answer - matches ErrMaybeProcessed, so that the caller looks
// the object up instead of creating a second one.
//
// Answers are validated. A 2xx whose body is not a JSON envelope with
// success:true, whose object is null, empty, lacks its id or names another
// id than the one asked for (GET /tls/certificate/{id}, GET /dns/rr/{id},
// the certificate actions), or whose list holds an element without an id,
// is ErrInvalidResponse: retried like a 5xx for reads (GET, PATCH, DELETE),
// ErrMaybeProcessed for POSTs (never retried: a 2xx means the request was
// carried out). No certificate id "" and no DNS record id 0 is ever
// returned as a success. A null or missing list is an invalid answer too:
// only [] is an empty list.
//
// Transport. The key is only ever sent to base_url's scheme, host and port:
// redirects elsewhere are refused (ErrRedirect), and only reads follow
// redirects at all. A plain http:// base URL is refused unless its host is
// loopback or Config.AllowInsecureHTTP is set. Connection refused, DNS and
// TLS failures are reported as such (ErrConnectionRefused, ErrHostNotFound,
// ErrTLS), naming the host; a 404 on a collection endpoint the API always
// serves is ErrWrongBaseURL with a hint to check base_url.
//
// Rate limit. One pacer per Client, shared by all its goroutines, keeps the
// requests within the API's limit. regfish sends only RateLimit-Policy (the
// quota per window and key) and may answer 429 without Retry-After: the
// pacer then keeps this process to its share of the quota (all of it while
// alone; after a 429 - the key's window is full, so others use the key - 0.8
// of what it had, growing again with every window without one), sends
// requests beyond what it knows to be safe one at a time, and after a 429
// holds every request of the process until the Retry-After or the
// estimated end of the server's window, then sends one alone. So processes
// sharing one key slow down together, with few 429s, instead of failing. A
// 429 whose wait is within MaxRetryAfter is retried (see Retries). When an
// answer carries the draft RateLimit header (remaining and reset for the
// whole key), the pacer spreads the requests by that instead (see pacer).
// Client.Stats reports what it did.
//
// The API key is sent in the x-api-key header and never written to a log or
// an error message.
package regfish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is the production API.
const DefaultBaseURL = "https://api.regfish.com"

// Defaults of Config.
const (
	DefaultMaxRetries       = 4
	DefaultRetryWaitMin     = 500 * time.Millisecond
	DefaultRetryWaitMax     = 30 * time.Second
	DefaultMaxRetryAfter    = 2 * time.Minute
	DefaultRequestTimeout   = 30 * time.Second
	DefaultMaxRetryDuration = 2 * time.Minute
)

// rateLimitRetries is how often one call retries 429 answers (when retries
// are enabled at all); they do not use up MaxRetries.
const rateLimitRetries = 12

// maxBody bounds how much of a response the client reads (16 MiB).
const maxBody = 16 << 20

// maxStreamBody bounds a streamed list (1 GiB: about half a million
// certificate objects); the attempt's timeout bounds its time.
const maxStreamBody = 1 << 30

// Logger receives the client's log lines. fields never contain the API key.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Config configures a Client. Zero values take the defaults.
type Config struct {
	BaseURL   string
	APIKey    string
	UserAgent string
	// HTTPClient is the underlying client: its Transport (and its Timeout,
	// when set) are used; its CheckRedirect is replaced by the client's
	// rule (same origin, reads only).
	HTTPClient *http.Client
	// MaxRetries is the number of retries after the first attempt; a
	// negative value disables retries (429 answers included).
	MaxRetries   int
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// MaxRetryAfter: a Retry-After (or a rate-limit window) longer than
	// this is not waited for; the call fails with ErrRateLimited at once.
	MaxRetryAfter time.Duration
	// RequestTimeout bounds one attempt: connecting, sending, and reading
	// the whole answer (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// MaxRetryDuration bounds one call with all its retries and backoff
	// waits, not counting waits for the API's rate limit (default
	// DefaultMaxRetryDuration). The first attempt always gets its full
	// RequestTimeout.
	MaxRetryDuration time.Duration
	// AllowInsecureHTTP permits a plain http:// BaseURL whose host is not
	// loopback (the key then crosses the network unencrypted).
	AllowInsecureHTTP bool
	Logger            Logger
}

// Client talks to the regfish API. It is safe for concurrent use.
type Client struct {
	baseURL   string
	base      *url.URL
	apiKey    string
	userAgent string
	hc        *http.Client
	traceable bool // the transport reports GotConn through httptrace
	logger    Logger

	retries    int
	rlRetries  int
	waitMin    time.Duration
	waitMax    time.Duration
	maxRA      time.Duration
	reqTimeout time.Duration
	budget     time.Duration

	pacer    *pacer
	requests atomic.Int64
	// accepted: a part of the API ("TLS", "DNS") answered this client's
	// key with a success, so a later 401 elsewhere is about the key's
	// role, not the key.
	acceptedTLS, acceptedDNS atomic.Bool

	breakerMu    sync.Mutex
	noAnswerAt   time.Time // when a call last gave up without any answer
	noAnswerTill time.Time // calls fail at once until then
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if err := CheckBaseURL(base, cfg.AllowInsecureHTTP); err != nil {
		return nil, err
	}
	u, _ := parseBase(base)
	if cfg.APIKey == "" {
		return nil, errors.New("missing API key")
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		var rt http.RoundTripper = &http.Transport{Proxy: http.ProxyFromEnvironment}
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			rt = t.Clone()
		}
		hc.Transport = rt
	}
	c := &Client{
		baseURL:    base,
		base:       u,
		apiKey:     cfg.APIKey,
		userAgent:  cfg.UserAgent,
		logger:     cfg.Logger,
		retries:    cfg.MaxRetries,
		rlRetries:  rateLimitRetries,
		waitMin:    orDefault(cfg.RetryWaitMin, DefaultRetryWaitMin),
		waitMax:    orDefault(cfg.RetryWaitMax, DefaultRetryWaitMax),
		maxRA:      orDefault(cfg.MaxRetryAfter, DefaultMaxRetryAfter),
		reqTimeout: orDefault(cfg.RequestTimeout, DefaultRequestTimeout),
		budget:     orDefault(cfg.MaxRetryDuration, DefaultMaxRetryDuration),
		pacer:      newPacer(),
	}
	switch {
	case cfg.MaxRetries < 0:
		c.retries, c.rlRetries = 0, 0
	case cfg.MaxRetries == 0:
		c.retries = DefaultMaxRetries
	}
	c.budget = max(c.budget, c.reqTimeout)
	hc.CheckRedirect = c.checkRedirect
	switch hc.Transport.(type) {
	case nil, *http.Transport:
		c.traceable = true
	}
	c.hc = &hc
	if c.userAgent == "" {
		c.userAgent = "terraform-provider-regfish (regfish Go client)"
	}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// BaseURL returns the API base URL in use.
func (c *Client) BaseURL() string { return c.baseURL }

// Stats counts what a Client did since it was created.
type Stats struct {
	// Requests is the number of HTTP attempts sent (retries included).
	Requests int64
	// RateLimited is the number of 429 answers received.
	RateLimited int64
	// Paced is the number of attempts the pacer held back, PacedWait the
	// time they waited in all.
	Paced     int64
	PacedWait time.Duration
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	c.pacer.mu.Lock()
	defer c.pacer.mu.Unlock()
	return Stats{Requests: c.requests.Load(), RateLimited: c.pacer.limited, Paced: c.pacer.paced, PacedWait: c.pacer.pacedWait}
}

func (c *Client) debug(ctx context.Context, msg string, f map[string]any) {
	if c.logger != nil {
		c.logger.Debug(ctx, msg, f)
	}
}

func (c *Client) warn(ctx context.Context, msg string, f map[string]any) {
	if c.logger != nil {
		c.logger.Warn(ctx, msg, f)
	}
}

// Backoff is the wait before retry attemptNum+1: the server's Retry-After on
// 429/503 when present, else exponential from min with full jitter, capped at
// max.
func Backoff(minWait, maxWait time.Duration, attemptNum int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if ra, ok := retryAfter(resp.Header); ok {
			return ra
		}
	}
	return jitter(minWait, maxWait, attemptNum)
}

// jitter returns a random duration in [ceil/2, ceil] where ceil is
// min*2^attempt capped at max.
func jitter(minWait, maxWait time.Duration, attempt int) time.Duration {
	ceil := float64(minWait)
	for i := 0; i < attempt && ceil < float64(maxWait); i++ {
		ceil *= 2
	}
	if ceil > float64(maxWait) {
		ceil = float64(maxWait)
	}
	half := ceil / 2
	return time.Duration(half + rand.Float64()*half) //nolint:gosec // jitter, not security
}

// retryAfter parses Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// envelope is the API's success/error wrapper.
type envelope struct {
	Success *bool           `json:"success"`
	Code    FlexInt         `json:"code"`
	Message string          `json:"message"`
	Error   string          `json:"error"`
	Resp    json.RawMessage `json:"response"`
}

// call describes one request.
type call struct {
	method string
	path   string
	body   any
	// out receives the decoded response: a pointer to a struct (the answer
	// must be an object) or to a slice (null is an empty list).
	out any
	// check validates the decoded out: "" when valid, else what is wrong.
	check func() string
	// nonIdempotent: see package doc.
	nonIdempotent bool
	// raw: do not decode an envelope on success; return the body, checked
	// by rawCheck.
	raw      bool
	rawCheck func([]byte) string
	// collection: a GET the API always serves; a 404 means a wrong base URL.
	collection bool
	// stream: decode a 2xx answer (a list) from the body as it arrives,
	// element by element, instead of reading it whole first: an account's
	// order list has no size bound (maxStreamBody) and is never held
	// twice in memory.
	stream bool
}

// idempotent reports a call that may be sent again after a 2xx answer.
func (cl call) idempotent() bool {
	if cl.nonIdempotent {
		return false
	}
	switch cl.method {
	case http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodDelete, http.MethodPut:
		return true
	}
	return false
}

// attempt is the outcome of one HTTP exchange.
type attempt struct {
	resp     *http.Response // with the body read into data, or nil
	data     []byte
	err      error // no (complete) answer
	sent     bool  // the request may have reached the server
	timedOut bool  // the attempt's own timeout ran out
	// streamed: a 2xx answer of a stream call, decoded into cl.out from
	// the body (data is empty); decodeErr is decodeSuccess's verdict.
	streamed  bool
	decodeErr error
}

func (c *Client) send1(ctx context.Context, cl call, payload []byte, timeout time.Duration) attempt {
	actx, cancel := context.WithTimeoutCause(ctx, timeout, ErrNoAnswer)
	defer cancel()
	var gotConn atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) }})
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, c.baseURL+cl.path, body)
	if err != nil {
		return attempt{err: err}
	}
	req.Header.Set("x-api-key", c.apiKey)
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !cl.raw {
		req.Header.Set("Accept", "application/json")
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	timedOut := func() bool { return ctx.Err() == nil && errors.Is(context.Cause(actx), ErrNoAnswer) }
	if err != nil {
		err = unwrapURLError(err)
		sent := !neverSent(err) && (gotConn.Load() || !c.traceable)
		return attempt{err: err, sent: sent, timedOut: timedOut()}
	}
	defer func() { _ = resp.Body.Close() }()
	if cl.stream && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		body := &readErrs{r: io.LimitReader(resp.Body, maxStreamBody)}
		a := attempt{resp: resp, sent: true, streamed: true}
		a.decodeErr = decodeSuccessStream(cl, resp.StatusCode, body, cl.out)
		if body.err != nil {
			// the connection failed mid-answer: a transport error, as a
			// ReadAll would have seen it
			a.err, a.timedOut = body.err, timedOut()
		}
		return a
	}
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	a := attempt{resp: resp, data: data, sent: true}
	if rerr != nil {
		a.err, a.timedOut = rerr, timedOut()
	}
	return a
}

// do performs one call with its retries and returns the raw body when cl.raw
// is set.
func (c *Client) do(ctx context.Context, cl call) ([]byte, error) {
	var payload []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s: %w", cl.method, cl.path, err)
		}
		payload = b
	}
	if err := c.breakerError(cl); err != nil {
		return nil, err
	}
	start := time.Now()
	var (
		rateWait  time.Duration // waits for the API's rate limit (outside the budget)
		retries   int
		rlRetries int
		attempts  int
		answered  bool
		lastErr   error
	)
	for {
		waited, err := c.pacer.wait(ctx, c.maxRA)
		rateWait += waited
		if waited > 0 {
			c.debug(ctx, "regfish API request held back by the rate limit", map[string]any{
				"method": cl.method, "path": cl.path, "waited_ms": waited.Milliseconds()})
		}
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) {
				ae.Method, ae.Path = cl.method, cl.path
				return nil, ae
			}
			return nil, c.contextError(cl, err, false)
		}
		timeout := c.reqTimeout
		if attempts > 0 {
			timeout = max(min(timeout, c.budget-(time.Since(start)-rateWait)), c.reqTimeout/10)
		}
		attempts++
		t0 := time.Now()
		a := c.send1(ctx, cl, payload, timeout)
		var h http.Header
		status := 0
		if a.resp != nil {
			h, status = a.resp.Header, a.resp.StatusCode
		}
		ra, _ := retryAfter(h)
		c.pacer.done(h, status, ra, c.maxRA)
		if a.resp != nil {
			answered = true
			c.closeBreaker()
			c.debug(ctx, "regfish API request", map[string]any{
				"method": cl.method, "path": cl.path, "status": status, "duration_ms": time.Since(t0).Milliseconds()})
		}
		if a.err != nil && ctx.Err() != nil {
			return nil, c.contextError(cl, ctx.Err(), cl.nonIdempotent && a.sent)
		}
		v := c.evaluate(cl, a, timeout)
		if v.err == nil {
			return v.data, nil
		}
		lastErr = v.err
		if !v.retry {
			break
		}
		var wait time.Duration
		if v.rateLimited {
			if rlRetries >= c.rlRetries {
				break
			}
			rlRetries++
			wait = ra
			if wait <= 0 {
				wait = jitter(c.waitMin, c.waitMax, rlRetries-1)
			}
		} else {
			if retries >= c.retries {
				break
			}
			retries++
			wait = Backoff(c.waitMin, c.waitMax, retries-1, a.resp)
			// Not worth starting when the budget does not leave a tenth of
			// an attempt after the wait.
			if time.Since(start)-rateWait+wait > c.budget-c.reqTimeout/10 {
				break
			}
		}
		c.warn(ctx, "retrying regfish API request", map[string]any{
			"method": cl.method, "path": cl.path, "attempt": attempts + 1, "reason": v.err.Error(), "wait_ms": wait.Milliseconds()})
		if err := Sleep(ctx, wait); err != nil {
			return nil, c.contextError(cl, err, false)
		}
		if v.rateLimited {
			rateWait += wait
		}
	}
	var te *TransportError
	if errors.As(lastErr, &te) {
		te.Attempts, te.Elapsed = attempts, time.Since(start)
		if te.Kind == KindTimeout && !answered {
			c.openBreaker()
		}
	}
	return nil, lastErr
}

// verdict is what one attempt means for its call.
type verdict struct {
	data        []byte // raw body of a successful raw call
	err         error  // nil: success
	retry       bool   // the error is worth another attempt
	rateLimited bool   // a 429
}

// evaluate turns an attempt into the call's result or error.
func (c *Client) evaluate(cl call, a attempt, timeout time.Duration) verdict {
	if a.err != nil {
		kind, transient := classify(a.err)
		if a.timedOut {
			kind, transient = KindTimeout, true
		}
		te := &TransportError{Method: cl.method, Path: cl.path, BaseURL: c.baseURL, Kind: kind, Err: a.err}
		if kind == KindTimeout {
			// The configured timeout: the last attempt may have been cut
			// shorter by the budget, which the attempt count then tells.
			te.Timeout = max(timeout, c.reqTimeout)
			if a.timedOut && errors.Is(a.err, context.DeadlineExceeded) {
				te.Err = ErrNoAnswer
			}
		}
		if a.resp != nil {
			// The status line arrived, the body did not (completely): after
			// a 2xx a POST was carried out.
			ok := a.resp.StatusCode >= 200 && a.resp.StatusCode < 300
			te.MaybeProcessed = cl.nonIdempotent || (ok && !cl.idempotent())
		} else {
			te.MaybeProcessed = cl.nonIdempotent && a.sent
		}
		return verdict{err: te, retry: transient && !te.MaybeProcessed}
	}
	resp := a.resp
	switch s := resp.StatusCode; {
	case s >= 200 && s <= 299:
		c.accept(cl.path)
		var reason string
		var err error
		if cl.raw {
			if cl.rawCheck != nil {
				reason = cl.rawCheck(a.data)
			}
			if reason == "" {
				return verdict{data: a.data}
			}
			err = &APIError{Method: cl.method, Path: cl.path, StatusCode: s, Message: "invalid answer: " + reason}
		} else {
			if a.streamed {
				err = a.decodeErr
			} else {
				err = decodeSuccess(cl, s, a.data, cl.out)
			}
			if err == nil {
				return verdict{}
			}
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode >= 200 && ae.StatusCode < 300 {
			if !cl.idempotent() {
				// A 2xx means the API carried the request out; what it
				// created or changed is unknown.
				ae.Ambiguous = true
				return verdict{err: ae}
			}
			return verdict{err: ae, retry: true}
		}
		return verdict{err: err}
	case s >= 300 && s <= 399:
		return verdict{err: c.redirectError(cl, resp)}
	case s == http.StatusTooManyRequests:
		ra, ok := retryAfter(resp.Header)
		return verdict{err: c.apiError(cl, resp, a.data), retry: !ok || ra <= c.maxRA, rateLimited: true}
	case s >= 500 && s != http.StatusNotImplemented:
		return verdict{err: c.apiError(cl, resp, a.data), retry: !cl.nonIdempotent}
	default:
		return verdict{err: c.apiError(cl, resp, a.data)}
	}
}

// contextError reports the caller's context ending during a call.
func (c *Client) contextError(cl call, err error, inFlight bool) error {
	if inFlight {
		return &TransportError{Method: cl.method, Path: cl.path, BaseURL: c.baseURL, Kind: KindCanceled, Err: err, MaybeProcessed: true}
	}
	return fmt.Errorf("regfish API %s %s: %w", cl.method, cl.path, err)
}

// Sleep waits d or until ctx ends, whichever is first, and returns ctx's
// error in the second case (also when d <= 0 and ctx has already ended).
// It is the one sleep of the provider: the client's retries and the
// engine's waits use it.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// openBreaker makes calls fail at once for the next budget: a call just
// spent its whole budget without any answer from the API.
func (c *Client) openBreaker() {
	c.breakerMu.Lock()
	defer c.breakerMu.Unlock()
	now := time.Now()
	c.noAnswerAt, c.noAnswerTill = now, now.Add(c.budget)
}

func (c *Client) closeBreaker() {
	c.breakerMu.Lock()
	defer c.breakerMu.Unlock()
	c.noAnswerTill = time.Time{}
}

func (c *Client) breakerError(cl call) error {
	c.breakerMu.Lock()
	defer c.breakerMu.Unlock()
	if c.noAnswerTill.IsZero() || !time.Now().Before(c.noAnswerTill) {
		return nil
	}
	return &TransportError{Method: cl.method, Path: cl.path, BaseURL: c.baseURL, Kind: KindTimeout,
		Err: fmt.Errorf("another request gave up %s ago without an answer; not sent: requests fail at once for another %s",
			time.Since(c.noAnswerAt).Round(time.Second), time.Until(c.noAnswerTill).Round(time.Second))}
}

// decodeSuccess decodes a 2xx body: it must be an envelope with success:true,
// and when out points to a struct its response must be an object.
func decodeSuccess(cl call, status int, data []byte, out any) error {
	invalid := func(msg string) error {
		return &APIError{Method: cl.method, Path: cl.path, StatusCode: status, Message: msg}
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return invalid("response is not a JSON envelope: " + err.Error())
	}
	if env.Success == nil || !*env.Success {
		e := &APIError{Method: cl.method, Path: cl.path, StatusCode: status, Code: int(env.Code), Message: firstNonEmpty(env.Message, env.Error, "response without success:true"), Detail: env.Error}
		// Legacy DNS answer: 200 + success:false + 15001 "Record not found".
		if env.Code == 15001 {
			e.StatusCode = http.StatusNotFound
		}
		return e
	}
	if out == nil {
		return nil
	}
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return invalid("internal error: cannot decode into " + rv.Type().String())
	}
	rv.Elem().SetZero()
	wantObject := rv.Elem().Kind() == reflect.Struct
	if len(env.Resp) == 0 || string(env.Resp) == "null" {
		// A null list is not an empty one ([]): taken for "none" it would
		// make a failed lookup a decision (no orders, no zones).
		if wantObject {
			return invalid("invalid answer: the response object is missing or null")
		}
		return invalid("invalid answer: the response list is missing or null")
	}
	if err := json.Unmarshal(env.Resp, out); err != nil {
		rv.Elem().SetZero()
		return invalid("cannot decode response: " + err.Error())
	}
	if cl.check != nil {
		if reason := cl.check(); reason != "" {
			rv.Elem().SetZero()
			return invalid("invalid answer: " + reason)
		}
	}
	return nil
}

// collectionHint is appended to a 404 on a collection endpoint.
func (c *Client) collectionHint(path string) string {
	return fmt.Sprintf("check base_url: the API at %s does not serve %s", c.baseURL, path)
}

// apiPart names the part of the API a path belongs to: "TLS", "DNS" or "".
func apiPart(path string) string {
	switch {
	case strings.HasPrefix(path, "/tls/"):
		return "TLS"
	case strings.HasPrefix(path, "/dns/"):
		return "DNS"
	}
	return ""
}

// accept notes that the part of the API path belongs to took the key.
func (c *Client) accept(path string) {
	switch apiPart(path) {
	case "TLS":
		c.acceptedTLS.Store(true)
	case "DNS":
		c.acceptedDNS.Store(true)
	}
}

// acceptedSame reports whether the part of the API path belongs to took
// the key (a 403 there is then about the call, not the key's role).
func (c *Client) acceptedSame(path string) bool {
	switch apiPart(path) {
	case "TLS":
		return c.acceptedTLS.Load()
	case "DNS":
		return c.acceptedDNS.Load()
	}
	return false
}

// acceptedElsewhere reports whether a part of the API other than path's
// took the key.
func (c *Client) acceptedElsewhere(path string) bool {
	switch apiPart(path) {
	case "TLS":
		return c.acceptedDNS.Load()
	case "DNS":
		return c.acceptedTLS.Load()
	}
	return false
}

func (c *Client) apiError(cl call, resp *http.Response, data []byte) error {
	e := &APIError{Method: cl.method, Path: cl.path, StatusCode: resp.StatusCode, Part: apiPart(cl.path)}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		e.KeyAcceptedElsewhere = c.acceptedElsewhere(cl.path)
	case http.StatusForbidden:
		e.PartAccepted = c.acceptedSame(cl.path)
	}
	var env envelope
	if json.Unmarshal(data, &env) == nil {
		e.Code = int(env.Code)
		e.Message = firstNonEmpty(env.Message, env.Error)
		e.Detail = env.Error
	}
	if e.Message == "" {
		text := strings.TrimSpace(string(data))
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		e.Message = firstNonEmpty(text, http.StatusText(resp.StatusCode))
	}
	if ra, ok := retryAfter(resp.Header); ok {
		e.RetryAfter = ra
	}
	e.Ambiguous = cl.nonIdempotent && resp.StatusCode >= 500
	if cl.collection && resp.StatusCode == http.StatusNotFound {
		e.WrongBaseURL = true
		e.Hint = c.collectionHint(cl.path)
	}
	return e
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// DecodeEnvelope decodes a successful response body into out, with the
// rules of the client (exported for the fuzz test and for tools): a body
// that is not an envelope with success:true is an error, and so is a null
// or missing response when out points to a struct.
func DecodeEnvelope(status int, data []byte, out any) error {
	return decodeSuccess(call{method: "GET", path: "/"}, status, data, out)
}

// get/post helpers.

func (c *Client) get(ctx context.Context, path string, out any, check func() string) error {
	_, err := c.do(ctx, call{method: http.MethodGet, path: path, out: out, check: check})
	return err
}

func (c *Client) send(ctx context.Context, method, path string, body, out any, check func() string) error {
	_, err := c.do(ctx, call{method: method, path: path, body: body, out: out, check: check})
	return err
}

func pathEscape(s string) string { return url.PathEscape(s) }

// readErrs remembers the first read error other than io.EOF, so that a
// stream decode can tell a broken connection from a malformed answer.
type readErrs struct {
	r   io.Reader
	err error
}

func (r *readErrs) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// decodeSuccessStream is decodeSuccess for a list read from the body as it
// arrives: the envelope's keys in any order, the "response" list decoded
// element by element into out (a pointer to a slice), with the same
// verdicts: success missing or false is an API error (with the legacy
// 15001 as a 404), a missing or null list an invalid answer, and cl.check
// validates the result.
func decodeSuccessStream(cl call, status int, r io.Reader, out any) error {
	invalid := func(msg string) error {
		return &APIError{Method: cl.method, Path: cl.path, StatusCode: status, Message: msg}
	}
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Slice {
		return invalid("internal error: cannot stream into " + fmt.Sprintf("%T", out))
	}
	list := rv.Elem()
	list.SetZero()
	fail := func(msg string) error {
		list.SetZero()
		return invalid(msg)
	}
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fail("response is not a JSON envelope")
	}
	var env envelope
	sawList := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fail("response is not a JSON envelope: " + err.Error())
		}
		key, _ := t.(string)
		switch key {
		case "success":
			err = dec.Decode(&env.Success)
		case "code":
			err = dec.Decode(&env.Code)
		case "message":
			err = dec.Decode(&env.Message)
		case "error":
			err = dec.Decode(&env.Error)
		case "response":
			var open json.Token
			if open, err = dec.Token(); err != nil {
				break
			}
			if open == nil { // null
				continue
			}
			if open != json.Delim('[') {
				return fail("cannot decode response: not a list")
			}
			sawList = true
			for dec.More() {
				el := reflect.New(list.Type().Elem())
				if err = dec.Decode(el.Interface()); err != nil {
					break
				}
				list.Set(reflect.Append(list, el.Elem()))
			}
			if err == nil {
				_, err = dec.Token() // ]
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fail("cannot decode response: " + err.Error())
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail("response is not a JSON envelope: " + err.Error())
	}
	if env.Success == nil || !*env.Success {
		list.SetZero()
		e := &APIError{Method: cl.method, Path: cl.path, StatusCode: status, Code: int(env.Code), Message: firstNonEmpty(env.Message, env.Error, "response without success:true"), Detail: env.Error}
		if env.Code == 15001 {
			e.StatusCode = http.StatusNotFound
		}
		return e
	}
	if !sawList {
		return fail("invalid answer: the response list is missing or null")
	}
	if cl.check != nil {
		if reason := cl.check(); reason != "" {
			return fail("invalid answer: " + reason)
		}
	}
	return nil
}
