package order

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// What DNS shows of the DCV records a wait of
// regfish_tls_certificate_validation waits for. The wait resolves each
// _dnsauth name — at the provider's dcv_resolvers, else at the zone's
// authoritative servers found through NS lookups — and says per name
// whether the record is missing, holds another value or is right. It is
// only a report: no finding, and no DNS failure, decides anything (the CA
// decides; DNS caches and split horizons may differ from what it sees).

const (
	// dnsQueryTimeout bounds one DNS query of the report.
	dnsQueryTimeout = 2 * time.Second
	// dnsReportTimeout bounds the whole report of one status check.
	dnsReportTimeout = 5 * time.Second
)

// DNSFinding is what DNS shows at one DCV record name.
type DNSFinding struct {
	Name string // the record name, absolute without the trailing dot
	Want string // the CNAME target the order needs
	// State: "right", "missing", "other" or "unresolved".
	State string
	Got   string // the CNAME target found ("other"; "missing" under the doubled name)
	Note  string
	// Owner is the order whose DCV token Got is ("other"), when known;
	// OwnerDone: the listing shows it waiting for that token no more
	// (issued, say), so nothing needs the value DNS holds.
	Owner     string
	OwnerDone bool
	// Stale, when set, is why the last check got no answer: the finding
	// is an earlier check's (KeepAnswered).
	Stale string
}

func (f DNSFinding) String() string {
	if f.Stale != "" {
		g := f
		g.Stale = ""
		return g.String() + " [at an earlier check; the last check got no answer: " + f.Stale + "]"
	}
	switch f.State {
	case "right":
		return f.Name + ": right (CNAME " + f.Want + ")"
	case "other":
		return f.Name + ": another value, CNAME " + f.Got + " (want " + f.Want + ")" + parenthesised(f.Note)
	case "missing":
		return f.Name + ": missing" + parenthesised(f.Note)
	}
	return f.Name + ": not resolved" + parenthesised(f.Note)
}

func parenthesised(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// KeepAnswered returns cur, where a name that did not resolve this time
// keeps the answer an earlier check (prev) had for it, marked as such: a
// lost query says less than the answer before it, and the report of a wait
// should not trade "missing" for "not resolved" at its last check.
func KeepAnswered(prev, cur []DNSFinding) []DNSFinding {
	out := make([]DNSFinding, len(cur))
	for i, f := range cur {
		out[i] = f
		if f.State != "unresolved" {
			continue
		}
		for _, p := range prev {
			if p.Name == f.Name && p.Want == f.Want && p.State != "unresolved" {
				out[i] = p
				out[i].Stale = f.Note
				break
			}
		}
	}
	return out
}

// DNSReport is the findings in one line ("" when there are none).
func DNSReport(fs []DNSFinding) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.String())
	}
	if len(parts) == 0 {
		return ""
	}
	return "DNS shows " + strings.Join(parts, "; ")
}

// DNSProbe resolves DCV records for the report.
type DNSProbe struct {
	resolvers []string // host:port; empty: the authoritative servers
	lookupNS  func(ctx context.Context, name string) ([]*net.NS, error)
	lookupIP  func(ctx context.Context, host string) ([]string, error)
	port      string // of the authoritative servers ("53"; tests change it)

	mu       sync.Mutex
	servers  map[string][]string // name -> servers found (authoritative mode)
	listOnce sync.Once           // the account's orders, listed for an unknown token
}

func NewDNSProbe(resolvers []string) *DNSProbe {
	var rs []string
	for _, r := range resolvers {
		rs = append(rs, withDNSPort(r))
	}
	return &DNSProbe{resolvers: rs, lookupNS: net.DefaultResolver.LookupNS, lookupIP: net.DefaultResolver.LookupHost,
		port: "53", servers: map[string][]string{}}
}

// withDNSPort adds port 53 to a server given without one.
func withDNSPort(s string) string {
	s = strings.TrimSpace(s)
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53")
}

