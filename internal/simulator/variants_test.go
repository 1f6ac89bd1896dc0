package simulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// fullEnvelope makes error answers carry success, code, message and error,
// for tests that check the API's codes.
var fullEnvelope = simulator.Variants{ErrorEnvelope: "full"}

// answer is one raw HTTP exchange with the simulator.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func raw(t *testing.T, sim *testutil.Sim, key, method, path string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		mustOK(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, sim.URL+path, rd)
	mustOK(t, err)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	mustOK(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(data, &a.body)
	return a
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestVariantsParse(t *testing.T) {
	v, err := simulator.ParseVariants(" annotation=dropped, cname-conflict=417 ,")
	mustOK(t, err)
	if v.Annotation != "dropped" || v.CNAMEConflict != "417" || v.String() != "annotation=dropped,cname-conflict=417" {
		t.Fatalf("parsed: %+v %q", v, v.String())
	}
	for _, bad := range []string{"annotation=gone", "nope=1", "annotation"} {
		if _, err := simulator.ParseVariants(bad); err == nil {
			t.Fatalf("%q: no error", bad)
		}
	}
	if _, err := simulator.ParseVariants("cancel=sometimes"); err == nil || !strings.Contains(err.Error(), "served, missing, refused") {
		t.Fatalf("an unknown value names the allowed ones: %v", err)
	}
	for _, info := range simulator.VariantList() {
		if len(info.Values) < 2 {
			t.Fatalf("variant %s has no alternative", info.Key)
		}
	}
	t.Setenv(simulator.VariantsEnv, "revoke=missing")
	sim, err := simulator.New(simulator.Options{})
	mustOK(t, err)
	if got := sim.Variants(); got.Revoke != "missing" || got.Cancel != "served" {
		t.Fatalf("from the environment: %+v", got)
	}
	sim, err = simulator.New(simulator.Options{Variants: simulator.Variants{Cancel: "refused"}})
	mustOK(t, err)
	if got := sim.Variants(); got.Revoke != "served" || got.Cancel != "refused" {
		t.Fatalf("options win over the environment: %+v", got)
	}
	t.Setenv(simulator.VariantsEnv, "revoke=never")
	if _, err := simulator.New(simulator.Options{}); err == nil || !strings.Contains(err.Error(), simulator.VariantsEnv) {
		t.Fatalf("a bad environment value: %v", err)
	}
}

func TestVariantRateLimitHeaders(t *testing.T) {
	for _, tc := range []struct {
		variant          string
		rateLimit, retry bool
	}{{"policy", false, false}, {"policy-retry-after", false, true}, {"draft", true, true}} {
		t.Run(tc.variant, func(t *testing.T) {
			sim := testutil.StartSim(t, simulator.Options{RateLimit: 2, Variants: simulator.Variants{RateLimitHeaders: tc.variant}})
			sim.Clock().Freeze(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
			for i := 0; i < 3; i++ {
				a := raw(t, sim, sim.APIKey(), http.MethodGet, "/tls/products", nil)
				if a.header.Get("RateLimit-Policy") != "2; w=60" || (a.header.Get("RateLimit") != "") != tc.rateLimit {
					t.Fatalf("answer %d headers: %v", i, a.header)
				}
				if i == 2 && (a.status != 429 || (a.header.Get("Retry-After") != "") != tc.retry) {
					t.Fatalf("over the limit: %d %v", a.status, a.header)
				}
			}
		})
	}
}

func TestVariantErrorEnvelope(t *testing.T) {
	for variant, want := range map[string]string{
		"documented": "error,message,success", "legacy": "code,error,success", "full": "code,error,message,success",
	} {
		sim := testutil.StartSim(t, simulator.Options{Variants: simulator.Variants{ErrorEnvelope: variant}})
		for _, a := range []answer{
			raw(t, sim, sim.APIKey(), http.MethodGet, "/tls/certificate/NOPE", nil),
			raw(t, sim, "wrong", http.MethodGet, "/tls/products", nil),
		} {
			if got := strings.Join(keys(a.body), ","); got != want || a.body["success"] != false {
				t.Fatalf("%s: %d %v, want keys %s", variant, a.status, a.body, want)
			}
		}
	}
}

func TestVariantZoneNotFound(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{Variants: fullEnvelope})
	if a := raw(t, sim, sim.APIKey(), http.MethodGet, "/dns/nope.test/rr", nil); a.status != 404 || a.body["code"] != 15001.0 {
		t.Fatalf("404 variant: %d %v", a.status, a.body)
	}
	mustOK(t, sim.SetVariants("zone-not-found=200"))
	if a := raw(t, sim, sim.APIKey(), http.MethodGet, "/dns/nope.test/rr", nil); a.status != 200 || a.body["success"] != false || a.body["code"] != 15001.0 {
		t.Fatalf("200 variant: %d %v", a.status, a.body)
	}
	// a zone without records lists nothing (no invented NS set)
	if a := raw(t, sim, sim.APIKey(), http.MethodGet, "/dns/example.com/rr", nil); a.status != 200 || len(a.body["response"].([]any)) != 0 {
		t.Fatalf("empty zone: %d %v", a.status, a.body)
	}
}

func TestVariantAnnotation(t *testing.T) {
	for variant, want := range map[string]string{"echoed": "note", "dropped": ""} {
		sim := testutil.StartSim(t, simulator.Options{Variants: simulator.Variants{Annotation: variant}})
		cl := sim.Client(t)
		rec, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "TXT", Name: "a.example.com", Data: "x", Annotation: "note"})
		mustOK(t, err)
		recs, err := cl.ListRecords(ctx, "example.com")
		mustOK(t, err)
		if rec.Annotation != want || len(recs) != 1 || recs[0].Annotation != want {
			t.Fatalf("%s: %+v %+v", variant, rec, recs)
		}
	}
}

