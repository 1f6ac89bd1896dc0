// Package dnsserve serves a DNS handler (github.com/miekg/dns) on one
// address over UDP and TCP, as the simulator's authoritative server and
// the tests' RFC 2136 server do.
package dnsserve

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/miekg/dns"
)

// Server is a DNS handler served over UDP and TCP on the same port.
type Server struct {
	udp, tcp *dns.Server
	addr     string
	once     sync.Once
	err      error
}

// Listen serves h on addr ("127.0.0.1:0" picks a free port, the same for
// UDP and TCP). accept, when set, replaces the library's check of
// incoming messages (which refuses dynamic updates).
func Listen(addr string, h dns.Handler, accept dns.MsgAcceptFunc) (*Server, error) {
	var lastErr error
	for range 10 { // a free UDP port may be taken for TCP: try another
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, fmt.Errorf("DNS server: %w", err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			_ = pc.Close()
			lastErr = err
			if _, port, _ := net.SplitHostPort(addr); port != "0" {
				break
			}
			continue
		}
		s := &Server{addr: pc.LocalAddr().String()}
		s.udp = &dns.Server{PacketConn: pc, Handler: h, MsgAcceptFunc: accept}
		s.tcp = &dns.Server{Listener: ln, Handler: h, MsgAcceptFunc: accept}
		started := make(chan struct{}, 2)
		for _, srv := range []*dns.Server{s.udp, s.tcp} {
			srv.NotifyStartedFunc = func() { started <- struct{}{} }
			go func() { _ = srv.ActivateAndServe() }()
		}
		<-started
		<-started
		return s, nil
	}
	return nil, fmt.Errorf("DNS server: %w", lastErr)
}

// Addr is the address served (host:port), for UDP and TCP alike.
func (s *Server) Addr() string { return s.addr }

// Close stops both servers (repeatable).
func (s *Server) Close() error {
	s.once.Do(func() { s.err = errors.Join(s.udp.Shutdown(), s.tcp.Shutdown()) })
	return s.err
}
