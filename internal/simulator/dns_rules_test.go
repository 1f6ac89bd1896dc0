package simulator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// wantAPIError checks an API error's HTTP status and code.
func wantAPIError(t *testing.T, what string, err error, status, code int) {
	t.Helper()
	var ae *regfish.APIError
	if !errors.As(err, &ae) || ae.StatusCode != status || ae.Code != code {
		t.Fatalf("%s: %v, want HTTP %d code %d", what, err, status, code)
	}
}

func TestCNAMEExclusivity(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{Variants: fullEnvelope})
	cl := sim.Client(t)
	create := func(typ, name, data string) (*regfish.Record, error) {
		return cl.CreateRecord(ctx, regfish.RecordRequest{Type: typ, Name: name, Data: data, TTL: 300})
	}
	c, err := create("CNAME", "a.example.com", "one.example.org")
	mustOK(t, err)
	// the same CNAME again is a duplicate, another CNAME a conflict
	_, err = create("CNAME", "A.example.com.", "ONE.example.org.")
	wantAPIError(t, "same CNAME again", err, 417, 15003)
	_, err = create("CNAME", "a.example.com", "two.example.org")
	wantAPIError(t, "second CNAME at one name", err, 409, 15005)
	if !strings.Contains(err.Error(), "a.example.com.") || !strings.Contains(err.Error(), "CNAME") {
		t.Fatalf("conflict message should name the record: %v", err)
	}
	for typ, data := range map[string]string{"A": "192.0.2.1", "AAAA": "2001:db8::1", "TXT": "hello", "CAA": `0 issue "digicert.com"`, "NS": "ns.example.org"} {
		_, err = create(typ, "a.example.com", data)
		wantAPIError(t, typ+" beside a CNAME", err, 409, 15005)
	}
	_, err = cl.CreateRecord(ctx, regfish.RecordRequest{Type: "MX", Name: "a.example.com", Data: "mx.example.org", Priority: ptr(10)})
	wantAPIError(t, "MX beside a CNAME", err, 409, 15005)
	// a CNAME cannot join other records either
	txt, err := create("TXT", "b.example.com", "v=1")
	mustOK(t, err)
	_, err = create("CNAME", "b.example.com", "one.example.org")
	wantAPIError(t, "CNAME beside a TXT", err, 409, 15005)
	// neighbours and children of a CNAME's name are other names
	_, err = create("A", "x.a.example.com", "192.0.2.1")
	mustOK(t, err)
	_, err = create("CNAME", "c.example.com", "two.example.org")
	mustOK(t, err)

	// PATCH by id: moving a record next to a CNAME, or a CNAME next to a record
	if _, err := cl.UpdateRecord(ctx, int64(txt.ID), regfish.RecordRequest{Type: "TXT", Name: "a", Data: "v=1"}); err == nil {
		t.Fatal("TXT moved beside a CNAME")
	} else {
		wantAPIError(t, "PATCH TXT onto a CNAME's name", err, 409, 15005)
	}
	_, err = cl.UpdateRecord(ctx, int64(c.ID), regfish.RecordRequest{Type: "CNAME", Name: "b", Data: "one.example.org"})
	wantAPIError(t, "PATCH CNAME onto a TXT's name", err, 409, 15005)
	_, err = cl.UpdateRecord(ctx, int64(c.ID), regfish.RecordRequest{Type: "CNAME", Name: "c", Data: "one.example.org"})
	wantAPIError(t, "PATCH CNAME onto another CNAME's name", err, 409, 15005)
	// PATCH that turns a lone record into a CNAME or changes a CNAME's target: fine
	u, err := cl.UpdateRecord(ctx, int64(txt.ID), regfish.RecordRequest{Type: "CNAME", Name: "b", Data: "three.example.org"})
	mustOK(t, err)
	if u.Type != "CNAME" || u.Data != "three.example.org." {
		t.Fatalf("TXT turned CNAME: %+v", u)
	}
	u, err = cl.UpdateRecordByNameType(ctx, regfish.RecordRequest{Type: "CNAME", Name: "a.example.com", Data: "four.example.org"})
	mustOK(t, err)
	if u.ID != c.ID || u.Data != "four.example.org." {
		t.Fatalf("CNAME retargeted: %+v", u)
	}
	// PATCH by id turning a record into a CNAME beside another record
	a2, err := create("A", "d.example.com", "192.0.2.1")
	mustOK(t, err)
	_, err = create("A", "d.example.com", "192.0.2.2")
	mustOK(t, err)
	_, err = cl.UpdateRecord(ctx, int64(a2.ID), regfish.RecordRequest{Type: "CNAME", Name: "d", Data: "one.example.org"})
	wantAPIError(t, "PATCH A into a CNAME beside another A", err, 409, 15005)

	// once the CNAME is gone, other records may take the name
	mustOK(t, cl.DeleteRecord(ctx, int64(c.ID)))
	_, err = create("A", "a.example.com", "192.0.2.1")
	mustOK(t, err)
	_, err = create("TXT", "a.example.com", "hello")
	mustOK(t, err)
	n := 0
	for _, r := range sim.Records() {
		if r.Name == "a.example.com." {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d records at a.example.com., want 2", n)
	}
}

