package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// redacted replaces the API key where a server sent it back.
const redacted = "[api key redacted]"

// redactor removes the API key from what a server sent: bodies, header
// values, the strings of decoded JSON. It is applied to server text only,
// as it comes in, never to the check's own wording: a key that is a common
// word ("wrong") must not garble the report.
type redactor struct {
	// forms are the key as sent and as a server may escape it (in a URL,
	// in a JSON string), longest first.
	forms []string
}

func newRedactor(key string) redactor {
	if key == "" {
		return redactor{}
	}
	j, _ := json.Marshal(key)
	inJSON := strings.Trim(string(j), `"`)
	var forms []string
	for _, f := range []string{key, url.QueryEscape(key), url.PathEscape(key), inJSON, strings.ReplaceAll(inJSON, "/", `\/`)} {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	// Longest first, so that no form is cut by a shorter one inside it.
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return redactor{forms: forms}
}

// String is s without the key.
func (rd redactor) String(s string) string {
	for _, f := range rd.forms {
		s = strings.ReplaceAll(s, f, redacted)
	}
	return s
}

// Bytes is b without the key.
func (rd redactor) Bytes(b []byte) []byte {
	if len(rd.forms) == 0 || b == nil {
		return b
	}
	return []byte(rd.String(string(b)))
}

// Header is a copy of h with the key removed from every value.
func (rd redactor) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		c := make([]string, len(vs))
		for i, v := range vs {
			c[i] = rd.String(v)
		}
		out[k] = c
	}
	return out
}

// Value is the decoded JSON v with the key removed from every string and
// every object key (a JSON escape may have hidden it from Bytes).
func (rd redactor) Value(v any) any {
	if len(rd.forms) == 0 {
		return v
	}
	switch v := v.(type) {
	case string:
		return rd.String(v)
	case []any:
		for i := range v {
			v[i] = rd.Value(v[i])
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[rd.String(k)] = rd.Value(e)
		}
		return out
	}
	return v
}
