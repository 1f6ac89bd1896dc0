package provider

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// External DCV through real DNS: the records are published by another
// provider (the test stand-in for hashicorp/dns, testDNSProvider) into a real DNS server
// (testutil.StartDNS, in process, RFC 2136), and the simulator's CA finds
// them only by resolving them there (Options.DNSUpstream).

// extDNSEnv is an acceptance environment whose CA resolves names outside
// its zones at a test DNS server for example.net.
func extDNSEnv(t *testing.T, sc scopeCase, upstream bool, opts ...func(*simulator.Options)) (*accEnv, *testutil.DNSServer) {
	t.Helper()
	ext := testutil.StartDNS(t, "example.net")
	o := simulator.Options{}
	for _, f := range opts {
		f(&o)
	}
	if upstream {
		o.DNSUpstream = ext.Addr()
	}
	sc.opts(&o)
	e := newAccEnv(t, o)
	e.resolvers = append(e.resolvers, ext.Addr())
	return e, ext
}

// rfc2136Publisher publishes the DCV records as hashicorp/dns's
// dns_cname_record would: zone absolute, name relative to the zone
// (nameExpr), cname absolute.
func rfc2136Publisher(server, nameExpr, valueExpr string) string {
	return fmt.Sprintf(`
provider "dns" {
  update {
%s  }
}

resource "dns_cname_record" "dcv" {
  for_each = regfish_tls_certificate.www.dcv_records
  zone     = "example.net."
  name     = %s
  cname    = %s
  ttl      = 60
}
`, dnsUpdateHCL(server), nameExpr, valueExpr)
}

// dnsUpdateHCL is the body of hashicorp/dns's update block for a server
// given as host:port.
func dnsUpdateHCL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("    server = %q\n    port   = %s\n", host, port)
}

const (
	relativeName = `trimsuffix(each.value.name, ".example.net")`
	dcvValue     = `"${each.value.value}."`
)

// The user story of issue 19: regfish_tls_certificate in external mode,
// dns_cname_record (for_each over dcv_records) publishing into a real
// DNS server, and regfish_tls_certificate_validation: the certificate is
// issued through resolution in one apply, and nothing is published in
// regfish DNS.
func TestAccCertificateValidation_IssuedThroughDNSResolution(t *testing.T) {
	for _, sc := range scopeCases() {
		t.Run(sc.scope, func(t *testing.T) {
			e, ext := extDNSEnv(t, sc, true)
			csr, key := csrHCL(t, "www.example.net")
			want := sc.keys("www.example.net")[0]
			cfg := e.configScope(sc.scope, extCert("RapidSSL", "www.example.net", nil, csr, "")+
				rfc2136Publisher(ext.Addr(), relativeName, dcvValue)+validationConfig("dns_cname_record.dcv", "  timeouts {\n    create = \"1m\"\n  }"))
			c := newCLI(t, e)
			c.w.serveTestProvider("dns", &testDNSProvider{})
			c.step(cfg, nil, nil,
				func(st cliState) error { return e.checkChain(validationAddr, key, "www.example.net")(stateOf(st)) },
				func(cliState) error {
					recs := ext.Records()
					if len(recs) != 1 || !strings.HasPrefix(recs[0], want+".\t") || !strings.Contains(recs[0], "CNAME") {
						return fmt.Errorf("the test DNS server holds %v, want the CNAME %s", recs, want)
					}
					if ext.Queries(want) == 0 {
						return fmt.Errorf("the CA never asked the DNS server for %s", want)
					}
					for _, r := range e.sim.Records() {
						if strings.HasPrefix(r.Name, "_dnsauth.") {
							return fmt.Errorf("a record was published in regfish DNS: %+v", r)
						}
					}
					return nil
				},
				e.orders(1))
			c.noChanges(cfg) // steady: the records resolve, the certificate is issued
			if out, err := c.w.run("destroy", "-auto-approve", "-no-color"); err != nil {
				t.Fatalf("destroy: %v\n%s", err, out)
			}
			if recs := ext.Records(); len(recs) != 0 {
				t.Errorf("destroy left %v in the DNS server", recs)
			}
		})
	}
}