// rawRecord posts a record the way regfish-dnsapi-go (used by libdns/regfish)
// does: "id":0 and the priority as a field.
func rawRecord(t *testing.T, sim *testutil.Sim, method, path string, body map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, sim.URL+path, bytes.NewReader(b))
	req.Header.Set("x-api-key", sim.APIKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Response map[string]any `json:"response"`
	}
	_ = json.Unmarshal(raw, &env)
	return resp.StatusCode, env.Response
}

func TestMXAndSRVDataForms(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{Variants: fullEnvelope})
	cl := sim.Client(t)
	mx := func(name, data string, prio int) (*regfish.Record, error) {
		return cl.CreateRecord(ctx, regfish.RecordRequest{Type: "MX", Name: name, Data: data, Priority: &prio})
	}
	srv := func(data string, prio int) (*regfish.Record, error) {
		return cl.CreateRecord(ctx, regfish.RecordRequest{Type: "SRV", Name: "_sip._tcp.example.com", Data: data, Priority: &prio})
	}
	// MX: target only, or preference in front; one stored form
	short, err := mx("example.com", "Mail.example.com", 10)
	mustOK(t, err)
	if short.Data != "10 mail.example.com." || short.Priority == nil || *short.Priority != 10 {
		t.Fatalf("MX without preference in data: %+v", short)
	}
	_, err = mx("example.com", "10 mail.example.com.", 10)
	wantAPIError(t, "the same MX with the preference in data", err, 417, 15003)
	long, err := mx("example.com", " 20   MAIL2.example.com ", 20)
	mustOK(t, err)
	if long.Data != "20 mail2.example.com." || *long.Priority != 20 {
		t.Fatalf("MX with preference in data: %+v", long)
	}
	_, err = mx("example.com", "10 mail2.example.com.", 20)
	if !errors.Is(err, regfish.ErrValidation) || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("preference in data differing from priority: %v", err)
	}
	for _, bad := range []string{"x mail.example.com", "10 mail.example.com extra", "-1 mail.example.com", "10 *.example.com", "10 bad host"} {
		if _, err := mx("example.com", bad, 10); !errors.Is(err, regfish.ErrValidation) {
			t.Errorf("MX data %q: %v, want a validation error", bad, err)
		}
	}
	// the same target under another preference is another record
	_, err = mx("example.com", "mail.example.com", 30)
	mustOK(t, err)

	// SRV: "weight port target" or "priority weight port target"
	s1, err := srv("5 5060 SIP.example.com", 10)
	mustOK(t, err)
	if s1.Data != "10 5 5060 sip.example.com." || *s1.Priority != 10 {
		t.Fatalf("SRV without priority in data: %+v", s1)
	}
	_, err = srv("10 5 5060 sip.example.com.", 10)
	wantAPIError(t, "the same SRV with the priority in data", err, 417, 15003)
	_, err = srv("1 5 5060 sip.example.com.", 10)
	if !errors.Is(err, regfish.ErrValidation) || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("SRV priority in data differing from priority: %v", err)
	}
	s2, err := srv("20 0 5061 sips.example.com.", 20)
	mustOK(t, err)
	if s2.Data != "20 0 5061 sips.example.com." {
		t.Fatalf("SRV with priority in data: %+v", s2)
	}
	for _, bad := range []string{"5 70000 sip.example.com", "5 sip.example.com", "a 5 5060 sip.example.com", "10 5 5060 sip.example.com x"} {
		if _, err := srv(bad, 10); !errors.Is(err, regfish.ErrValidation) {
			t.Errorf("SRV data %q: %v, want a validation error", bad, err)
		}
	}
	// a priority is still required when data carries one
	if _, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "MX", Name: "example.org", Data: "10 mail.example.org"}); !errors.Is(err, regfish.ErrValidation) {
		t.Fatalf("MX without priority: %v", err)
	}

	// PATCH: both forms, by id and by name/type
	up, err := cl.UpdateRecord(ctx, int64(long.ID), regfish.RecordRequest{Type: "MX", Name: "@", Data: "40 mail4.example.com.", Priority: ptr(40)})
	mustOK(t, err)
	if up.Data != "40 mail4.example.com." || *up.Priority != 40 {
		t.Fatalf("PATCH with preference in data: %+v", up)
	}
	// omitted priority is kept, and the number in data must equal it
	_, err = cl.UpdateRecord(ctx, int64(long.ID), regfish.RecordRequest{Type: "MX", Name: "@", Data: "50 mail4.example.com."})
	if !errors.Is(err, regfish.ErrValidation) {
		t.Fatalf("PATCH with a number in data other than the kept priority: %v", err)
	}
	up, err = cl.UpdateRecord(ctx, int64(long.ID), regfish.RecordRequest{Type: "MX", Name: "@", Data: "mail5.example.com"})
	mustOK(t, err)
	if up.Data != "40 mail5.example.com." || *up.Priority != 40 {
		t.Fatalf("PATCH keeping the priority: %+v", up)
	}
	// a new priority without data keeps the target
	up, err = cl.UpdateRecord(ctx, int64(long.ID), regfish.RecordRequest{Type: "MX", Name: "@", Priority: ptr(45)})
	mustOK(t, err)
	if up.Data != "45 mail5.example.com." || *up.Priority != 45 {
		t.Fatalf("PATCH of the priority alone: %+v", up)
	}
	// PATCH onto another record's stored form is a duplicate, whatever the spelling
	_, err = cl.UpdateRecord(ctx, int64(long.ID), regfish.RecordRequest{Type: "MX", Name: "@", Data: "mail.example.com", Priority: ptr(10)})
	wantAPIError(t, "PATCH onto an existing MX", err, 417, 15003)
	us, err := cl.UpdateRecordByNameType(ctx, regfish.RecordRequest{Type: "SRV", Name: "_sip._tcp.example.com", Data: "10 5 5062 sip.example.com"})
	if !errors.Is(err, regfish.ErrConflict) { // two SRV records at the name
		t.Fatalf("ambiguous PATCH: %+v %v", us, err)
	}
	mustOK(t, cl.DeleteRecord(ctx, int64(s2.ID)))
	us, err = cl.UpdateRecordByNameType(ctx, regfish.RecordRequest{Type: "SRV", Name: "_sip._tcp.example.com", Data: "10 5 5062 sip.example.com"})
	mustOK(t, err)
	if us.ID != s1.ID || us.Data != "10 5 5062 sip.example.com." {
		t.Fatalf("PATCH SRV by name/type with priority in data: %+v", us)
	}
}

