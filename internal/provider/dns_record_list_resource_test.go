package provider

import (
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// `terraform query` lists a zone's records by name and type, and never
// offers what cannot or must not be imported: the system-managed NS set
// and the DCV records regfish_tls_certificate publishes.
func TestAccDNSRecordList_Query(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cl := e.sim.Client(t)
	create := func(req regfish.RecordRequest) string {
		t.Helper()
		rec, err := cl.CreateRecord(ctxBG, req)
		if err != nil {
			t.Fatal(err)
		}
		return strconv.FormatInt(int64(rec.ID), 10)
	}
	www := create(recordReq("www.example.com", "A", "192.0.2.1"))
	www6 := create(recordReq("www.example.com", "AAAA", "2001:db8::1"))
	prio := 10
	mx := create(regfish.RecordRequest{Name: "example.com", Type: "MX", Data: "mx1.example.org", TTL: 300, Priority: &prio})
	dcv := regfish.RecordRequest{Name: "_dnsauth.www.example.com", Type: "CNAME", Data: "0123.dcv.digicert.com", TTL: 60,
		Annotation: order.DCVAnnotation{CertificateID: "7K9QW3M2ZT8HJ", Key: "abcd"}.String()}
	create(dcv)
	create(recordReq("other.example.org", "A", "192.0.2.9"))
	// regfish's listings were not seen with system records, but should one
	// show up it is left out
	e.sim.AddSystemRecord("example.com", "NS", "ns1.regfish.de")
	recs, err := cl.ListRecords(ctxBG, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	var auto int
	for _, r := range recs {
		if r.Auto {
			auto++
		}
	}
	if auto == 0 {
		t.Fatal("the simulator's zone has no system-managed records to leave out")
	}
	const zone, www1, mxs = "regfish_dns_record.zone", "regfish_dns_record.www", "regfish_dns_record.mx"
	e.test(resource.TestCase{TerraformVersionChecks: needsQuery, Steps: []resource.TestStep{
		{Config: e.config("")},
		{
			Query: true,
			Config: `
list "regfish_dns_record" "zone" {
  provider = regfish
  config {
    zone = "example.com"
  }
}
list "regfish_dns_record" "www" {
  provider = regfish
  config {
    zone = "example.com"
    name = "WWW.example.com."
  }
}
list "regfish_dns_record" "mx" {
  provider         = regfish
  include_resource = true
  config {
    zone = "example.com"
    type = "MX"
  }
}
`,
			QueryResultChecks: []querycheck.QueryResultCheck{
				querycheck.ExpectLength(zone, 3), // not the NS set, not the DCV record, not example.org
				querycheck.ExpectIdentity(zone, idIs(www)),
				querycheck.ExpectIdentity(zone, idIs(www6)),
				querycheck.ExpectIdentity(zone, idIs(mx)),
				querycheck.ExpectResourceDisplayName(zone, byID(www), knownvalue.StringExact("www.example.com. A 192.0.2.1")),
				querycheck.ExpectLength(www1, 2),
				querycheck.ExpectLength(mxs, 1),
				querycheck.ExpectResourceKnownValues(mxs, byID(mx), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("example.com")},
					{Path: tfjsonpath.New("data"), KnownValue: knownvalue.StringExact("mx1.example.org")},
					{Path: tfjsonpath.New("priority"), KnownValue: knownvalue.Int64Exact(10)},
					{Path: tfjsonpath.New("ttl"), KnownValue: knownvalue.Int64Exact(300)},
					{Path: tfjsonpath.New("zone"), KnownValue: knownvalue.StringExact("example.com")},
					{Path: tfjsonpath.New("annotation"), KnownValue: knownvalue.Null()},
				}),
			},
		},
		{
			Query: true,
			Config: `
list "regfish_dns_record" "bad" {
  provider = regfish
  config {
    zone = "example.com"
    name = "www.example.org"
  }
}
`,
			ExpectError: errRe(`Name Outside the Zone.*www.example.org does not lie in zone example.com`),
		},
		{
			Query: true,
			Config: `
list "regfish_dns_record" "missing" {
  provider = regfish
  config {
    zone = "example.net"
  }
}
`,
			ExpectError: errRe(`DNS Zone Not Found.*no DNS zone example.net`),
		},
	}})
}
