package dnsserve

import (
	"testing"

	"github.com/miekg/dns"
)

// One handler answers over UDP and over TCP at the one address Listen
// names; an update passes only where accept lets it; Close is repeatable.
func TestListenServesUDPAndTCPOnOnePort(t *testing.T) {
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if r.Opcode == dns.OpcodeQuery { // the target names the transport that asked
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60},
				Target: w.RemoteAddr().Network() + ".example.net."})
		}
		_ = w.WriteMsg(m)
	})
	s, err := Listen("127.0.0.1:0", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, network := range []string{"udp", "tcp"} {
		q := new(dns.Msg)
		q.SetQuestion("_dnsauth.example.net.", dns.TypeCNAME)
		in, _, err := (&dns.Client{Net: network}).Exchange(q, s.Addr())
		if err != nil {
			t.Fatalf("%s: %v", network, err)
		}
		if len(in.Answer) != 1 {
			t.Fatalf("%s: answer %v", network, in.Answer)
		}
		if c, ok := in.Answer[0].(*dns.CNAME); !ok || c.Target != network+".example.net." {
			t.Fatalf("%s: answer %v", network, in.Answer)
		}
	}
	// the library's own check refuses dynamic updates unless accept says otherwise
	u := new(dns.Msg)
	u.SetUpdate("example.net.")
	if in, _, err := new(dns.Client).Exchange(u, s.Addr()); err != nil || in.Rcode != dns.RcodeNotImplemented {
		t.Fatalf("an update without accept: %v %v", in, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if _, _, err := (&dns.Client{Net: "tcp"}).Exchange(new(dns.Msg).SetQuestion("x.example.net.", dns.TypeA), s.Addr()); err == nil {
		t.Fatal("the closed server still answers over TCP")
	}

	accepting, err := Listen("127.0.0.1:0", h, func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept })
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = accepting.Close() }()
	if in, _, err := new(dns.Client).Exchange(u, accepting.Addr()); err != nil || in.Rcode != dns.RcodeSuccess {
		t.Fatalf("an update with accept: %v %v", in, err)
	}
}