// A record published with a wrong value, and one published under a
// doubled zone suffix (the record name given absolute to a DNS provider
// that takes names relative to the zone): the wait says what DNS shows, in
// its progress lines and in the timeout error.
func TestAccCertificateValidation_WaitSaysWhatDNSShows(t *testing.T) {
	const wrong = "0123456789abcdef0123456789abcdef.dcv.digicert.com"
	cases := []struct {
		name, nameExpr, valueExpr, want string
	}{
		{"wrong value", relativeName, `"` + wrong + `."`,
			`DNS shows _dnsauth\.(www\.)?example\.net: another value, CNAME ` + regexp.QuoteMeta(wrong) + ` \(want [0-9a-f]{32}\.dcv\.digicert\.com\) \(a DCV token, not this order's`},
		{"doubled zone suffix", "each.value.name", dcvValue,
			`DNS shows _dnsauth\.(www\.)?example\.net: missing \(NXDOMAIN; a CNAME to [0-9a-f]{32}\.dcv\.digicert\.com is published under the doubled zone suffix _dnsauth\.(www\.)?example\.net\.example\.net`},
	}
	for _, sc := range scopeCases() {
		for _, tc := range cases {
			t.Run(sc.scope+"/"+tc.name, func(t *testing.T) {
				e, ext := extDNSEnv(t, sc, true)
				csr, _ := csrHCL(t, "www.example.net")
				cfg := e.configScope(sc.scope, extCert("RapidSSL", "www.example.net", nil, csr, "")+
					rfc2136Publisher(ext.Addr(), tc.nameExpr, tc.valueExpr)+
					validationConfig("dns_cname_record.dcv", "  timeouts {\n    create = \"8s\"\n  }")) // several checks even on a loaded machine (one lost answer keeps the earlier one: KeepAnswered)
				c := newCLI(t, e)
				c.w.serveTestProvider("dns", &testDNSProvider{})
				logPath := filepath.Join(t.TempDir(), "terraform.log")
				c.w.env = append(c.w.env, "TF_LOG=INFO", "TF_LOG_PATH="+logPath)
				out := c.step(cfg, nil, errRe(`Certificate \w+ Not Issued.*`+strings.ReplaceAll(tc.want, " ", `\s+`)+
					`.*At the last check DNS shows`))
				log, err := os.ReadFile(logPath)
				if err != nil {
					t.Fatal(err)
				}
				var lines []string
				for _, l := range strings.Split(string(log), "\n") {
					if strings.Contains(l, "regfish: waiting for issuance") {
						lines = append(lines, l)
					}
				}
				if len(lines) == 0 || !regexp.MustCompile(tc.want).MatchString(strings.Join(lines, "\n")) {
					t.Fatalf("no progress line says what DNS shows:\n%s", strings.Join(lines, "\n"))
				}
				t.Logf("progress lines:\n%s\nterraform apply:\n%s", strings.Join(lines, "\n"), out)
			})
		}
	}
}

// forEachDCVReuse runs fn with and without the CA's DCV reuse, for two
// certificates of one registrable domain (www and api.example.net, whose
// CSRs it passes) that both need _dnsauth.example.net: an environment
// whose simulator resolves at the example.net DNS server ext, and a CLI
// workspace with the hashicorp/dns stand-in.
func forEachDCVReuse(t *testing.T, fn func(t *testing.T, reuse bool, sc scopeCase, e *accEnv, ext *testutil.DNSServer, c *cli, csrA, csrB string)) {
	for _, reuse := range []bool{true, false} {
		t.Run(fmt.Sprintf("dcv_reuse=%v", reuse), func(t *testing.T) {
			sc := registrableDomainScope()
			e, ext := extDNSEnv(t, sc, true, func(o *simulator.Options) {
				if !reuse {
					o.DCVReuse = -1
				}
			})
			csrA, _ := csrHCL(t, "www.example.net")
			csrB, _ := csrHCL(t, "api.example.net")
			c := newCLI(t, e)
			c.w.serveTestProvider("dns", &testDNSProvider{})
			fn(t, reuse, sc, e, ext, c, csrA, csrB)
		})
	}
}

