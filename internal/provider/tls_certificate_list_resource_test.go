package provider

import (
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// List resources and actions need Terraform 1.14 or later; on older
// binaries these tests skip.
var needsQuery = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// order places an order for names through the API and returns it.
func (e *accEnv) order(t *testing.T, product, cn string, sans ...string) *regfish.Certificate {
	t.Helper()
	o, err := e.sim.Client(t).CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: product, CommonName: cn, DNSNames: sans,
		CSR: testutil.NewCSR(t, cn, sans...).PEM, DCVMethod: regfish.DCVMethodCNAME})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// issuedOrder places an order and has it issued.
func (e *accEnv) issuedOrder(t *testing.T, product, cn string, sans ...string) *regfish.Certificate {
	t.Helper()
	o := e.order(t, product, cn, sans...)
	if err := e.sim.ForceValidate(o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

func byID(id string) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.StringExact(id)})
}

func idIs(id string) map[string]knownvalue.Check {
	return map[string]knownvalue.Check{"id": knownvalue.StringExact(id)}
}

// `terraform query` lists the live orders by default, filters by status
// and name, leaves out what a renewal order superseded, and hands out
// identities and, with include_resource, the arguments an import brings in.
func TestAccCertificateList_Query(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	www := e.issuedOrder(t, "RapidSSL", "www.example.com")
	pending := e.order(t, "RapidSSL", "api.example.com", "x.example.com")
	old := e.issuedOrder(t, "RapidSSL", "old.example.com")
	e.advance(time.Hour)
	renewal, err := e.sim.Client(t).CreateCertificate(ctxBG, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "old.example.com",
		CSR: testutil.NewCSR(t, "old.example.com").PEM, DCVMethod: regfish.DCVMethodCNAME, RenewalOfCertificateID: old.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.ForceValidate(renewal.ID); err != nil {
		t.Fatal(err)
	}
	cancelled := e.order(t, "RapidSSL", "gone.example.com")
	if _, err := e.sim.Client(t).CancelCertificate(ctxBG, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	revoked := e.issuedOrder(t, "RapidSSL", "revoked.example.com")
	if _, err := e.sim.Client(t).RevokeCertificate(ctxBG, revoked.ID, regfish.RevokeRequest{Comments: "test"}); err != nil {
		t.Fatal(err)
	}
	const all, dead, byName, superseded = "regfish_tls_certificate.all", "regfish_tls_certificate.dead", "regfish_tls_certificate.by_name", "regfish_tls_certificate.superseded"
	e.test(resource.TestCase{TerraformVersionChecks: needsQuery, Steps: []resource.TestStep{
		{Config: e.config("")},
		{
			Query: true,
			Config: `
list "regfish_tls_certificate" "all" {
  provider         = regfish
  include_resource = true
}
list "regfish_tls_certificate" "dead" {
  provider = regfish
  config {
    statuses = ["revoked", "cancelled"]
  }
}
list "regfish_tls_certificate" "by_name" {
  provider = regfish
  config {
    name = "X.Example.com."
  }
}
list "regfish_tls_certificate" "first_two" {
  provider = regfish
  limit    = 2
}
list "regfish_tls_certificate" "superseded" {
  provider = regfish
  config {
    name               = "old.example.com"
    include_superseded = true
  }
}
`,
			QueryResultChecks: []querycheck.QueryResultCheck{
				// live orders only, the renewed one's predecessor left out
				querycheck.ExpectLength(all, 3),
				querycheck.ExpectIdentity(all, idIs(www.ID)),
				querycheck.ExpectIdentity(all, idIs(pending.ID)),
				querycheck.ExpectIdentity(all, idIs(renewal.ID)),
				querycheck.ExpectResourceDisplayName(all, byID(www.ID), knownvalue.StringRegexp(regexp.MustCompile(`^www\.example\.com \(RapidSSL, issued until \d{4}-\d\d-\d\d\)$`))),
				querycheck.ExpectResourceDisplayName(all, byID(pending.ID), knownvalue.StringExact("api.example.com, x.example.com (RapidSSL, pending)")),
				querycheck.ExpectResourceKnownValues(all, byID(pending.ID), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("product"), KnownValue: knownvalue.StringExact("RapidSSL")},
					{Path: tfjsonpath.New("common_name"), KnownValue: knownvalue.StringExact("api.example.com")},
					{Path: tfjsonpath.New("dns_names"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("x.example.com")})},
					{Path: tfjsonpath.New("csr"), KnownValue: knownvalue.Null()},
					{Path: tfjsonpath.New("status"), KnownValue: knownvalue.StringExact("pending")},
					{Path: tfjsonpath.New("renew_before_days"), KnownValue: knownvalue.Int64Exact(30)},
				}),
				querycheck.ExpectLength(dead, 2),
				querycheck.ExpectIdentity(dead, idIs(cancelled.ID)),
				querycheck.ExpectIdentity(dead, idIs(revoked.ID)),
				querycheck.ExpectLength(byName, 1),
				querycheck.ExpectIdentity(byName, idIs(pending.ID)),
				querycheck.ExpectLength("regfish_tls_certificate.first_two", 2),
				querycheck.ExpectLength(superseded, 2),
				querycheck.ExpectResourceDisplayName(superseded, byID(old.ID), knownvalue.StringRegexp(regexp.MustCompile(`superseded by `+renewal.ID+`\)$`))),
			},
		},
		{
			Query: true,
			Config: `
list "regfish_tls_certificate" "bad" {
  provider = regfish
  config {
    statuses = ["valid"]
  }
}
`,
			ExpectError: errRe(`statuses.*value must be one of`),
		},
	}})
}

func TestSelectCertificates(t *testing.T) {
	at := func(days int) regfish.Timestamp {
		return regfish.Timestamp{Time: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)}
	}
	certs := []regfish.Certificate{
		{ID: "A", Status: "issued", Product: "RapidSSL", CommonName: "a.example.com", ValidUntil: at(10)},
		{ID: "B", Status: "ISSUED", Product: "RapidSSL", CommonName: "a.example.com.", ValidUntil: at(200)}, // renewal of A
		{ID: "C", Status: "issued", Product: "SSL123", CommonName: "a.example.com", ValidUntil: at(5)},      // another product
		{ID: "D", Status: "pending", Product: "RapidSSL", CommonName: "a.example.com"},                      // a renewal on its way
		{ID: "E", Status: "expired", Product: "RapidSSL", CommonName: "b.example.com", DNSNames: []string{"*.b.example.com"}, ValidUntil: at(-1)},
		{ID: "F", Status: "rejected", Product: "RapidSSL", CommonName: "c.example.com"},
		{ID: "", Status: "issued", Product: "RapidSSL", CommonName: "d.example.com"},
	}
	ids := func(ls []listedCertificate) (out []string) {
		for _, l := range ls {
			out = append(out, l.cert.ID+"/"+l.supersededBy)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    certListFilter
		want []string
	}{
		{"default", certListFilter{statuses: defaultListStatuses}, []string{"B/", "C/", "D/"}},
		{"superseded", certListFilter{statuses: defaultListStatuses, includeSuperseded: true}, []string{"A/B", "B/", "C/", "D/"}},
		{"expired", certListFilter{statuses: []string{"expired"}}, []string{"E/"}},
		{"wildcard name", certListFilter{statuses: certificateStatuses, name: "*.b.example.com"}, []string{"E/"}},
		{"dead", certListFilter{statuses: []string{"rejected", "cancelled"}}, []string{"F/"}},
		{"no match", certListFilter{statuses: certificateStatuses, name: "z.example.com"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(selectCertificates(certs, tc.f))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
