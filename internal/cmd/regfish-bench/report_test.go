package main

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func TestFormatTableAligns(t *testing.T) {
	got := formatTable([]row{
		{"apply N=50", "requests per certificate", "12.20", "<= 6", miss},
		{"run", "terraform", "Terraform v1.11.4", "", info},
	})
	want := "" +
		"| Section    | Metric                   | Measured          | Target | Result |\n" +
		"| ---------- | ------------------------ | ----------------- | ------ | ------ |\n" +
		"| apply N=50 | requests per certificate | 12.20             | <= 6   | MISS   |\n" +
		"| run        | terraform                | Terraform v1.11.4 |        |        |\n"
	if got != want {
		t.Fatalf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestFormatTableCountsRunesNotBytes(t *testing.T) {
	got := formatTable([]row{{"s", "m", "≤≤≤≤≤≤≤≤≤≤", "≤ 3×", ""}})
	want := "" +
		"| Section | Metric | Measured   | Target | Result |\n" +
		"| ------- | ------ | ---------- | ------ | ------ |\n" +
		"| s       | m      | ≤≤≤≤≤≤≤≤≤≤ | ≤ 3×   |        |\n"
	if got != want {
		t.Fatalf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestDiffCounts(t *testing.T) {
	before := map[string]int{"GET /a": 2, "GET /b": 5, "GET /gone": 1}
	after := map[string]int{"GET /a": 2, "GET /b": 9, "GET /new": 3}
	want := map[string]int{"GET /b": 4, "GET /new": 3, "GET /gone": -1}
	if got := diffCounts(before, after); !reflect.DeepEqual(got, want) {
		t.Fatalf("diffCounts = %v, want %v", got, want)
	}
}

func TestAPITotalSkipsControlRoutes(t *testing.T) {
	got := apiTotal(map[string]int{"GET /tls/certificate": 3, "GET /_sim/stats": 7, "POST /dns/rr": 2})
	if got != 5 {
		t.Fatalf("apiTotal = %d, want 5", got)
	}
}

func TestSortedRoutes(t *testing.T) {
	got := sortedRoutes(map[string]int{"POST /dns/rr": 2, "GET /tls/certificate": 3, "GET /dns/zones": 2, "GET /_sim/stats": 9, "GET /x": 0})
	want := []string{"GET /tls/certificate", "GET /dns/zones", "POST /dns/rr"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sortedRoutes = %v, want %v", got, want)
	}
}

func TestDuplicates(t *testing.T) {
	sets := []string{
		nameSet("www.example.com", []string{"api.example.com"}),
		nameSet("API.example.com.", []string{"www.example.com"}), // same set, other order and case
		nameSet("shop.example.org", nil),
		nameSet("www.example.com", []string{"api.example.com", "www.example.com"}),
	}
	if got := duplicates(sets); got != 2 {
		t.Fatalf("duplicates = %d, want 2 (sets %q)", got, sets)
	}
	if got := duplicates(sets[2:3]); got != 0 {
		t.Fatalf("duplicates of one order = %d", got)
	}
}

func TestParseInts(t *testing.T) {
	got, err := parseInts(" 10,50 ,200")
	if err != nil || !reflect.DeepEqual(got, []int{10, 50, 200}) {
		t.Fatalf("parseInts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "10,x", "0", "-5", "5x", "1.5"} {
		if _, err := parseInts(bad); err == nil {
			t.Errorf("parseInts(%q) accepted", bad)
		}
	}
}

func TestParseSections(t *testing.T) {
	got, err := parseSections("Apply, account", knownSections)
	if err != nil || !reflect.DeepEqual(got, map[string]bool{"apply": true, "account": true}) {
		t.Fatalf("parseSections = %v, %v", got, err)
	}
	all, err := parseSections("all", knownSections)
	if err != nil || len(all) != len(knownSections) {
		t.Fatalf("all = %v, %v", all, err)
	}
	if _, err := parseSections("apply,rss", knownSections); err == nil || !strings.Contains(err.Error(), "rss") {
		t.Fatalf("unknown section accepted: %v", err)
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tterraform-provi\nVmPeak:\t 1300000 kB\nVmHWM:\t   30212 kB\nVmRSS:\t   29000 kB\n"
	if got, ok := parseVmHWM(status); !ok || got != 30212*1024 {
		t.Fatalf("parseVmHWM = %d, %v", got, ok)
	}
	for _, bad := range []string{"", "VmRSS:\t 5 kB\n", "VmHWM:\t x kB\n", "VmHWM:\t 5 MB\n"} {
		if _, ok := parseVmHWM(bad); ok {
			t.Errorf("parseVmHWM(%q) accepted", bad)
		}
	}
}

// The route names the rows single out are the simulator's: a download and
// a listing made through the bench's simulator front are counted as such.
func TestRoutesMatchTheSimulator(t *testing.T) {
	s, err := startSim(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if err := s.seed(2); err != nil {
		t.Fatal(err)
	}
	orders := s.sim.Orders()
	if len(orders) != 2 || orders[0].Status != "issued" || orders[1].Status != "issued" {
		t.Fatalf("seeded orders: %+v", orders)
	}
	before := s.snap()
	get := func(path string) int64 {
		req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
		req.Header.Set("x-api-key", apiKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return int64(len(b))
	}
	listLen := get("/tls/certificate")
	pemLen := get("/tls/certificate/" + orders[0].ID + "/download/pem")
	d := before.to(s.snap())
	if d.requests[routeList] != 1 || downloads(d.requests) != 1 || d.total() != 2 {
		t.Fatalf("counted %v", d.requests)
	}
	if d.listBytes != listLen || d.allBytes != listLen+pemLen {
		t.Fatalf("bytes: list %d (want %d), all %d (want %d)", d.listBytes, listLen, d.allBytes, listLen+pemLen)
	}
	if dups, live := s.duplicates(); dups != 0 || live != 2 {
		t.Fatalf("duplicates = %d of %d live", dups, live)
	}
}

func TestCertConfigNamesEveryCertificate(t *testing.T) {
	cfg := certConfig("http://127.0.0.1:1", []string{"c0.example.com", "c1.example.org"})
	for _, want := range []string{`"c0.example.com", "c1.example.org"`, `base_url = "http://127.0.0.1:1"`, `product     = "RapidSSL"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %s:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, "poll_interval") {
		t.Errorf("config sets a poll interval; the bench measures the defaults:\n%s", cfg)
	}
}

func TestLimitBound(t *testing.T) {
	for _, c := range []struct {
		requests, limit int
		want            time.Duration
	}{
		{0, 500, 0}, {500, 500, 0}, {501, 500, time.Minute}, {1000, 500, time.Minute}, {1001, 500, 2 * time.Minute},
		{5003, 500, 10 * time.Minute}, {100, 0, 0},
	} {
		if got := limitBound(c.requests, c.limit, time.Minute); got != c.want {
			t.Errorf("limitBound(%d, %d) = %s, want %s", c.requests, c.limit, got, c.want)
		}
	}
}

func TestFormatScaleVerdicts(t *testing.T) {
	rows := []scaleRow{
		{N: 1000, Limited: false, Floor: 10 * time.Second, PluginFloor: 5 * time.Second, Ours: 25 * time.Second, ApplyOK: true, AllIssued: true, Requests: 5000, PlanRequests: 2, PlanEmpty: true, PeakRSS: 100 << 20},
		{N: 1000, Limited: true, Floor: 10 * time.Second, Bound: 9 * time.Minute, Ours: 11 * time.Minute, ApplyOK: true, AllIssued: true, Requests: 5000, PlanRequests: 4, PlanEmpty: true, Answers429: 60, PeakRSS: 200 << 20},
	}
	out := formatScale(rows)
	for _, want := range []string{
		"| N=1000, limit none       | ratio ours / floor",
		"2.5x",
		"| ratio ours / bound",
		"1.22x",
		"1.2 % (60)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	lines := strings.Split(out, "\n")
	verdictOf := func(sec, metric string) string {
		for _, l := range lines {
			if strings.Contains(l, sec) && strings.Contains(l, metric) {
				f := strings.Split(l, "|")
				return strings.TrimSpace(f[len(f)-2])
			}
		}
		return "?"
	}
	for _, c := range []struct{ sec, metric, want string }{
		{"limit none", "ratio ours / floor", pass},
		{"limit none", "ratio ours / floor with our state size and the provider started", miss},
		{"limit 500", "ratio ours / bound", miss},
		{"limit none", "no-change plan", pass},
		{"limit 500", "no-change plan", miss},
		{"limit 500", "429 answers", miss},
		{"limit none", "peak RSS", pass},
		{"limit 500", "peak RSS", miss},
	} {
		if got := verdictOf(c.sec, c.metric); got != c.want {
			t.Errorf("%s / %s: %s, want %s\n%s", c.sec, c.metric, got, c.want, out)
		}
	}
}