// Two certificates of one registrable domain in external mode need the
// same _dnsauth name with different values; a merge() of their
// dcv_records publishes one. The run says so — a warning names both
// orders and the record — never a silent drop. Whether the other order is
// issued depends on the CA: with DCV reuse (the simulator's default, as
// DigiCert reuses a domain validation) the published record validates the
// domain for both; without it, the wait of the certificate whose value
// was dropped times out naming the order whose token DNS holds.
func TestAccCertificateValidation_DNSCollisionInOneRun(t *testing.T) {
	forEachDCVReuse(t, func(t *testing.T, reuse bool, sc scopeCase, e *accEnv, ext *testutil.DNSServer, c *cli, csrA, csrB string) {
		cfg := e.configScope(sc.scope, fmt.Sprintf(collisionConfig, csrA, csrB, dnsUpdateHCL(ext.Addr())))
		var wantErr *regexp.Regexp
		if !reuse {
			wantErr = errRe(`Certificate \w+ Not Issued.*DNS shows _dnsauth\.example\.net: another value, CNAME [0-9a-f]{32}\.dcv\.digicert\.com \(want [0-9a-f]{32}\.dcv\.digicert\.com\) \(the DCV token of certificate order \w+\)`)
		}
		out := c.step(cfg, nil, wantErr)
		st := c.state()
		a, b := st.get("regfish_tls_certificate.a", "id"), st.get("regfish_tls_certificate.b", "id")
		if !errRe(`Warning: Certificates (` + a + ` and ` + b + `|` + b + ` and ` + a + `) Need One DCV Record.*both need the DCV record _dnsauth\.example\.net, with different values`).MatchString(out) {
			t.Fatalf("no warning names both orders %s and %s:\n%s", a, b, out)
		}
		va, vb := st.get("regfish_tls_certificate_validation.a", "id"), st.get("regfish_tls_certificate_validation.b", "id")
		switch {
		case reuse && (va != a || vb != b):
			t.Fatalf("with DCV reuse both are issued; validations %q, %q:\n%s", va, vb, out)
		case !reuse:
			failed, other := a, b // the one whose value DNS does not hold names the other
			if va != "" {
				failed, other = b, a
			}
			if !errRe(`Certificate ` + failed + ` Not Issued.*the DCV token of certificate order ` + other + `.*To validate this order, publish its value once the validation of ` + other + ` is finished`).MatchString(out) {
				t.Fatalf("the error of %s does not name %s and what to do:\n%s", failed, other, out)
			}
		}
		t.Logf("terraform apply:\n%s", out)
	})
}

const collisionConfig = `
resource "regfish_tls_certificate" "a" {
  product       = "RapidSSL"
  common_name   = "www.example.net"
  csr           = %s
  dcv_publisher = "external"
}

resource "regfish_tls_certificate" "b" {
  product       = "RapidSSL"
  common_name   = "api.example.net"
  csr           = %s
  dcv_publisher = "external"
}

provider "dns" {
  update {
%s  }
}

resource "dns_cname_record" "dcv" {
  for_each = merge(regfish_tls_certificate.a.dcv_records, regfish_tls_certificate.b.dcv_records)
  zone     = "example.net."
  name     = trimsuffix(each.value.name, ".example.net")
  cname    = "${each.value.value}."
  ttl      = 60
}

resource "regfish_tls_certificate_validation" "a" {
  certificate_id = regfish_tls_certificate.a.id
  dcv_records    = regfish_tls_certificate.a.dcv_records
  depends_on     = [dns_cname_record.dcv]
  timeouts {
    create = "3s"
  }
}

resource "regfish_tls_certificate_validation" "b" {
  certificate_id = regfish_tls_certificate.b.id
  dcv_records    = regfish_tls_certificate.b.dcv_records
  depends_on     = [dns_cname_record.dcv]
  timeouts {
    create = "3s"
  }
}
`