func TestVariantCNAMEConflict(t *testing.T) {
	for variant, want := range map[string]int{"409": 409, "400": 400, "417": 417} {
		sim := testutil.StartSim(t, simulator.Options{Variants: simulator.Variants{CNAMEConflict: variant}})
		body := map[string]any{"type": "CNAME", "name": "_dnsauth.example.com", "data": "one.dcv.digicert.com", "ttl": 60}
		if a := raw(t, sim, sim.APIKey(), http.MethodPost, "/dns/rr", body); a.status != 200 {
			t.Fatalf("first CNAME: %d %v", a.status, a.body)
		}
		body["data"] = "two.dcv.digicert.com"
		if a := raw(t, sim, sim.APIKey(), http.MethodPost, "/dns/rr", body); a.status != want {
			t.Fatalf("%s: second CNAME answered %d %v", variant, a.status, a.body)
		}
		if n := len(sim.Records()); n != 1 {
			t.Fatalf("%s: %d records", variant, n)
		}
	}
}

func TestVariantCancelAndRevoke(t *testing.T) {
	for _, variant := range []string{"missing", "refused"} {
		sim := testutil.StartSim(t, simulator.Options{Variants: simulator.Variants{Cancel: variant, Revoke: variant}})
		cl := sim.Client(t)
		c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.com", CSR: testutil.NewCSR(t, "www.example.com").PEM})
		want := map[string]int{"missing": 404, "refused": 403}[variant]
		for _, action := range []string{"cancel", "revoke"} {
			if a := raw(t, sim, sim.APIKey(), http.MethodPost, "/tls/certificate/"+c.ID+"/"+action, map[string]any{}); a.status != want {
				t.Fatalf("%s %s: %d %v", variant, action, a.status, a.body)
			}
		}
		if got := get(t, cl, c.ID); got.Status != "pending" {
			t.Fatalf("%s: the order changed: %s", variant, got.Status)
		}
	}
}

func TestVariantComplete(t *testing.T) {
	for _, variant := range []string{"mixed", "400", "403", "404", "409", "422"} {
		sim := testutil.StartSim(t, simulator.Options{Variants: simulator.Variants{Complete: variant}})
		cl := sim.Client(t)
		c := order(t, cl, regfish.CertificateRequest{SKU: "SecureSite", CommonName: "www.example.com", CSR: testutil.NewCSR(t, "www.example.com").PEM})
		inc, err := cl.CreateOrganization(ctx, regfish.OrganizationRequest{Organization: "Half Ltd"})
		mustOK(t, err)
		for why, tc := range map[string]struct {
			org   string
			mixed int
		}{"unknown org": {"hdl_NOPE", 404}, "org not usable": {string(inc.ID), 400}} {
			want := tc.mixed
			if variant != "mixed" {
				want = map[string]int{"400": 400, "403": 403, "404": 404, "409": 409, "422": 422}[variant]
			}
			if a := raw(t, sim, sim.APIKey(), http.MethodPost, "/tls/certificate/"+c.ID+"/complete", map[string]any{"org_id": tc.org}); a.status != want {
				t.Fatalf("%s, %s: %d, want %d", variant, why, a.status, want)
			}
		}
		if !get(t, cl, c.ID).ActionRequired {
			t.Fatalf("%s: the order is no longer staged", variant)
		}
	}
}

