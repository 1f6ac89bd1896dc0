package regfish

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors. Every error the client returns for an API answer is an
// *APIError and every failure without a usable answer a *TransportError;
// both match these with errors.Is, so callers never compare status codes or
// error strings themselves.
var (
	// ErrNotFound: 404, or the legacy "200 + success:false + code 15001".
	// A 404 on a collection endpoint (ErrWrongBaseURL) does not match.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: 401, the API key is missing or wrong.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: 403, the API key lacks the role for this call.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: 409, the object is not in a state that allows the call
	// (download before issuance, complete on an order that is not staged, ...).
	ErrConflict = errors.New("conflict")
	// ErrDuplicate: 417, a DNS record identical to an existing one.
	ErrDuplicate = errors.New("duplicate")
	// ErrValidation: 400/422, the API rejected the request body.
	ErrValidation = errors.New("validation failed")
	// ErrRateLimited: 429 that outlasted the retries, or a rate-limit wait
	// longer than Config.MaxRetryAfter.
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: 5xx that outlasted the retries.
	ErrServer = errors.New("server error")
	// ErrInvalidResponse: a 2xx answer the client cannot use: not a JSON
	// envelope with success:true (HTML, truncated, success:false), an
	// object answer that is null, empty or without an id, an answer naming
	// another object than the one asked for, a list element without an id,
	// or a download that is not what was asked for. Reads return it only
	// after the retries; on a POST it also matches ErrMaybeProcessed.
	ErrInvalidResponse = errors.New("invalid response")
	// ErrMaybeProcessed marks a failed call that may nevertheless have been
	// carried out by the API: for the creating POSTs (order, organization,
	// DNS record) a 5xx answer, a connection lost or a timeout after the
	// request was sent, a context cancelled while the request was in flight,
	// a redirect answer (except 307/308) and any invalid 2xx answer; for the
	// certificate action POSTs (complete, reissue, revoke, cancel) an invalid
	// 2xx answer. The caller must look the result up instead of sending the
	// request again.
	ErrMaybeProcessed = errors.New("the request may have been processed")
	// ErrWrongBaseURL: 404 on a collection endpoint the API always serves
	// (GET /tls/products, /tls/certificate, /tls/organization, /dns/zones):
	// base_url does not point at the regfish API.
	ErrWrongBaseURL = errors.New("the API at base_url does not serve this endpoint")
	// ErrNoAnswer: the API accepted (or was being connected to) but did not
	// answer within Config.RequestTimeout, on every attempt of the call; or
	// an earlier call gave up that way moments ago (see Client.do).
	ErrNoAnswer = errors.New("the API did not answer")
	// ErrConnectionRefused: nothing listens at base_url's host and port.
	ErrConnectionRefused = errors.New("connection refused")
	// ErrHostNotFound: base_url's host name does not resolve.
	ErrHostNotFound = errors.New("cannot resolve host")
	// ErrTLS: the TLS handshake failed (untrusted or mismatching certificate,
	// plain HTTP spoken on the port, ...). Not retried.
	ErrTLS = errors.New("TLS handshake failed")
	// ErrRedirect: the API answered with a redirect the client does not
	// follow: to another scheme, host or port than base_url's (the API key
	// is never sent there), any redirect of a call that is not a read, or
	// too many redirects. Not retried.
	ErrRedirect = errors.New("redirect not followed")
	// ErrInsecureBaseURL: New was given a plain http:// base URL whose host
	// is not loopback, without Config.AllowInsecureHTTP.
	ErrInsecureBaseURL = errors.New("plain http:// base URL to a host that is not loopback")
)

// APIError is an answer of the regfish API the client does not turn into a
// result: an error status, or a 2xx it cannot use (ErrInvalidResponse).
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	// Code is the API's numeric code (0 when absent).
	Code int
	// Message is the API's message (or its error text when there is no
	// message), or for an invalid 2xx what is wrong with the answer.
	Message string
	// Detail is the API's error text when it differs from Message.
	Detail string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Ambiguous: the call may have been carried out (ErrMaybeProcessed).
	Ambiguous bool
	// WrongBaseURL: a 404 on a collection endpoint (ErrWrongBaseURL).
	WrongBaseURL bool
	// Hint is advice appended to the message ("check base_url: ...").
	Hint string
	// Part is the part of the API the call was for: "TLS", "DNS" or "".
	Part string
	// KeyAcceptedElsewhere: a 401 after another part of the API took the
	// same key in this run, which says the key lacks the role for Part
	// rather than being wrong (regfish's answer to a missing role is not
	// documented: 403, or 401 as for a wrong key).
	KeyAcceptedElsewhere bool
	// PartAccepted: a 403 after the same part of the API took the key in
	// this run: a refusal of this call (e.g. an action offered only in the
	// Console), not of the key's role.
	PartAccepted bool
}

