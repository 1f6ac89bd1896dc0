package order

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

func publishCNAME(t *testing.T, addr, name, target string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate("example.net.")
	m.Insert([]dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: dns.Fqdn(target)}})
	if in, _, err := new(dns.Client).Exchange(m, addr); err != nil || in.Rcode != dns.RcodeSuccess {
		t.Fatalf("update: %v %v", err, in)
	}
}

// The report finds the zone's authoritative servers through NS lookups
// (stubbed: the test server stands for them), and says per name what they
// answer; another known order's token is named by its id.
func TestDCVProbeAuthoritative(t *testing.T) {
	ext := testutil.StartDNS(t, "example.net")
	host, port, _ := net.SplitHostPort(ext.Addr())
	p := NewDNSProbe(nil)
	p.port = port
	var asked []string
	p.lookupNS = func(_ context.Context, name string) ([]*net.NS, error) {
		asked = append(asked, name)
		if name == "example.net" {
			return []*net.NS{{Host: "ns1.example.net."}}, nil
		}
		return nil, errors.New("no such host")
	}
	p.lookupIP = func(context.Context, string) ([]string, error) { return []string{host}, nil }
	const want = "0123456789abcdef0123456789abcdef.dcv.digicert.com"
	const other = "fedcba9876543210fedcba9876543210.dcv.digicert.com"
	publishCNAME(t, ext.Addr(), "_dnsauth.a.example.net", want)
	publishCNAME(t, ext.Addr(), "_dnsauth.b.example.net", other)
	publishCNAME(t, ext.Addr(), "_dnsauth.c.example.net", "elsewhere.example.org")
	recs := []regfish.ValidationRecord{
		{Name: "_dnsauth.a.example.net.", Type: "CNAME", Value: want + "."},
		{Name: "_dnsauth.b.example.net", Type: "CNAME", Value: want},
		{Name: "_dnsauth.c.example.net", Type: "CNAME", Value: want},
		{Name: "_dnsauth.d.example.net", Type: "CNAME", Value: want},
	}
	got := DNSReport(p.check(context.Background(), recs, func(v string) dcvOwner { return map[string]dcvOwner{other: {ID: "OTHER1"}}[v] }))
	for _, w := range []string{
		"_dnsauth.a.example.net: right",
		"_dnsauth.b.example.net: another value, CNAME " + other + " (want " + want + ") (the DCV token of certificate order OTHER1)",
		"_dnsauth.c.example.net: another value, CNAME elsewhere.example.org (want " + want + ")",
		"_dnsauth.d.example.net: missing (NXDOMAIN)",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("report lacks %q:\n%s", w, got)
		}
	}
	if strings.Join(asked[:2], ",") != "a.example.net,example.net" {
		t.Errorf("NS lookups %v", asked)
	}
}

// A server that does not answer, or answers SERVFAIL: "not resolved",
// within the report's bound, and nothing else.
func TestDCVProbeFailures(t *testing.T) {
	ext := testutil.StartDNS(t, "example.net")
	ext.SetBroken(true)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // a server that never answers
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	recs := []regfish.ValidationRecord{{Name: "_dnsauth.example.net", Type: "CNAME", Value: "x.dcv.digicert.com"}}
	got := DNSReport(NewDNSProbe([]string{ext.Addr()}).check(context.Background(), recs, nil))
	if !strings.Contains(got, "_dnsauth.example.net: not resolved (") || !strings.Contains(got, "SERVFAIL") {
		t.Errorf("SERVFAIL: %s", got)
	}
	start := time.Now()
	got = DNSReport(NewDNSProbe([]string{pc.LocalAddr().String()}).check(context.Background(), recs, nil))
	if !strings.Contains(got, "not resolved") || time.Since(start) > dnsReportTimeout+time.Second {
		t.Errorf("silent server: %s after %s", got, time.Since(start))
	}
	if withDNSPort("192.0.2.1") != "192.0.2.1:53" || withDNSPort("[::1]:5353") != "[::1]:5353" || withDNSPort("::1") != "[::1]:53" {
		t.Error("withDNSPort")
	}
}