func TestVariantOrgEdit(t *testing.T) {
	for _, tc := range []struct {
		variant, editMode string
		newID             bool
	}{{"in-place", "", false}, {"in-place", "create_replacement", true}, {"replace", "", true}} {
		sim := testutil.StartSim(t, simulator.Options{Variants: simulator.Variants{OrgEdit: tc.variant}})
		cl := sim.Client(t)
		o := newOrg(t, cl)
		body := map[string]any{"phone": "+49 30 7654321"}
		if tc.editMode != "" {
			body["edit_mode"] = tc.editMode
		}
		a := raw(t, sim, sim.APIKey(), http.MethodPatch, "/tls/organization/"+string(o.ID), body)
		resp, _ := a.body["response"].(map[string]any)
		if a.status != 200 || resp["phone"] != "+49 30 7654321" || resp["city"] != "Berlin" || (resp["id"] != string(o.ID)) != tc.newID {
			t.Fatalf("%s %q: %d %v", tc.variant, tc.editMode, a.status, a.body)
		}
		if _, has := resp["name"]; has {
			t.Fatalf("the documented organization object has no name: %v", resp)
		}
		orgs, err := cl.ListOrganizations(ctx)
		mustOK(t, err)
		if want := map[bool]int{false: 1, true: 2}[tc.newID]; len(orgs) != want {
			t.Fatalf("%s %q: %d organizations", tc.variant, tc.editMode, len(orgs))
		}
	}
	sim := testutil.StartSim(t, simulator.Options{})
	for _, tc := range []struct {
		path string
		body map[string]any
		want int
	}{
		{"/tls/organization/hdl_NOPE", map[string]any{"phone": "1"}, 404},
		{"/tls/organization/" + string(newOrg(t, sim.Client(t)).ID), map[string]any{"country_code": "Germany"}, 400},
		{"/tls/organization/" + string(newOrg(t, sim.Client(t)).ID), map[string]any{"edit_mode": "magic"}, 400},
	} {
		if a := raw(t, sim, sim.APIKey(), http.MethodPatch, tc.path, tc.body); a.status != tc.want {
			t.Fatalf("%s %v: %d %v", tc.path, tc.body, a.status, a.body)
		}
	}
}

func TestVariantProductType(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{Variants: simulator.Variants{ProductType: "upper"}})
	a := raw(t, sim, sim.APIKey(), http.MethodGet, "/tls/products", nil)
	first := a.body["response"].([]any)[0].(map[string]any)
	if first["type"] != "DV" || first["validation_level"] != "DV" {
		t.Fatalf("upper: %v", first)
	}
}

func TestKeyRoles(t *testing.T) {
	for variant, want := range map[string]int{"403": 403, "401": 401} {
		sim := testutil.StartSim(t, simulator.Options{Keys: map[string][]string{"tls-only": {"tls"}, "dns-only": {"dns"}},
			Variants: simulator.Variants{RoleDenied: variant}})
		for key, paths := range map[string][2]string{"tls-only": {"/tls/products", "/dns/zones"}, "dns-only": {"/dns/zones", "/tls/products"}} {
			if a := raw(t, sim, key, http.MethodGet, paths[0], nil); a.status != 200 {
				t.Fatalf("%s on %s: %d", key, paths[0], a.status)
			}
			if a := raw(t, sim, key, http.MethodGet, paths[1], nil); a.status != want || a.body["success"] != false {
				t.Fatalf("%s (%s) on %s: %d %v", key, variant, paths[1], a.status, a.body)
			}
		}
		if a := raw(t, sim, "", http.MethodGet, "/tls/products", nil); a.status != 401 {
			t.Fatalf("no key: %d", a.status)
		}
	}
}

func TestVariantsOverControlAPI(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	post := func(body string) answer {
		resp, err := http.Post(sim.URL+"/_sim/settings", "application/json", strings.NewReader(body))
		mustOK(t, err)
		defer func() { _ = resp.Body.Close() }()
		a := answer{status: resp.StatusCode}
		_ = json.NewDecoder(resp.Body).Decode(&a.body)
		return a
	}
	a := post(`{"variants":"annotation=dropped,cancel=missing"}`)
	if v, _ := a.body["variants"].(map[string]any); a.status != 200 || v["annotation"] != "dropped" || v["cancel"] != "missing" || v["revoke"] != "served" {
		t.Fatalf("set: %d %v", a.status, a.body)
	}
	if a := post(`{"variants":"cancel=sometimes"}`); a.status != 400 || sim.Variants().Cancel != "missing" {
		t.Fatalf("a bad value changes nothing: %d %v", a.status, a.body)
	}
	if a := post(`{"variants":"default,revoke=refused"}`); a.status != 200 || sim.Variants().String() != "revoke=refused" {
		t.Fatalf("reset: %d %v %q", a.status, a.body, sim.Variants().String())
	}
}
