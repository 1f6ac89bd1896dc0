package simulator_test

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// TestCertbroCallSequence replays, over raw HTTP with the headers regfish's
// own client (certbro) sends, the calls it makes and checks the details the
// contract says would break it, under both DCV scopes.
func TestCertbroCallSequence(t *testing.T) {
	for scope, want := range map[string][]string{
		simulator.DCVScopeRegistrableDomain: {"_dnsauth.example.com."},
		simulator.DCVScopePerName:           {"_dnsauth.example.com.", "_dnsauth.www.example.com."},
	} {
		t.Run(scope, func(t *testing.T) { certbroCallSequence(t, scope, want) })
	}
}

func certbroCallSequence(t *testing.T, scope string, wantRecords []string) {
	sim := testutil.StartSim(t, simulator.Options{DCVScope: scope})
	call := func(method, path, key string, body any, accept bool) (int, []byte) {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, sim.URL+path, r)
		req.Header.Set("x-api-key", key)
		req.Header.Set("User-Agent", "certbro/1.0 (os=linux; arch=amd64)")
		if accept {
			req.Header.Set("Accept", "application/json")
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	type env struct {
		Success  bool            `json:"success"`
		Response json.RawMessage `json:"response"`
	}
	ok := func(status int, b []byte) json.RawMessage {
		t.Helper()
		var e env
		if status/100 != 2 || json.Unmarshal(b, &e) != nil || !e.Success {
			t.Fatalf("want a 2xx success envelope, got %d %s", status, b)
		}
		return e.Response
	}
	key := sim.APIKey()

	// configure: GET /tls/certificate validates the key
	if st, _ := call("GET", "/tls/certificate", key, nil, true); st/100 != 2 {
		t.Fatalf("good key: %d", st)
	}
	if st, _ := call("GET", "/tls/certificate", "bad", nil, true); st != 401 {
		t.Fatalf("bad key: %d", st)
	}
	// products: sku matched case-insensitively by certbro; RapidSSL listed
	var products []struct{ SKU string }
	_ = json.Unmarshal(ok(call("GET", "/tls/products", key, nil, true)), &products)
	if len(products) == 0 || products[0].SKU != "RapidSSL" {
		t.Fatalf("products: %+v", products)
	}
	// order: DV must carry validation.dns_records at once
	csr := testutil.NewCSR(t, "example.com", "www.example.com")
	var cert struct {
		ID             string `json:"id"`
		Status         string `json:"status"`
		ActionRequired bool   `json:"action_required"`
		Available      bool   `json:"certificate_pem_available"`
		Validation     struct {
			Method     string                               `json:"method"`
			DNSRecords []struct{ Name, Type, Value string } `json:"dns_records"`
		} `json:"validation"`
		Reissue *struct {
			ID     int    `json:"id"`
			Status string `json:"status"`
		} `json:"reissue"`
	}
	_ = json.Unmarshal(ok(call("POST", "/tls/certificate", key, map[string]any{"sku": "RapidSSL", "common_name": "example.com",
		"dns_names": []string{"www.example.com"}, "csr": csr.PEM, "dcv_method": "dns-cname-token", "validity_days": 199}, true)), &cert)
	if cert.ID == "" || cert.Status != "pending" || cert.ActionRequired || cert.Validation.Method != "dns-cname-token" || len(cert.Validation.DNSRecords) != len(wantRecords) {
		t.Fatalf("order: %+v", cert)
	}
	for i, r := range cert.Validation.DNSRecords {
		if r.Name != wantRecords[i] || r.Type != "CNAME" {
			t.Fatalf("validation record %d: %+v, want %s", i, r, wantRecords[i])
		}
	}
	// a numeric org_id (certbro's legacy type) is not a decoding error
	if st, b := call("POST", "/tls/certificate", key, map[string]any{"sku": "SecureSite", "common_name": "example.com", "csr": csr.PEM,
		"dcv_method": "dns-cname-token", "org_id": 42}, true); st != 404 || !strings.Contains(string(b), "organization") {
		t.Fatalf("numeric org_id: %d %s", st, b)
	}
	// zone discovery: 404 for a name that is not a zone, then the zone
	if st, _ := call("GET", "/dns/www.example.com/rr", key, nil, true); st != 404 {
		t.Fatalf("non-zone: %d", st)
	}
	ok(call("GET", "/dns/example.com/rr", key, nil, true))
	// DCV CNAMEs with TTL 60 and certbro's annotation, echoed back
	var rrid int
	for _, r := range cert.Validation.DNSRecords {
		var rec struct {
			ID         int    `json:"id"`
			Annotation string `json:"annotation"`
		}
		_ = json.Unmarshal(ok(call("POST", "/dns/rr", key, map[string]any{"type": "CNAME", "name": r.Name, "data": r.Value, "ttl": 60,
			"annotation": "managed by certbro; certificate_id=" + cert.ID}, true)), &rec)
		if rec.ID == 0 || rec.Annotation != "managed by certbro; certificate_id="+cert.ID {
			t.Fatalf("record: %+v", rec)
		}
		rrid = rec.ID
	}
	var list []struct{ Annotation string }
	_ = json.Unmarshal(ok(call("GET", "/dns/example.com/rr", key, nil, true)), &list)
	echoed := 0
	for _, r := range list {
		if strings.Contains(r.Annotation, cert.ID) {
			echoed++
		}
	}
	if echoed != len(cert.Validation.DNSRecords) {
		t.Fatalf("annotations in the zone list: %+v", list)
	}
	// polling: issued once the CNAMEs exist; readiness = pem available + issued
	_ = json.Unmarshal(ok(call("GET", "/tls/certificate/"+cert.ID, key, nil, true)), &cert)
	if cert.Status != "issued" || !cert.Available {
		t.Fatalf("after DCV: %+v", cert)
	}
	// download without an Accept header: raw PEM, leaf first
	st, pemBytes := call("GET", "/tls/certificate/"+cert.ID+"/download/pem", key, nil, false)
	if b, _ := pem.Decode(pemBytes); st != 200 || b == nil || b.Type != "CERTIFICATE" || bytes.Count(pemBytes, []byte("BEGIN CERTIFICATE")) != 2 {
		t.Fatalf("pem download: %d %.80s", st, pemBytes)
	}
	if st, _ := call("GET", "/tls/certificate/"+cert.ID+"/download/zip", key, nil, false); st != 200 && st != 404 && st != 409 {
		t.Fatalf("zip download: %d", st)
	}
	// stale CNAME removal
	if st, _ := call("DELETE", "/dns/rr/"+strconv.Itoa(rrid), key, nil, true); st/100 != 2 {
		t.Fatalf("delete: %d", st)
	}
	// scheduled reissue: same id and a reissue block
	_ = json.Unmarshal(ok(call("POST", "/tls/certificate/"+cert.ID+"/reissue", key, map[string]any{"csr": csr.PEM, "common_name": "example.com",
		"dns_names": []string{"www.example.com"}, "dcv_method": "dns-cname-token", "comments": "certbro scheduled reissue"}, true)), &cert)
	if cert.Reissue == nil || cert.Reissue.Status != "pending" || cert.Reissue.ID == 0 {
		t.Fatalf("reissue: %+v", cert)
	}
	// unknown id: 404 (certbro then orders anew)
	if st, _ := call("GET", "/tls/certificate/NOPE", key, nil, true); st != 404 {
		t.Fatalf("unknown id: %d", st)
	}
}
