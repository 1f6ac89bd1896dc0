package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// External DCV through real DNS: the records are published by another
// provider (testdns, standing in for hashicorp/dns) into a real DNS server
// (testutil.StartDNS, in process, RFC 2136), and the simulator's CA finds
// them only by resolving them there (Options.DNSUpstream).

// extDNSEnv is an acceptance environment whose CA resolves names outside
// its zones at a test DNS server for example.net.
func extDNSEnv(t *testing.T, sc scopeCase, upstream bool) (*accEnv, *testutil.DNSServer) {
	t.Helper()
	ext := testutil.StartDNS(t, "example.net")
	o := simulator.Options{}
	if upstream {
		o.DNSUpstream = ext.Addr()
	}
	sc.opts(&o)
	return newAccEnv(t, o), ext
}

// rfc2136Publisher publishes the DCV records as hashicorp/dns's
// dns_cname_record would: zone absolute, name relative to the zone
// (nameExpr), cname absolute.
func rfc2136Publisher(server, nameExpr, valueExpr string) string {
	return fmt.Sprintf(`
provider "testdns" {
  server = %q
}

resource "testdns_cname_record" "dcv" {
  for_each = regfish_tls_certificate.www.dcv_records
  zone     = "example.net."
  name     = %s
  cname    = %s
  ttl      = 60
}
`, server, nameExpr, valueExpr)
}

const (
	relativeName = `trimsuffix(each.value.name, ".example.net")`
	dcvValue     = `"${each.value.value}."`
)

// The user story of issue 19: regfish_tls_certificate in external mode,
// testdns_cname_record (for_each over dcv_records) publishing into a real
// DNS server, and regfish_tls_certificate_validation: the certificate is
// issued through resolution in one apply, and nothing is published in
// regfish DNS.
func TestAccExternalDNS_IssuedThroughResolution(t *testing.T) {
	for _, sc := range scopeCases() {
		t.Run(sc.scope, func(t *testing.T) {
			e, ext := extDNSEnv(t, sc, true)
			csr, key := csrHCL(t, "www.example.net")
			want := sc.keys("www.example.net")[0]
			cfg := e.configScope(sc.scope, extCert("RapidSSL", "www.example.net", nil, csr, "")+
				rfc2136Publisher(ext.Addr(), relativeName, dcvValue)+validationConfig("testdns_cname_record.dcv", "  timeouts {\n    create = \"1m\"\n  }"))
			c := newCLI(t, e)
			c.w.serveTestProvider("testdns", &testDNSProvider{})
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
