package testutil

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/regfish/terraform-provider-regfish/internal/dnsserve"
)

// DNSServer is an in-process authoritative DNS server (github.com/miekg/dns)
// for the tests: it serves its zones from memory over UDP and TCP and
// accepts RFC 2136 dynamic updates (without TSIG), as a DNS team's BIND
// or Knot would, so that a test can publish DCV records "elsewhere" and
// have the simulator's CA resolve them.
type DNSServer struct {
	srv   *dnsserve.Server
	zones []string // absolute, lower case

	mu      sync.Mutex
	rrs     []dns.RR
	queries map[string]int // name (absolute, lower case) -> queries seen
	broken  bool
}

// StartDNS serves zones (e.g. "example.net") on a free loopback port until
// the test ends.
func StartDNS(t testing.TB, zones ...string) *DNSServer {
	t.Helper()
	d := &DNSServer{queries: map[string]int{}}
	for _, z := range zones {
		d.zones = append(d.zones, dns.Fqdn(strings.ToLower(z)))
	}
	srv, err := dnsserve.Listen("127.0.0.1:0", dns.HandlerFunc(d.serve), acceptUpdates)
	if err != nil {
		t.Fatal(err)
	}
	d.srv = srv
	t.Cleanup(func() { _ = srv.Close() })
	return d
}

// Addr is the server's address (host:port, UDP and TCP).
func (d *DNSServer) Addr() string { return d.srv.Addr() }

// Queries is how many queries the server answered for name.
func (d *DNSServer) Queries(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queries[dns.Fqdn(strings.ToLower(name))]
}

// SetBroken makes every query answer SERVFAIL (updates still work), as a
// server that cannot load its zone: what resolution sees then.
func (d *DNSServer) SetBroken(b bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.broken = b
}

// Records lists the records held, in zone-file form.
func (d *DNSServer) Records() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, rr := range d.rrs {
		out = append(out, rr.String())
	}
	return out
}

// acceptUpdates lets RFC 2136 updates through (the library refuses them
// by default).
func acceptUpdates(h dns.Header) dns.MsgAcceptAction {
	if h.Bits&(1<<15) != 0 { // a response
		return dns.MsgIgnore
	}
	switch opcode := int(h.Bits>>11) & 0xF; opcode {
	case dns.OpcodeQuery, dns.OpcodeUpdate:
		return dns.MsgAccept
	}
	return dns.MsgRejectNotImplemented
}

func (d *DNSServer) zoneOf(name string) string {
	best := ""
	for _, z := range d.zones {
		if dns.IsSubDomain(z, name) && len(z) > len(best) {
			best = z
		}
	}
	return best
}

func (d *DNSServer) serve(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	if len(req.Question) != 1 {
		m.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	zone := d.zoneOf(name)
	if zone == "" {
		m.SetRcode(req, dns.RcodeNotAuth)
		if req.Opcode == dns.OpcodeQuery {
			m.SetRcode(req, dns.RcodeRefused)
		}
		_ = w.WriteMsg(m)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if req.Opcode == dns.OpcodeUpdate {
		m.SetRcode(req, d.updateLocked(zone, req.Ns))
		_ = w.WriteMsg(m)
		return
	}
	d.queries[name]++
	if d.broken {
		m.SetRcode(req, dns.RcodeServerFailure)
		_ = w.WriteMsg(m)
		return
	}
	m.Authoritative = true
	soa := &dns.SOA{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
		Ns: "ns." + zone, Mbox: "hostmaster." + zone, Serial: 1, Refresh: 60, Retry: 60, Expire: 600, Minttl: 60}
	exists := name == zone
	for _, rr := range d.rrs {
		h := rr.Header()
		if !strings.EqualFold(h.Name, name) {
			exists = exists || dns.IsSubDomain(name, strings.ToLower(h.Name))
			continue
		}
		exists = true
		if h.Rrtype == q.Qtype || q.Qtype == dns.TypeANY || h.Rrtype == dns.TypeCNAME {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
	}
	switch {
	case name == zone && q.Qtype == dns.TypeSOA:
		m.Answer = []dns.RR{soa}
	case name == zone && q.Qtype == dns.TypeNS:
		m.Answer = []dns.RR{&dns.NS{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 60}, Ns: "ns." + zone}}
	case len(m.Answer) == 0 && !exists:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa}
	case len(m.Answer) == 0:
		m.Ns = []dns.RR{soa}
	}
	_ = w.WriteMsg(m)
}

// updateLocked applies the update section of an RFC 2136 message
// (section 3.4.2; prerequisites are not checked).
func (d *DNSServer) updateLocked(zone string, updates []dns.RR) int {
	for _, u := range updates {
		if d.zoneOf(strings.ToLower(u.Header().Name)) != zone {
			return dns.RcodeNotZone
		}
	}
	for _, u := range updates {
		h := u.Header()
		name := strings.ToLower(h.Name)
		switch h.Class {
		case dns.ClassINET: // add to an RRset; a CNAME replaces the name's CNAME
			c := dns.Copy(u)
			c.Header().Name = name
			d.rrs = slices.DeleteFunc(d.rrs, func(rr dns.RR) bool {
				return strings.EqualFold(rr.Header().Name, name) && rr.Header().Rrtype == h.Rrtype &&
					(h.Rrtype == dns.TypeCNAME || dns.IsDuplicate(rr, c))
			})
			d.rrs = append(d.rrs, c)
		case dns.ClassANY: // delete an RRset, or every RRset at the name
			d.rrs = slices.DeleteFunc(d.rrs, func(rr dns.RR) bool {
				return strings.EqualFold(rr.Header().Name, name) && (h.Rrtype == dns.TypeANY || rr.Header().Rrtype == h.Rrtype)
			})
		case dns.ClassNONE: // delete one RR
			c := dns.Copy(u)
			c.Header().Class, c.Header().Name = dns.ClassINET, name
			d.rrs = slices.DeleteFunc(d.rrs, func(rr dns.RR) bool {
				return strings.EqualFold(rr.Header().Name, name) && dns.IsDuplicate(rr, c)
			})
		default:
			return dns.RcodeFormatError
		}
	}
	return dns.RcodeSuccess
}
