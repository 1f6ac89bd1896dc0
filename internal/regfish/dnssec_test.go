package regfish_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The dnssec object's numbers may come as numbers or numeric strings; a
// mnemonic reads as unknown (0) and makes the algorithm catalog unknown,
// but never fails the zone detail.
func TestZoneDNSSECDecoding(t *testing.T) {
	var z regfish.Zone
	err := json.Unmarshal([]byte(`{"domain":"example.com","counts":{"records_total":3,"records_auto":2,"by_type":{"NS":2,"A":1}},
	 "dnssec":{"mode":"external","desired_state":"enabled","live_state":"disabled",
	  "capabilities":{"supported":true,"accepted_algorithms":[8,"13"]},
	  "desired_records":[{"kind":"ds","algorithm":"13","key_tag":2371,"digest_type":"2","digest":"AB"}],
	  "live_records":[{"kind":"ds","algorithm":"ECDSAP256SHA256"}]}}`), &z)
	if err != nil {
		t.Fatal(err)
	}
	d := z.DNSSEC
	if z.Counts.ByType["NS"] != 2 || d.Settled() || len(d.Capabilities.KnownAlgorithms()) != 2 || d.Capabilities.KnownAlgorithms()[1] != 13 {
		t.Fatalf("decoded %+v %+v", z.Counts, d)
	}
	if r := d.DesiredRecords[0]; r.Algorithm != 13 || r.KeyTag != 2371 || r.DigestType != 2 || d.LiveRecords[0].Algorithm != 0 {
		t.Fatalf("records %+v %+v", d.DesiredRecords, d.LiveRecords)
	}
	var c regfish.DNSSECCapabilities
	if err := json.Unmarshal([]byte(`{"accepted_algorithms":[13,"ED25519"]}`), &c); err != nil || c.KnownAlgorithms() != nil {
		t.Fatalf("a mnemonic in the catalog: %v, known %v", err, c.KnownAlgorithms())
	}
	d.LiveState = "enabled"
	d.DesiredState = "enabled"
	if !d.Settled() {
		t.Fatal("not settled with live = desired")
	}
}

// SetDNSSEC sends PUT /dns/{domain}/dnssec with the documented body and
// reads the pending job when there is one.
func TestSetDNSSECRequest(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/dns/example.com/dnssec" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"response":{"pending_job":{"id":"job_1","status":"pending"}}}`))
	}))
	defer srv.Close()
	cl, err := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	ans, err := cl.SetDNSSEC(ctx, "EXAMPLE.com.", regfish.DNSSECRequest{Mode: "external", State: "enabled", VerifyAfterApply: true,
		Records: []regfish.DNSSECRecord{{Kind: "ds", Algorithm: 13, KeyTag: 1, DigestType: 2, Digest: "AB"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.PendingJob) == 0 {
		t.Error("no pending_job")
	}
	recs, _ := got["records"].([]any)
	if got["mode"] != "external" || got["state"] != "enabled" || got["verify_after_apply"] != true || len(recs) != 1 {
		t.Errorf("body %v", got)
	}
	if r, _ := recs[0].(map[string]any); r["algorithm"] != float64(13) || r["kind"] != "ds" || r["flags"] != nil {
		t.Errorf("record %v", recs[0])
	}
}

// A DNSSEC change is never sent twice by the client: whether a repeated
// request starts a second job is not documented, so a 5xx or a lost answer
// is returned at once and the caller reads the zone.
func TestSetDNSSECNotRepeated(t *testing.T) {
	var puts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		puts.Add(1)
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`{"success":false,"message":"bad gateway"}`))
	}))
	defer srv.Close()
	c, err := regfish.New(regfish.Config{BaseURL: srv.URL, APIKey: "k", MaxRetries: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetDNSSEC(context.Background(), "example.com", regfish.DNSSECRequest{Mode: "regfish", State: "enabled"}); err == nil {
		t.Fatal("a 502 is no success")
	}
	if n := puts.Load(); n != 1 {
		t.Fatalf("the DNSSEC change was sent %d times, want once", n)
	}
}