// TestLibdnsRoundTrip replays libdns/regfish: it creates MX and SRV records
// with the priority in data and in "priority" (regfish-dnsapi-go body with
// "id":0), lists the zone, parses MX data as "preference target" and SRV
// data as "priority weight port target", and finds records to delete by
// comparing listed data with the form it sent.
func TestLibdnsRoundTrip(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{Variants: fullEnvelope})
	sent := map[string]string{ // type -> data as libdns's RR() renders it
		"MX":  "10 mail.example.com.",
		"SRV": "10 5 5060 sip.example.com.",
	}
	names := map[string]string{"MX": "example.com.", "SRV": "_sip._tcp.example.com."}
	for typ, data := range sent {
		st, rec := rawRecord(t, sim, http.MethodPost, "/dns/rr", map[string]any{"id": 0, "name": names[typ], "type": typ, "data": data, "ttl": 3600, "priority": 10})
		if st != 200 || rec["data"] != data {
			t.Fatalf("libdns create %s: %d %v", typ, st, rec)
		}
	}
	var list struct {
		Response []struct {
			ID       int    `json:"id"`
			Name     string `json:"name"`
			Type     string `json:"type"`
			Data     string `json:"data"`
			Priority *int   `json:"priority"`
		} `json:"response"`
	}
	req, _ := http.NewRequest(http.MethodGet, sim.URL+"/dns/example.com/rr", nil)
	req.Header.Set("x-api-key", sim.APIKey())
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	mustOK(t, json.NewDecoder(resp.Body).Decode(&list))
	_ = resp.Body.Close()
	found := map[string]int{}
	for _, r := range list.Response {
		want, ok := sent[r.Type]
		if !ok {
			continue
		}
		f := strings.Fields(r.Data)
		switch r.Type {
		case "MX":
			if len(f) != 2 || f[0] != "10" || f[1] != "mail.example.com." {
				t.Fatalf("listed MX data %q does not parse as \"preference target\"", r.Data)
			}
		case "SRV":
			if len(f) != 4 || f[0] != "10" || f[1] != "5" || f[2] != "5060" || f[3] != "sip.example.com." {
				t.Fatalf("listed SRV data %q does not parse as \"priority weight port target\"", r.Data)
			}
		}
		if r.Data != want || r.Priority == nil || *r.Priority != 10 {
			t.Fatalf("listed %s %+v, want data %q and priority 10", r.Type, r, want)
		}
		found[r.Type] = r.ID
	}
	if len(found) != 2 {
		t.Fatalf("records not listed: %+v", list.Response)
	}
	// libdns SetRecords: PATCH by id with both fields again
	st, rec := rawRecord(t, sim, http.MethodPatch, "/dns/rr/"+strconv.Itoa(found["MX"]), map[string]any{"id": 0, "name": "example.com.", "type": "MX", "data": "20 mail.example.com.", "ttl": 3600, "priority": 20})
	if st != 200 || rec["data"] != "20 mail.example.com." || rec["priority"] != float64(20) {
		t.Fatalf("libdns update: %d %v", st, rec)
	}
	for _, id := range found {
		req, _ := http.NewRequest(http.MethodDelete, fmt.Sprintf("%s/dns/rr/%d", sim.URL, id), nil)
		req.Header.Set("x-api-key", sim.APIKey())
		resp, err := http.DefaultClient.Do(req)
		mustOK(t, err)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("delete %d: %d", id, resp.StatusCode)
		}
	}
}
