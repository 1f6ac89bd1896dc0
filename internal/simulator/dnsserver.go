package simulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/regfish/terraform-provider-regfish/internal/dnsserve"
)

// The simulator's DNS (UNKNOWN choice 28): an authoritative server for the
// account's zones, and the resolution its CA checks DCV records with.

// upstreamTimeout bounds one query of the CA to Options.DNSUpstream (UDP,
// and TCP again when the answer is truncated).
const upstreamTimeout = 2 * time.Second

// listenDNS starts the authoritative server on addr.
func (s *Simulator) listenDNS(addr string) error {
	srv, err := dnsserve.Listen(addr, dns.HandlerFunc(s.serveDNS), nil)
	if err != nil {
		return err
	}
	s.dnsServer = srv
	return nil
}

// DNSAddr is the address (host:port, UDP and TCP) of the simulator's
// authoritative DNS server, "" when Options.DNSListen is empty.
func (s *Simulator) DNSAddr() string {
	if s.dnsServer == nil {
		return ""
	}
	return s.dnsServer.Addr()
}

// DNSUpstream is the DNS server the CA asks for names outside the
// account's zones ("" when none: such names are not found).
func (s *Simulator) DNSUpstream() string { return s.opts.DNSUpstream }

// Close stops the DNS server, when one runs (the HTTP side is the
// caller's).
func (s *Simulator) Close() error {
	if s.dnsServer == nil {
		return nil
	}
	return s.dnsServer.Close()
}

// serveDNS answers a query for a name of the account's zones from the
// zone's records, authoritatively; any other name is REFUSED (the
// simulator is no resolver).
func (s *Simulator) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		m.SetRcode(req, dns.RcodeRefused)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	s.mu.Lock()
	zone, rcode, answer, authority := s.answerLocked(q.Name, q.Qtype)
	s.mu.Unlock()
	if zone == "" {
		m.SetRcode(req, dns.RcodeRefused)
		_ = w.WriteMsg(m)
		return
	}
	m.Authoritative = true
	m.Rcode = rcode
	m.Answer, m.Ns = answer, authority
	if w.RemoteAddr().Network() == "udp" {
		m.Truncate(dns.MinMsgSize)
		if opt := req.IsEdns0(); opt != nil {
			m.Truncate(int(opt.UDPSize()))
		}
	}
	_ = w.WriteMsg(m)
}

// zoneSOA and zoneNS are what the simulator serves for a zone's apex: the
// regfish nameservers (as the zone detail lists them) and a SOA naming
// the first of them.
func zoneSOA(zone string) dns.RR {
	return &dns.SOA{Hdr: dns.RR_Header{Name: zone + ".", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: defaultTTL},
		Ns: regfishNameservers[0] + ".", Mbox: "hostmaster." + zone + ".", Serial: 1, Refresh: 3600, Retry: 600, Expire: 1209600, Minttl: minTTL}
}

func zoneNS(zone string) []dns.RR {
	var out []dns.RR
	for _, ns := range regfishNameservers {
		out = append(out, &dns.NS{Hdr: dns.RR_Header{Name: zone + ".", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: defaultTTL}, Ns: ns + "."})
	}
	return out
}

// recordRR is r in the wire form; nil for what DNS cannot carry (ALIAS is
// regfish's own type, resolved by its servers, not served as such).
func recordRR(r *record) dns.RR {
	data := r.Data
	switch r.Type {
	case "ALIAS":
		return nil
	case "TXT":
		if !strings.HasPrefix(data, `"`) {
			data = `"` + strings.ReplaceAll(strings.ReplaceAll(data, `\`, `\\`), `"`, `\"`) + `"`
		}
	}
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", r.Name, r.TTL, r.Type, data))
	if err != nil || rr == nil {
		return nil
	}
	return rr
}

// answerLocked is the authoritative answer for name and type qtype (s.mu
// held): the zone that holds the name ("" when none of the account's
// zones does), the rcode, the answer and the authority section. A CNAME
// at the name answers every other type (it is not followed).
func (s *Simulator) answerLocked(name string, qtype uint16) (string, int, []dns.RR, []dns.RR) {
	h := normHost(name)
	zone := s.zoneOf(h)
	if zone == "" {
		return "", dns.RcodeRefused, nil, nil
	}
	soa := []dns.RR{zoneSOA(zone)}
	if h == zone {
		switch qtype {
		case dns.TypeSOA:
			return zone, dns.RcodeSuccess, soa, nil
		case dns.TypeNS:
			return zone, dns.RcodeSuccess, zoneNS(zone), nil
		}
	}
	var at []dns.RR
	below := false
	for _, r := range s.records {
		rn := normHost(r.Name)
		if rn != h {
			below = below || strings.HasSuffix(rn, "."+h)
			continue
		}
		if rr := recordRR(r); rr != nil {
			at = append(at, rr)
		}
	}
	var answer []dns.RR
	for _, rr := range at {
		t := rr.Header().Rrtype
		if t == qtype || qtype == dns.TypeANY || (t == dns.TypeCNAME && h != zone) {
			answer = append(answer, rr)
		}
	}
	switch {
	case len(answer) > 0:
		return zone, dns.RcodeSuccess, answer, nil
	case len(at) > 0 || below || h == zone:
		return zone, dns.RcodeSuccess, nil, soa // no data
	}
	return zone, dns.RcodeNameError, nil, soa
}

// resolveCNAMELocked is what the CA sees at name (s.mu held): the CNAME
// targets (absolute, lower case) and a note of what went wrong when the
// name could not be resolved. A name of the account's zones is answered
// as the simulator's DNS server serves it; any other name by asking
// Options.DNSUpstream (not found when there is none).
func (s *Simulator) resolveCNAMELocked(name string) ([]string, error) {
	fq := fqdn(name)
	if s.zoneOf(fq) != "" {
		_, _, answer, _ := s.answerLocked(fq, dns.TypeCNAME)
		return cnameTargets(fq, answer), nil
	}
	if s.opts.DNSUpstream == "" {
		return nil, nil
	}
	m := new(dns.Msg)
	m.SetQuestion(fq, dns.TypeCNAME)
	c := &dns.Client{Timeout: upstreamTimeout}
	in, _, err := c.Exchange(m, s.opts.DNSUpstream)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.Exchange(m, s.opts.DNSUpstream)
	}
	if err != nil {
		return nil, fmt.Errorf("asking %s for %s: %w", s.opts.DNSUpstream, fq, err)
	}
	if in.Rcode != dns.RcodeSuccess && in.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%s answered %s for %s", s.opts.DNSUpstream, dns.RcodeToString[in.Rcode], fq)
	}
	return cnameTargets(fq, in.Answer), nil
}

func cnameTargets(owner string, rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, owner) {
			out = append(out, fqdn(c.Target))
		}
	}
	return out
}