// Another workspace's order (no order of this process): the report lists
// the account's orders once and names the order whose token DNS holds.
func TestDCVReportNamesAnotherWorkspacesOrder(t *testing.T) {
	ext := testutil.StartDNS(t, "example.net")
	sim := testutil.StartSim(t, simulator.Options{DCVScope: simulator.DCVScopeRegistrableDomain, DNSUpstream: ext.Addr(), DCVReuse: -1,
		IssueDelay: time.Hour}) // b stays pending once its record is seen: it waits for it
	cl := sim.Client(t)
	place := func(cn string) *regfish.Certificate {
		c, err := cl.CreateCertificate(context.Background(), regfish.CertificateRequest{SKU: "RapidSSL", CommonName: cn,
			CSR: testutil.NewCSR(t, cn).PEM, DCVMethod: regfish.DCVMethodCNAME})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := place("www.example.net"), place("api.example.net")
	publishCNAME(t, ext.Addr(), "_dnsauth.example.net", b.Validation.DNSRecords[0].Value)
	d := NewEngine(cl)
	d.Probe = NewDNSProbe([]string{ext.Addr()})
	fs := d.DNSFindings(context.Background(), a)
	got := DNSReport(fs)
	if !strings.Contains(got, "_dnsauth.example.net: another value") || !strings.Contains(got, "(the DCV token of certificate order "+b.ID+")") {
		t.Fatalf("report: %s", got)
	}
	// the timeout error says what to do about it
	if adv := DNSAdvice(fs); !strings.Contains(adv, "_dnsauth.example.net: DNS holds the DCV token of certificate order "+b.ID+", which needs it too") ||
		!strings.Contains(adv, "where "+b.ID+" is another workspace's, the two workspaces overwrite each other's record") ||
		!strings.Contains(adv, "publish its value once the validation of "+b.ID+" is finished and apply again") {
		t.Fatalf("advice: %s", adv)
	}
	if got := DNSReport(d.DNSFindings(context.Background(), b)); !strings.Contains(got, "_dnsauth.example.net: right") {
		t.Fatalf("report of the order whose record it is: %s", got)
	}
}

// A server whose UDP answers are lost but which answers over TCP: the
// query is asked again over TCP, and the report says what it answered.
func TestDCVProbeAsksOverTCPWhenUDPIsLost(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // UDP: never answers
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	defer func() { _ = srv.Shutdown() }()
	recs := []regfish.ValidationRecord{{Name: "_dnsauth.example.net", Type: "CNAME", Value: "x.dcv.digicert.com"}}
	got := DNSReport(NewDNSProbe([]string{ln.Addr().String()}).check(context.Background(), recs, nil))
	if got != "DNS shows _dnsauth.example.net: missing (NXDOMAIN)" {
		t.Errorf("got %q", got)
	}
}

// A check that gets no answer keeps what the check before it found, and
// says so; a name never answered stays "not resolved"; a new answer wins.
func TestKeepAnswered(t *testing.T) {
	prev := []DNSFinding{
		{Name: "_dnsauth.a.example.net", Want: "t", State: "missing", Note: "NXDOMAIN"},
		{Name: "_dnsauth.b.example.net", Want: "t", State: "other", Got: "u"},
	}
	cur := []DNSFinding{
		{Name: "_dnsauth.a.example.net", Want: "t", State: "unresolved", Note: "i/o timeout"},
		{Name: "_dnsauth.b.example.net", Want: "t", State: "right"},
		{Name: "_dnsauth.c.example.net", Want: "t", State: "unresolved", Note: "i/o timeout"},
	}
	got := DNSReport(KeepAnswered(prev, cur))
	want := "DNS shows _dnsauth.a.example.net: missing (NXDOMAIN) [at an earlier check; the last check got no answer: i/o timeout]; " +
		"_dnsauth.b.example.net: right (CNAME t); _dnsauth.c.example.net: not resolved (i/o timeout)"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Carried over twice: the latest failure is named, once.
	again := DNSReport(KeepAnswered(KeepAnswered(prev, cur), []DNSFinding{{Name: "_dnsauth.a.example.net", Want: "t", State: "unresolved", Note: "refused"}}))
	if again != "DNS shows _dnsauth.a.example.net: missing (NXDOMAIN) [at an earlier check; the last check got no answer: refused]" {
		t.Errorf("again: %s", again)
	}
}

// Whether the order whose token DNS holds still needs it decides the
// advice: only an order that is not pending and runs no reissue needs it
// no more — a staged OV order (action required: no active records shown)
// and an issued order with a reissue running still do.
func TestOtherDCVValuesTellsWhoStillNeedsTheRecord(t *testing.T) {
	val := func(tok string) *regfish.Validation {
		return &regfish.Validation{DNSRecords: []regfish.ValidationRecord{{Name: "_dnsauth.example.net", Type: "CNAME", Value: tok + ".dcv.digicert.com"}}}
	}
	d := NewEngine(nil)
	d.listedOrders = []regfish.Certificate{
		{ID: "ISSUED", Status: regfish.StatusIssued, Validation: val("a1")},
		{ID: "PENDING", Status: regfish.StatusPending, Validation: val("b2")},
		{ID: "STAGED", Status: regfish.StatusPending, ActionRequired: true, Validation: val("c3")},
		{ID: "REISSUING", Status: regfish.StatusIssued, Validation: val("d4"), Reissue: &regfish.Reissue{Status: "pending", Validation: val("e5")}},
		{ID: "SELF", Status: regfish.StatusIssued, Validation: val("f6")},
	}
	got := d.otherDCVValues("SELF")
	want := map[string]dcvOwner{
		"a1.dcv.digicert.com": {ID: "ISSUED", Done: true},
		"b2.dcv.digicert.com": {ID: "PENDING"},
		"c3.dcv.digicert.com": {ID: "STAGED"},
		"d4.dcv.digicert.com": {ID: "REISSUING"},
		"e5.dcv.digicert.com": {ID: "REISSUING"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}