// serversFor returns the servers to ask about name: the configured
// resolvers, else the authoritative servers of the closest enclosing zone
// that has NS records.
func (p *DNSProbe) serversFor(ctx context.Context, name string) ([]string, error) {
	if len(p.resolvers) > 0 {
		return p.resolvers, nil
	}
	p.mu.Lock()
	s, ok := p.servers[name]
	p.mu.Unlock()
	if ok {
		return s, nil
	}
	labels := dns.SplitDomainName(name)
	for i := 1; i < len(labels)-1; i++ {
		zone := strings.Join(labels[i:], ".")
		nss, err := p.lookupNS(ctx, zone)
		if err != nil || len(nss) == 0 {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		var out []string
		for _, ns := range nss {
			ips, err := p.lookupIP(ctx, ns.Host)
			if err != nil {
				continue
			}
			for _, ip := range ips {
				out = append(out, net.JoinHostPort(ip, p.port))
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no address of the nameservers of %s", zone)
		}
		p.mu.Lock()
		p.servers[name] = out
		p.mu.Unlock()
		return out, nil
	}
	return nil, fmt.Errorf("no NS records above %s", name)
}

// cnameAt asks the servers for the CNAME at name: found reports an answer
// (NOERROR or NXDOMAIN); nx a name that does not exist.
func cnameAt(ctx context.Context, servers []string, name string) (targets []string, nx bool, err error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeCNAME)
	m.RecursionDesired = true
	err = fmt.Errorf("no server to ask")
	for _, srv := range servers {
		c := &dns.Client{Timeout: dnsQueryTimeout}
		in, _, qerr := c.ExchangeContext(ctx, m, srv)
		if (qerr != nil && ctx.Err() == nil) || (qerr == nil && in.Truncated) {
			// A truncated answer, or none over UDP (a lost datagram, a
			// busy server, a network that drops UDP): ask once over TCP,
			// as stub resolvers do.
			c.Net = "tcp"
			if tin, _, terr := c.ExchangeContext(ctx, m, srv); terr == nil || qerr == nil {
				in, qerr = tin, terr
			}
		}
		switch {
		case qerr != nil:
			err = fmt.Errorf("%s: %v", srv, qerr)
			continue
		case in.Rcode == dns.RcodeNameError:
			return nil, true, nil
		case in.Rcode != dns.RcodeSuccess:
			err = fmt.Errorf("%s answered %s", srv, dns.RcodeToString[in.Rcode])
			continue
		}
		for _, rr := range in.Answer {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, dns.Fqdn(name)) {
				targets = append(targets, regfish.Hostname(c.Target))
			}
		}
		return targets, false, nil
	}
	return nil, false, err
}

var dcvTokenRe = regexp.MustCompile(`^[0-9a-f]{32}\.dcv\.digicert\.com$`)

// dcvOwner is the order whose DCV token a CNAME target is; Done: it waits
// for that token no more.
type dcvOwner struct {
	ID   string
	Done bool
}

// check reports what DNS shows at each record. owner, when set, names the
// other order whose DCV token a CNAME target is (ID "" when unknown).
func (p *DNSProbe) check(ctx context.Context, recs []regfish.ValidationRecord, owner func(string) dcvOwner) []DNSFinding {
	ctx, cancel := context.WithTimeout(ctx, dnsReportTimeout)
	defer cancel()
	var out []DNSFinding
	for _, r := range recs {
		if !strings.EqualFold(r.Type, "CNAME") {
			continue
		}
		f := DNSFinding{Name: regfish.Hostname(r.Name), Want: regfish.Hostname(r.Value)}
		servers, err := p.serversFor(ctx, f.Name)
		if err != nil {
			f.State, f.Note = "unresolved", err.Error()
			out = append(out, f)
			continue
		}
		targets, nx, err := cnameAt(ctx, servers, f.Name)
		switch {
		case err != nil:
			f.State, f.Note = "unresolved", err.Error()
		case len(targets) == 0:
			f.State = "missing"
			if nx {
				f.Note = "NXDOMAIN"
			} else {
				f.Note = "the name exists, without a CNAME"
			}
			if d, got := p.doubled(ctx, servers, f.Name); d != "" {
				f.Got = got
				f.Note += fmt.Sprintf("; a CNAME to %s is published under the doubled zone suffix %s: the DNS resource took the "+
					"record name as relative to its zone; pass it relative to the zone (e.g. trimsuffix(each.value.name, %q))",
					got, d, "."+strings.TrimPrefix(d, f.Name+"."))
			}
		case slices.ContainsFunc(targets, func(t string) bool { return strings.EqualFold(t, f.Want) }):
			f.State = "right"
		default:
			f.State, f.Got = "other", targets[0]
			var o dcvOwner
			if owner != nil {
				o = owner(strings.ToLower(targets[0]))
			}
			switch {
			case o.ID != "" && o.Done:
				f.Note, f.Owner, f.OwnerDone = "the DCV token of certificate order "+o.ID+", which waits for it no more", o.ID, true
			case o.ID != "":
				f.Note, f.Owner = "the DCV token of certificate order "+o.ID, o.ID
			case dcvTokenRe.MatchString(strings.ToLower(targets[0])):
				f.Note = "a DCV token, not this order's: another order's or an earlier one of this order"
			}
		}
		out = append(out, f)
	}
	return out
}

// doubled looks for the record published under name + "." + a zone of
// it (hashicorp/dns, Azure DNS and others append the zone to the name they
// are given): the doubled name and its target, or "".
func (p *DNSProbe) doubled(ctx context.Context, servers []string, name string) (string, string) {
	labels := dns.SplitDomainName(name)
	for i := 1; i < len(labels)-1; i++ {
		d := name + "." + strings.Join(labels[i:], ".")
		if targets, _, err := cnameAt(ctx, servers, d); err == nil && len(targets) > 0 {
			return d, targets[0]
		}
	}
	return "", ""
}