// The guide's sequence for a second certificate of one domain in external
// mode: the first certificate is issued, the second is added in a later
// apply with its dcv_records last in the merge(), so that the record takes
// its value (the first order waits for it no more). Both ways of the CA:
// with DCV reuse the second is issued whatever the record holds; without,
// through its own value. With the maps the other way round, the record
// keeps the issued order's token: the wait says so and what to do, and
// with the maps swapped the next apply issues the same order. After that
// the plan is empty: the record does not swing between the two values.
func TestAccCertificateValidation_SecondCertificateOfOneDomain(t *testing.T) {
	forEachDCVReuse(t, func(t *testing.T, reuse bool, sc scopeCase, e *accEnv, ext *testutil.DNSServer, c *cli, csrA, csrB string) {
		cfg := func(certs, merge string) string {
			return e.configScope(sc.scope, fmt.Sprintf(secondCertificateConfig, csrA, dnsUpdateHCL(ext.Addr()), merge)+certs)
		}
		c.step(cfg("", "regfish_tls_certificate.a.dcv_records"), nil, nil)
		a := c.state().get("regfish_tls_certificate_validation.a", "id")
		if a == "" {
			t.Fatal("the first certificate was not issued")
		}
		second := fmt.Sprintf(secondCertificateB, csrB)
		noCollision := func(out string) {
			t.Helper()
			if strings.Contains(out, "Need One DCV Record") || strings.Contains(out, "Waits for DCV Record") {
				t.Fatalf("a warning of a collision where the first order waits for nothing:\n%s", out)
			}
		}
		if !reuse {
			// the issued order's token last: the record keeps it
			noCollision(c.plan(cfg(second, "regfish_tls_certificate.b.dcv_records, regfish_tls_certificate.a.dcv_records")))
			out := c.apply(errRe(`Certificate \w+ Not Issued.*_dnsauth\.example\.net: DNS holds the DCV token of certificate order ` + a + `, which needs it no more\. Publish this order's value there.*put this certificate's dcv_records last`))
			noCollision(out)
			if n := len(e.sim.Orders()); n != 2 {
				t.Fatalf("%d orders after the failed wait, want 2:\n%s", n, out)
			}
		}
		cfg2 := cfg(second, "regfish_tls_certificate.a.dcv_records, regfish_tls_certificate.b.dcv_records")
		out := c.plan(cfg2)
		if reuse {
			noCollision(out) // the plan that adds b
		}
		out = c.apply(nil)
		st := c.state()
		b := st.get("regfish_tls_certificate.b", "id")
		if st.get("regfish_tls_certificate_validation.b", "id") != b || b == "" {
			t.Fatalf("the second certificate was not issued:\n%s", out)
		}
		noCollision(out)
		if n := len(e.sim.Orders()); n != 2 {
			t.Fatalf("%d orders, want 2 (the second apply resumes the same order)", n)
		}
		ob, err := e.sim.Client(t).GetCertificate(ctxBG, b)
		if err != nil {
			t.Fatal(err)
		}
		if recs := ext.Records(); !reuse && (len(recs) != 1 || !strings.Contains(recs[0], ob.Validation.DNSRecords[0].Value)) {
			t.Fatalf("the DNS server holds %v, want the second order's token %s", recs, ob.Validation.DNSRecords[0].Value)
		}
		c.noChanges(cfg2)
	})
}

const secondCertificateConfig = `
resource "regfish_tls_certificate" "a" {
  product       = "RapidSSL"
  common_name   = "www.example.net"
  csr           = %s
  dcv_publisher = "external"
}

provider "dns" {
  update {
%s  }
}

resource "dns_cname_record" "dcv" {
  for_each = merge(%s)
  zone     = "example.net."
  name     = trimsuffix(each.value.name, ".example.net")
  cname    = "${each.value.value}."
  ttl      = 60
}

resource "regfish_tls_certificate_validation" "a" {
  certificate_id = regfish_tls_certificate.a.id
  dcv_records    = regfish_tls_certificate.a.dcv_records
  depends_on     = [dns_cname_record.dcv]
}
`

const secondCertificateB = `
resource "regfish_tls_certificate" "b" {
  product       = "RapidSSL"
  common_name   = "api.example.net"
  csr           = %s
  dcv_publisher = "external"
}

resource "regfish_tls_certificate_validation" "b" {
  certificate_id = regfish_tls_certificate.b.id
  dcv_records    = regfish_tls_certificate.b.dcv_records
  depends_on     = [dns_cname_record.dcv]
  timeouts {
    create = "4s"
  }
}
`
