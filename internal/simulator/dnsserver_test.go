package simulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

func query(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	in, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s query %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return in
}

// publishRFC2136 adds (or, with value "", removes) the CNAME at name in the test
// DNS server by an RFC 2136 update, as hashicorp/dns does.
func publishRFC2136(t *testing.T, addr, zone, name, value string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	if value == "" {
		m.RemoveName([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeANY, Class: dns.ClassANY}}})
	} else {
		m.Insert([]dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: dns.Fqdn(value)}})
	}
	in, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, addr)
	if err != nil || in.Rcode != dns.RcodeSuccess {
		t.Fatalf("update %s: %v %v", name, err, in)
	}
}

// TestDNSServerServesZones: with DNSListen the simulator serves the
// account's zones over UDP and TCP: the records made through the API,
// the apex's SOA and NS, NXDOMAIN for a missing name, REFUSED outside.
func TestDNSServerServesZones(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{DNSListen: "127.0.0.1:0"})
	addr := sim.DNSAddr()
	if addr == "" {
		t.Fatal("no DNS address")
	}
	cl := sim.Client(t)
	for _, r := range []regfish.RecordRequest{
		{Type: "A", Name: "www.example.com", Data: "192.0.2.7", TTL: 60},
		{Type: "CNAME", Name: "_dnsauth.example.com", Data: "abc.dcv.digicert.com", TTL: 60},
		{Type: "TXT", Name: "txt.example.org", Data: "hello world", TTL: 60},
	} {
		_, err := cl.CreateRecord(ctx, r)
		mustOK(t, err)
	}
	for _, network := range []string{"udp", "tcp"} {
		in := query(t, network, addr, "www.example.com", dns.TypeA)
		if !in.Authoritative || len(in.Answer) != 1 || in.Answer[0].(*dns.A).A.String() != "192.0.2.7" {
			t.Errorf("%s A: %v", network, in)
		}
		in = query(t, network, addr, "_dnsauth.example.com", dns.TypeCNAME)
		if len(in.Answer) != 1 || in.Answer[0].(*dns.CNAME).Target != "abc.dcv.digicert.com." {
			t.Errorf("%s CNAME: %v", network, in)
		}
		in = query(t, network, addr, "_dnsauth.example.com", dns.TypeTXT) // a CNAME answers every type
		if len(in.Answer) != 1 {
			t.Errorf("%s TXT at a CNAME: %v", network, in)
		}
		in = query(t, network, addr, "txt.example.org", dns.TypeTXT)
		if len(in.Answer) != 1 || strings.Join(in.Answer[0].(*dns.TXT).Txt, "") != "hello world" {
			t.Errorf("%s TXT: %v", network, in)
		}
		if in = query(t, network, addr, "nope.example.com", dns.TypeCNAME); in.Rcode != dns.RcodeNameError || len(in.Ns) != 1 {
			t.Errorf("%s missing name: %v", network, in)
		}
		if in = query(t, network, addr, "www.example.com", dns.TypeAAAA); in.Rcode != dns.RcodeSuccess || len(in.Answer) != 0 {
			t.Errorf("%s no data: %v", network, in)
		}
		if in = query(t, network, addr, "example.com", dns.TypeNS); len(in.Answer) != 2 {
			t.Errorf("%s NS: %v", network, in)
		}
		if in = query(t, network, addr, "example.com", dns.TypeSOA); len(in.Answer) != 1 {
			t.Errorf("%s SOA: %v", network, in)
		}
		if in = query(t, network, addr, "www.example.net", dns.TypeA); in.Rcode != dns.RcodeRefused {
			t.Errorf("%s outside the zones: %v", network, in)
		}
	}
}

// TestDCVThroughUpstream: a record published into another DNS server
// (RFC 2136) validates an order only when the simulator's CA is pointed at
// that server; a wrong value, a removed record or a failing server do not.
func TestDCVThroughUpstream(t *testing.T) {
	ext := testutil.StartDNS(t, "example.net")
	for _, upstream := range []bool{false, true} {
		opts := simulator.Options{DCVReuse: -1}
		if upstream {
			opts.DNSUpstream = ext.Addr()
		}
		sim := testutil.StartSim(t, opts)
		cl := sim.Client(t)
		csr := testutil.NewCSR(t, "www.example.net")
		c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.net", CSR: csr.PEM})
		rec := c.Validation.DNSRecords[0]
		if rec.Name != "_dnsauth.example.net." {
			t.Fatalf("record %+v", rec)
		}
		status := func() string {
			t.Helper()
			got, err := cl.GetCertificate(ctx, c.ID)
			mustOK(t, err)
			return got.Status
		}
		publishRFC2136(t, ext.Addr(), "example.net", rec.Name, "00000000000000000000000000000000.dcv.digicert.com")
		if s := status(); s != "pending" {
			t.Fatalf("upstream=%v: a wrong value gave %q", upstream, s)
		}
		ext.SetBroken(true)
		publishRFC2136(t, ext.Addr(), "example.net", rec.Name, rec.Value)
		if s := status(); s != "pending" {
			t.Fatalf("upstream=%v: a failing server gave %q", upstream, s)
		}
		ext.SetBroken(false)
		before := ext.Queries(rec.Name)
		want := "pending"
		if upstream {
			want = "issued"
		}
		if s := status(); s != want {
			t.Fatalf("upstream=%v: the published record gave %q, want %q", upstream, s, want)
		}
		if asked := ext.Queries(rec.Name) > before; asked != upstream {
			t.Errorf("upstream=%v: the CA asked the DNS server: %v", upstream, asked)
		}
		publishRFC2136(t, ext.Addr(), "example.net", rec.Name, "")
	}
}

// TestDCVRegfishZoneThroughDNS: with the DNS server on, records in the
// account's zones still validate (as served by it), never asked upstream.
func TestDCVRegfishZoneThroughDNS(t *testing.T) {
	ext := testutil.StartDNS(t, "example.com") // a stale copy of the zone elsewhere must not count
	sim := testutil.StartSim(t, simulator.Options{DNSListen: "127.0.0.1:0", DNSUpstream: ext.Addr(), DCVReuse: -1})
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "www.example.com")
	c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.com", CSR: csr.PEM})
	rec := c.Validation.DNSRecords[0]
	publishRFC2136(t, ext.Addr(), "example.com", rec.Name, rec.Value)
	got, err := cl.GetCertificate(ctx, c.ID)
	mustOK(t, err)
	if got.Status != "pending" {
		t.Fatalf("a record outside regfish DNS validated a name of a regfish zone: %q", got.Status)
	}
	cname(t, cl, strings.TrimSuffix(rec.Name, "."), rec.Value)
	if in := query(t, "udp", sim.DNSAddr(), rec.Name, dns.TypeCNAME); len(in.Answer) != 1 {
		t.Fatalf("the simulator does not serve the record: %v", in)
	}
	got, err = cl.GetCertificate(ctx, c.ID)
	mustOK(t, err)
	if got.Status != "issued" || ext.Queries(rec.Name) != 0 {
		t.Fatalf("status %q, upstream asked %d times", got.Status, ext.Queries(rec.Name))
	}
}
