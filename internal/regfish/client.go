// Package regfish is the one client of the regfish TLS and DNS API used by the
// whole provider.
//
// Every call goes through one HTTP path (Client.do) that adds the API key, the
// User-Agent and JSON headers, decodes the success/error envelope into typed
// values and errors, and retries what is safe to retry: 429 (honouring
// Retry-After), 5xx and connection failures, with capped, jittered
// exponential backoff and context cancellation. Placing an order is not
// idempotent: such a call is only retried when the server provably did not
// process it (429, or a connection that was never established); any other
// failure is reported with ErrMaybeProcessed so that the caller looks the
// order up instead of placing a second one.
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
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// DefaultBaseURL is the production API.
const DefaultBaseURL = "https://api.regfish.com"

// Defaults of Config.
const (
	DefaultMaxRetries    = 4
	DefaultRetryWaitMin  = 500 * time.Millisecond
	DefaultRetryWaitMax  = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
	DefaultTimeout       = 60 * time.Second
)

// maxBody bounds how much of a response the client reads (16 MiB).
const maxBody = 16 << 20

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
	// HTTPClient is the underlying client (its Timeout bounds one attempt).
	HTTPClient *http.Client
	// MaxRetries is the number of retries after the first attempt; a
	// negative value disables retries.
	MaxRetries   int
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// MaxRetryAfter: a Retry-After longer than this is not waited for; the
	// call fails with ErrRateLimited at once.
	MaxRetryAfter time.Duration
	Logger        Logger
}

// Client talks to the regfish API. It is safe for concurrent use.
type Client struct {
	baseURL   string
	apiKey    string
	userAgent string
	http      *retryablehttp.Client
	logger    Logger
	maxRA     time.Duration
}

type ctxKey int

const nonIdempotentKey ctxKey = 1

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid base URL %q: must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.APIKey == "" {
		return nil, errors.New("missing API key")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		var rt http.RoundTripper = &http.Transport{Proxy: http.ProxyFromEnvironment}
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			rt = t.Clone()
		}
		hc = &http.Client{Timeout: DefaultTimeout, Transport: rt}
	}
	c := &Client{
		baseURL:   base,
		apiKey:    cfg.APIKey,
		userAgent: cfg.UserAgent,
		logger:    cfg.Logger,
		maxRA:     cfg.MaxRetryAfter,
	}
	if c.userAgent == "" {
		c.userAgent = "terraform-provider-regfish (regfish Go client)"
	}
	if c.maxRA == 0 {
		c.maxRA = DefaultMaxRetryAfter
	}
	rc := &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil,
		RetryWaitMin: orDefault(cfg.RetryWaitMin, DefaultRetryWaitMin),
		RetryWaitMax: orDefault(cfg.RetryWaitMax, DefaultRetryWaitMax),
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   c.checkRetry,
		Backoff:      Backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, r *http.Request, attempt int) {
			if attempt > 0 {
				c.warn(r.Context(), "retrying regfish API request", map[string]any{
					"method": r.Method, "path": r.URL.Path, "attempt": attempt + 1,
				})
			}
		},
	}
	switch {
	case cfg.MaxRetries < 0:
		rc.RetryMax = 0
	case cfg.MaxRetries == 0:
		rc.RetryMax = DefaultMaxRetries
	}
	c.http = rc
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

// checkRetry decides whether an attempt is repeated.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	nonIdem, _ := ctx.Value(nonIdempotentKey).(bool)
	if err != nil {
		if nonIdem && !neverSent(err) {
			return false, nil
		}
		return isTransient(err), nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if ra, ok := retryAfter(resp); ok && ra > c.maxRA {
			return false, nil
		}
		return true, nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return !nonIdem, nil
	}
	return false, nil
}

// neverSent reports a connection failure that happened before any byte of
// the request could reach the server.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

func isTransient(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		msg := ue.Err.Error()
		for _, s := range []string{"unsupported protocol scheme", "stopped after", "certificate", "x509:", "invalid header"} {
			if strings.Contains(msg, s) {
				return false
			}
		}
	}
	return true
}