// RoleProblem reports an answer that says the key lacks the role for the
// call's part of the API: a 403 before that part took the key in this run,
// or a 401 after another part took it.
func (e *APIError) RoleProblem() bool {
	return (e.StatusCode == http.StatusForbidden && !e.PartAccepted) || (e.StatusCode == http.StatusUnauthorized && e.KeyAcceptedElsewhere)
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	s := fmt.Sprintf("regfish API %s %s: HTTP %d: %s", e.Method, e.Path, e.StatusCode, msg)
	if e.Detail != "" && e.Detail != e.Message {
		s += " (" + e.Detail + ")"
	}
	if e.Code != 0 {
		s += fmt.Sprintf(" [code %d]", e.Code)
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	if e.RoleProblem() && e.Part != "" {
		s += "; the API key may lack the role for the " + e.Part + " endpoints"
		if e.StatusCode == http.StatusUnauthorized {
			s = strings.Replace(s, "; the API key may lack", "; other regfish endpoints accepted the API key in this run, so it most likely lacks", 1)
		}
	}
	if e.Ambiguous {
		s += "; " + ErrMaybeProcessed.Error()
	}
	return s
}

// Is maps the status to the package's sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound && !e.WrongBaseURL
	case ErrWrongBaseURL:
		return e.WrongBaseURL
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrDuplicate:
		return e.StatusCode == http.StatusExpectationFailed
	case ErrValidation:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	case ErrInvalidResponse:
		return e.StatusCode >= 200 && e.StatusCode < 300
	case ErrMaybeProcessed:
		return e.Ambiguous
	}
	return false
}

// TransportKind classifies a failure without a usable HTTP answer.
type TransportKind string

// Transport failure kinds.
const (
	// KindTimeout: no answer within the attempt's timeout (ErrNoAnswer).
	KindTimeout TransportKind = "timeout"
	// KindRefused: connection refused (ErrConnectionRefused).
	KindRefused TransportKind = "refused"
	// KindDNS: the host name did not resolve (ErrHostNotFound).
	KindDNS TransportKind = "dns"
	// KindTLS: the TLS handshake failed (ErrTLS).
	KindTLS TransportKind = "tls"
	// KindReset: the connection was closed or reset before a full answer.
	KindReset TransportKind = "reset"
	// KindRedirect: a redirect the client does not follow (ErrRedirect).
	KindRedirect TransportKind = "redirect"
	// KindCanceled: the caller's context ended while the request was in
	// flight; Err is the context's error.
	KindCanceled TransportKind = "canceled"
	// KindOther: anything else.
	KindOther TransportKind = "other"
)

// TransportError is a call that got no usable HTTP answer (connection
// refused or reset, timeout, DNS or TLS failure, refused redirect) after the
// retries. Its message names base_url's host; it never holds the API key.
type TransportError struct {
	Method string
	Path   string
	// BaseURL is the client's base URL.
	BaseURL string
	Kind    TransportKind
	Err     error
	// Timeout is the attempt timeout that ran out (KindTimeout).
	Timeout time.Duration
	// Attempts and Elapsed describe the whole call (Attempts 0: not sent).
	Attempts int
	Elapsed  time.Duration
	// MaybeProcessed is set for a call whose request may have reached the
	// server and been carried out (ErrMaybeProcessed).
	MaybeProcessed bool
}

func (e *TransportError) host() string {
	if u, err := parseBase(e.BaseURL); err == nil {
		return u.Host
	}
	return e.BaseURL
}

func (e *TransportError) Error() string {
	var what string
	switch e.Kind {
	case KindTimeout:
		what = fmt.Sprintf("the API at %s did not answer", e.BaseURL)
		if e.Timeout > 0 {
			what += " within " + e.Timeout.String()
		}
		if e.Err != nil && e.Err != ErrNoAnswer {
			what += " (" + e.Err.Error() + ")"
		}
	case KindRefused:
		what = fmt.Sprintf("connection refused by %s (base_url %s): is the API running there?", e.host(), e.BaseURL)
	case KindDNS:
		what = fmt.Sprintf("cannot resolve host %s (%v): check base_url %s", e.host(), e.Err, e.BaseURL)
	case KindTLS:
		what = fmt.Sprintf("TLS handshake with %s failed: %v", e.host(), e.Err)
	case KindReset:
		what = fmt.Sprintf("the connection to %s ended before a complete answer: %v", e.host(), e.Err)
	case KindCanceled:
		what = fmt.Sprintf("%v while the request to %s was in flight", e.Err, e.host())
	default:
		what = fmt.Sprint(e.Err)
	}
	s := fmt.Sprintf("regfish API %s %s: %s", e.Method, e.Path, what)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts in %s)", e.Attempts, e.Elapsed.Round(time.Millisecond))
	}
	if e.MaybeProcessed {
		s += "; " + ErrMaybeProcessed.Error()
	}
	return s
}

func (e *TransportError) Unwrap() error { return e.Err }

// Is maps the kind to the package's sentinel errors.
func (e *TransportError) Is(target error) bool {
	switch target {
	case ErrMaybeProcessed:
		return e.MaybeProcessed
	case ErrNoAnswer:
		return e.Kind == KindTimeout
	case ErrConnectionRefused:
		return e.Kind == KindRefused
	case ErrHostNotFound:
		return e.Kind == KindDNS
	case ErrTLS:
		return e.Kind == KindTLS
	case ErrRedirect:
		return e.Kind == KindRedirect
	}
	return false
}

// IsNotFound is shorthand for errors.Is(err, ErrNotFound).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
