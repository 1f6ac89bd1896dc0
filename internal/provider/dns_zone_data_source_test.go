package provider

import (
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func TestAccDNSZoneDataSource(t *testing.T) {
	e := newAccEnv(t, simulator.Options{Zones: []string{"example.com", "example.org", "sub.example.org"}})
	cl := e.sim.Client(t)
	// regfish keeps the zone's NS set without listing it; a system record
	// a listing should show is listed with auto = true
	sys := e.sim.AddSystemRecord("example.com", "NS", "ns1.regfish.de")
	www, err := cl.CreateRecord(ctxBG, regfish.RecordRequest{Name: "www.example.com", Type: "A", Data: "192.0.2.10", TTL: 600, Annotation: "web"})
	if err != nil {
		t.Fatal(err)
	}
	prio := 10
	mx, err := cl.CreateRecord(ctxBG, regfish.RecordRequest{Name: "example.com", Type: "MX", Data: "mail.example.com", TTL: 3600, Priority: &prio})
	if err != nil {
		t.Fatal(err)
	}
	// a record of another zone must not show up
	if _, err := cl.CreateRecord(ctxBG, recordReq("www.example.org", "A", "192.0.2.20")); err != nil {
		t.Fatal(err)
	}
	str := knownvalue.StringExact
	id := func(r *regfish.Record) knownvalue.Check { return str(strconv.FormatInt(int64(r.ID), 10)) }
	records := knownvalue.ListExact([]knownvalue.Check{
		knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"id": str(strconv.FormatInt(sys, 10)), "name": str("example.com."), "type": str("NS"), "data": str("ns1.regfish.de."),
			"auto": knownvalue.Bool(true), "priority": knownvalue.Null(),
		}),
		knownvalue.ObjectExact(map[string]knownvalue.Check{
			"id": id(www), "name": str("www.example.com."), "type": str("A"), "data": str("192.0.2.10"), "ttl": knownvalue.Int64Exact(600),
			"priority": knownvalue.Null(), "auto": knownvalue.Bool(false), "annotation": str("web"),
		}),
		knownvalue.ObjectExact(map[string]knownvalue.Check{
			"id": id(mx), "name": str("example.com."), "type": str("MX"), "data": str(mx.Data), "ttl": knownvalue.Int64Exact(3600),
			"priority": knownvalue.Int64Exact(10), "auto": knownvalue.Bool(false), "annotation": knownvalue.Null(),
		}),
	})
	zoneChecks := func(addr string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), str("example.com")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("domain"), str("example.com")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("active"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("using_regfish_nameservers"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("nameservers"), knownvalue.ListExact([]knownvalue.Check{str("ns1.regfish.de"), str("ns2.regfish.net")})),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("record_count"), knownvalue.Int64Exact(5)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("records"), records),
		}
	}
	// The data of the records comes from the listing, whatever the zone
	// answer holds (documented: its records carry no data).
	noRecords := withoutFields(t, e, "/dns/zones/example.com", "records")

	e.test(resource.TestCase{Steps: []resource.TestStep{
		// Not found: the error names the zone and lists the account's zones.
		{
			Config:      e.config(`data "regfish_dns_zone" "x" { name = "example.net" }`),
			ExpectError: errRe(`DNS Zone Not Found.*no DNS zone example\.net\. Its zones: example\.com, example\.org, sub\.example\.org\. Zones are the account's domains`),
		},
		// A name below a zone: the error names the zone that holds it (the longest).
		{
			Config:      e.config(`data "regfish_dns_zone" "x" { name = "www.sub.example.org" }`),
			ExpectError: errRe(`DNS Zone Not Found.*www\.sub\.example\.org lies in the zone sub\.example\.org: set name = "sub\.example\.org"`),
		},
		{
			Config:      e.config(`data "regfish_dns_zone" "x" { name = "not a zone" }`),
			ExpectError: errRe(`Attribute name must be a domain name such as example\.com`),
		},
		{
			Config:            e.configAt(noRecords, `data "regfish_dns_zone" "z" { name = "example.com" }`),
			ConfigStateChecks: zoneChecks("data.regfish_dns_zone.z"),
		},
		// Found, with upper case and a trailing dot.
		{
			Config: e.config(`
data "regfish_dns_zone" "z" { name = "EXAMPLE.com." }
data "regfish_dns_zone" "org" { name = "example.org" }
`),
			ConfigStateChecks: append(zoneChecks("data.regfish_dns_zone.z"),
				statecheck.ExpectKnownValue("data.regfish_dns_zone.z", tfjsonpath.New("name"), str("EXAMPLE.com.")),
				statecheck.ExpectKnownValue("data.regfish_dns_zone.org", tfjsonpath.New("record_count"), knownvalue.Int64Exact(3)),
				statecheck.ExpectKnownValue("data.regfish_dns_zone.org", tfjsonpath.New("records"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": str("www.example.org."), "data": str("192.0.2.20")}),
				})),
			),
		},
	}})
}