// Backoff is the wait before retry attemptNum+1: the server's Retry-After on
// 429/503 when present, else exponential from min with full jitter, capped at
// max.
func Backoff(minWait, maxWait time.Duration, attemptNum int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if ra, ok := retryAfter(resp); ok {
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
func retryAfter(resp *http.Response) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
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
	out    any
	// nonIdempotent: see package doc.
	nonIdempotent bool
	// raw: do not decode an envelope on success; return the body.
	raw bool
}

// do performs one call and returns the raw body when c.raw is set.
func (c *Client) do(ctx context.Context, cl call) ([]byte, error) {
	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s: %w", cl.method, cl.path, err)
		}
		body = bytes.NewReader(b)
	}
	if cl.nonIdempotent {
		ctx = context.WithValue(ctx, nonIdempotentKey, true)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, cl.method, c.baseURL+cl.path, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set("x-api-key", c.apiKey)
	req.Header.Set("User-Agent", c.userAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !cl.raw {
		req.Header.Set("Accept", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if resp == nil {
		if err == nil {
			err = errors.New("no response")
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("regfish API %s %s: %w", cl.method, cl.path, ctxErr)
		}
		return nil, &TransportError{Method: cl.method, Path: cl.path, Err: unwrapURLError(err), MaybeProcessed: cl.nonIdempotent && !neverSent(err)}
	}
	defer func() { _ = resp.Body.Close() }()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	c.debug(ctx, "regfish API request", map[string]any{
		"method": cl.method, "path": cl.path, "status": resp.StatusCode, "duration_ms": time.Since(start).Milliseconds(),
	})
	if rerr != nil {
		return nil, &TransportError{Method: cl.method, Path: cl.path, Err: rerr, MaybeProcessed: cl.nonIdempotent}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.apiError(cl, resp, data)
	}
	if cl.raw {
		return data, nil
	}
	return nil, decodeSuccess(cl, resp.StatusCode, data, cl.out)
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// decodeSuccess decodes a 2xx body: it must be an envelope with success:true.
func decodeSuccess(cl call, status int, data []byte, out any) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return &APIError{Method: cl.method, Path: cl.path, StatusCode: status, Message: "response is not a JSON envelope: " + err.Error()}
	}
	if env.Success == nil || !*env.Success {
		e := &APIError{Method: cl.method, Path: cl.path, StatusCode: status, Code: int(env.Code), Message: firstNonEmpty(env.Message, env.Error, "response without success:true"), Detail: env.Error}
		// Legacy DNS answer: 200 + success:false + 15001 "Record not found".
		if env.Code == 15001 {
			e.StatusCode = http.StatusNotFound
		}
		return e
	}
	if out == nil || len(env.Resp) == 0 || string(env.Resp) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.Resp, out); err != nil {
		return &APIError{Method: cl.method, Path: cl.path, StatusCode: status, Message: "cannot decode response: " + err.Error()}
	}
	return nil
}

func (c *Client) apiError(cl call, resp *http.Response, data []byte) error {
	e := &APIError{Method: cl.method, Path: cl.path, StatusCode: resp.StatusCode}
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
	if ra, ok := retryAfter(resp); ok {
		e.RetryAfter = ra
	}
	e.Ambiguous = cl.nonIdempotent && resp.StatusCode >= 500
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
// rules of the client (exported for the fuzz test and for tools).
func DecodeEnvelope(status int, data []byte, out any) error {
	return decodeSuccess(call{method: "GET", path: "/"}, status, data, out)
}

// get/post helpers.

func (c *Client) get(ctx context.Context, path string, out any) error {
	_, err := c.do(ctx, call{method: http.MethodGet, path: path, out: out})
	return err
}

func (c *Client) send(ctx context.Context, method, path string, body, out any) error {
	_, err := c.do(ctx, call{method: method, path: path, body: body, out: out})
	return err
}

func pathEscape(s string) string { return url.PathEscape(s) }