// DNSFindings says what DNS shows of the records the CA waits for on order
// c (nil without records to check).
func (d *Engine) DNSFindings(ctx context.Context, c *regfish.Certificate) []DNSFinding {
	if d.Probe == nil {
		return nil
	}
	recs := ActiveDCVRecords(c)
	if len(recs) == 0 {
		return nil
	}
	known := d.otherDCVValues(c.ID)
	owner := func(v string) dcvOwner {
		if o := known[v]; o.ID != "" || !dcvTokenRe.MatchString(v) {
			return o
		}
		// A token no order of this process shows: list the account's
		// orders once per process (another workspace's order, an orphan).
		d.Probe.listOnce.Do(func() {
			lctx, cancel := context.WithTimeout(ctx, dnsReportTimeout)
			defer cancel()
			if _, err := d.accountOrders(lctx, false); err == nil {
				known = d.otherDCVValues(c.ID)
			}
		})
		return known[v]
	}
	return d.Probe.check(ctx, recs, owner)
}

// otherDCVValues maps the DCV record targets of the account's other
// orders, as this process listed them (no request is made for it), to
// those orders, and tells whether each still waits for its target.
func (d *Engine) otherDCVValues(id string) map[string]dcvOwner {
	out := map[string]dcvOwner{}
	d.extDCVMu.Lock()
	for _, uses := range d.extDCV { // the run's external-mode orders
		for _, u := range uses {
			if u.ID != id {
				out[regfish.Hostname(u.Value)] = dcvOwner{ID: u.ID}
			}
		}
	}
	d.extDCVMu.Unlock()
	d.ordersMu.Lock()
	defer d.ordersMu.Unlock()
	for _, o := range d.listedOrders {
		if o.ID == id {
			continue
		}
		// Done only for an order that can need no DCV record any more: not
		// pending (a staged OV order shows no active records, yet waits)
		// and no reissue running.
		done := !o.Pending() && !o.Reissue.Active()
		for _, v := range []*regfish.Validation{o.Validation, reissueValidation(o.Reissue)} {
			if v == nil {
				continue
			}
			for _, r := range v.DNSRecords {
				out[regfish.Hostname(r.Value)] = dcvOwner{ID: o.ID, Done: done}
			}
		}
	}
	return out
}

func reissueValidation(r *regfish.Reissue) *regfish.Validation {
	if r == nil {
		return nil
	}
	return r.Validation
}

// DNSAdvice is the closing sentence of a timeout error on what DNS showed
// at the last check.
func DNSAdvice(fs []DNSFinding) string {
	if len(fs) == 0 {
		return ""
	}
	right := 0
	for _, f := range fs {
		if f.State == "right" {
			right++
		}
	}
	out := "At the last check " + DNSReport(fs) + "."
	if right == len(fs) {
		out += " Every record resolves as the order needs it: the CA may see other DNS (caches, a split horizon: see the provider's dcv_resolvers) or still be validating."
	}
	// one sentence per order whose token DNS holds, naming its records
	var owners []string
	names := map[string][]string{}
	done := map[string]bool{}
	for _, f := range fs {
		if f.State != "other" || f.Owner == "" {
			continue
		}
		if _, ok := names[f.Owner]; !ok {
			owners = append(owners, f.Owner)
		}
		names[f.Owner] = append(names[f.Owner], f.Name)
		done[f.Owner] = f.OwnerDone
	}
	for _, id := range owners {
		recs := strings.Join(names[id], ", ")
		if done[id] {
			out += fmt.Sprintf(" %[1]s: DNS holds the DCV token of certificate order %[2]s, which needs it no more. Publish this order's value there "+
				"(for a name in several maps, merge() keeps the last map's value: put this certificate's dcv_records last) and apply again: the next apply "+
				"waits for this same order, and no new order is placed. Where another workspace manages the record, its next apply puts %[2]s's value back: "+
				"manage a domain's external-mode certificates in one configuration.", recs, id)
			continue
		}
		out += fmt.Sprintf(" %[1]s: DNS holds the DCV token of certificate order %[2]s, which needs it too, and a CNAME holds one value. "+
			"A merge() of both dcv_records publishes one of them; where %[2]s is another workspace's, the two workspaces overwrite each other's record, and a destroy in one removes it for both. "+
			"To validate this order, publish its value once the validation of %[2]s is finished and apply again (the next apply waits for this same order; no new order is placed), "+
			"or put both orders' names into one certificate, and manage a domain's external-mode certificates in one configuration.", recs, id)
	}
	return out
}
