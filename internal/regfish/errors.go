package regfish

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel errors. Every error returned by the client for an API answer is an
// *APIError, which matches one of these with errors.Is, so callers never
// compare status codes themselves.
var (
	// ErrNotFound: 404, or the legacy "200 + success:false + code 15001".
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
	// ErrRateLimited: 429 that outlasted the retries.
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: 5xx that outlasted the retries.
	ErrServer = errors.New("server error")
	// ErrInvalidResponse: a 2xx whose body is not a successful envelope.
	ErrInvalidResponse = errors.New("invalid response")
	// ErrMaybeProcessed marks a failed non-idempotent call (placing an order)
	// that may nevertheless have reached the server and been carried out: a
	// 5xx answer, a connection reset or a timeout after the request was sent.
	// The caller must look the result up instead of sending it again.
	ErrMaybeProcessed = errors.New("the request may have been processed")
)

// APIError is an error answer of the regfish API.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	// Code is the API's numeric code (0 when absent).
	Code int
	// Message is the API's message (or its error text when there is no message).
	Message string
	// Detail is the API's error text when it differs from Message.
	Detail string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Ambiguous is set for a non-idempotent call answered with a 5xx.
	Ambiguous bool
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
	if e.Ambiguous {
		s += "; " + ErrMaybeProcessed.Error()
	}
	return s
}

// Is maps the status to the package's sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
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

// TransportError is a request that got no HTTP answer (connection refused or
// reset, timeout, TLS failure) after the retries.
type TransportError struct {
	Method string
	Path   string
	Err    error
	// MaybeProcessed is set for a non-idempotent call whose request may have
	// reached the server.
	MaybeProcessed bool
}

func (e *TransportError) Error() string {
	s := fmt.Sprintf("regfish API %s %s: %v", e.Method, e.Path, e.Err)
	if e.MaybeProcessed {
		s += "; " + ErrMaybeProcessed.Error()
	}
	return s
}

func (e *TransportError) Unwrap() error { return e.Err }

// Is reports ErrMaybeProcessed for ambiguous transport failures.
func (e *TransportError) Is(target error) bool {
	return target == ErrMaybeProcessed && e.MaybeProcessed
}

// IsNotFound is shorthand for errors.Is(err, ErrNotFound).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
