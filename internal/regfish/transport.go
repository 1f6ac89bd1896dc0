package regfish

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// parseBase parses an absolute http(s) base URL.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("invalid base URL %q: must be an absolute http(s) URL", raw)
	}
	return u, nil
}

// IsLoopbackHost reports whether host (a name or an IP address, without
// port) is this machine: "localhost", 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// CheckBaseURL applies New's rules to a base URL: an absolute http(s) URL,
// and plain http:// only to a loopback host unless allowInsecureHTTP. The
// error of a plain http:// URL to another host matches ErrInsecureBaseURL.
func CheckBaseURL(raw string, allowInsecureHTTP bool) error {
	u, err := parseBase(raw)
	if err != nil {
		return err
	}
	if u.Scheme == "http" && !allowInsecureHTTP && !IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("base URL %s: %w: the API key would cross the network unencrypted; use https://, "+
			"or allow plain http explicitly (only loopback hosts - localhost, 127.0.0.0/8, ::1 - are allowed without it)", raw, ErrInsecureBaseURL)
	}
	return nil
}

// sameOrigin reports whether u has the scheme, host and port of base.
func sameOrigin(base, u *url.URL) bool {
	return strings.EqualFold(base.Scheme, u.Scheme) &&
		strings.EqualFold(strings.TrimSuffix(base.Hostname(), "."), strings.TrimSuffix(u.Hostname(), ".")) &&
		effectivePort(base) == effectivePort(u)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// checkRedirect follows a redirect only for reads (GET/HEAD) and only to
// base_url's own scheme, host and port, at most 10 times. Anything else
// stops at the redirect answer, which Client.do reports as ErrRedirect; the
// request (and with it the API key) is never sent to the other place.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 || len(via) == 0 {
		return http.ErrUseLastResponse
	}
	if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
		return http.ErrUseLastResponse
	}
	if !sameOrigin(c.base, req.URL) {
		return http.ErrUseLastResponse
	}
	return nil
}

// redirectError describes a redirect answer that was not followed.
func (c *Client) redirectError(cl call, resp *http.Response) *TransportError {
	loc := resp.Header.Get("Location")
	target := loc
	if resp.Request != nil && resp.Request.URL != nil {
		if u, err := resp.Request.URL.Parse(loc); err == nil {
			target = u.Redacted()
		}
	}
	var reason string
	tu, _ := url.Parse(target)
	switch {
	case loc == "":
		reason = fmt.Sprintf("the API answered with HTTP %d without a Location", resp.StatusCode)
	case tu != nil && tu.Host != "" && !sameOrigin(c.base, tu):
		reason = fmt.Sprintf("refusing to follow the redirect (HTTP %d) to %s: it leaves base_url's scheme, host and port (%s://%s), "+
			"and the API key is only ever sent there; check base_url", resp.StatusCode, target, c.base.Scheme, c.base.Host)
	case cl.method != http.MethodGet && cl.method != http.MethodHead:
		reason = fmt.Sprintf("the API answered %s with a redirect (HTTP %d to %s); only reads follow redirects: check base_url", cl.method, resp.StatusCode, target)
	default:
		reason = fmt.Sprintf("too many redirects (the last one, HTTP %d, to %s): check base_url", resp.StatusCode, target)
	}
	// 307/308 say "send this request there instead": it was not carried
	// out. Any other redirect of a creating POST (303 "see the result") may
	// follow a processed request.
	maybe := cl.nonIdempotent && resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect
	return &TransportError{Method: cl.method, Path: cl.path, BaseURL: c.baseURL, Kind: KindRedirect, Err: errors.New(reason), MaybeProcessed: maybe}
}

// classify sorts a failed round trip and tells whether it is worth
// retrying (for requests that are safe to repeat).
func classify(err error) (TransportKind, bool) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return KindDNS, !dnsErr.IsNotFound && (dnsErr.IsTemporary || dnsErr.IsTimeout)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return KindRefused, true
	}
	var (
		verr  *tls.CertificateVerificationError
		rhErr tls.RecordHeaderError
		alert tls.AlertError
		uaErr x509.UnknownAuthorityError
		hnErr x509.HostnameError
		ciErr x509.CertificateInvalidError
	)
	if errors.As(err, &verr) || errors.As(err, &rhErr) || errors.As(err, &alert) || errors.As(err, &uaErr) ||
		errors.As(err, &hnErr) || errors.As(err, &ciErr) || strings.Contains(err.Error(), "tls: ") {
		return KindTLS, false
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrNoAnswer) || (errors.As(err, &ne) && ne.Timeout()) {
		return KindTimeout, true
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return KindReset, true
	}
	msg := err.Error()
	for _, s := range []string{"unsupported protocol scheme", "invalid header", "malformed HTTP"} {
		if strings.Contains(msg, s) {
			return KindOther, false
		}
	}
	return KindOther, true
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

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
