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

func TestAccDNSZoneDataSource_Basic(t *testing.T) {
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

// The zone detail's soa, counts, delegation nameservers and dnssec object,
// with DNSSEC switched on (mode regfish) outside Terraform.
func TestAccDNSZoneDataSource_Detail(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cl := e.sim.Client(t)
	if _, err := cl.CreateRecord(ctxBG, recordReq("www.example.com", "A", "192.0.2.10")); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.SetDNSSEC(ctxBG, "example.com", regfish.DNSSECRequest{Mode: "regfish", State: "enabled"}); err != nil {
		t.Fatal(err)
	}
	addr := "data.regfish_dns_zone.z"
	at := func(p ...any) tfjsonpath.Path {
		out := tfjsonpath.New(p[0].(string))
		for _, s := range p[1:] {
			switch v := s.(type) {
			case string:
				out = out.AtMapKey(v)
			case int:
				out = out.AtSliceIndex(v)
			}
		}
		return out
	}
	str := knownvalue.StringExact
	i64 := knownvalue.Int64Exact
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(`
data "regfish_dns_zone" "z" { name = "example.com" }
data "regfish_dns_zone" "org" { name = "example.org" }
`),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(addr, at("soa", "primary_nameserver"), str("ns1.regfish.de.")),
			statecheck.ExpectKnownValue(addr, at("soa", "mailbox"), str("hostmaster.regfish.de.")),
			statecheck.ExpectKnownValue(addr, at("soa", "ttl"), i64(3600)),
			statecheck.ExpectKnownValue(addr, at("counts"), knownvalue.ObjectExact(map[string]knownvalue.Check{
				"records_total": i64(3), "records_active": i64(3), "records_auto": i64(2), "records_manual": i64(1),
				"by_type": knownvalue.MapExact(map[string]knownvalue.Check{"NS": i64(2), "A": i64(1)}),
			})),
			statecheck.ExpectKnownValue(addr, at("delegation_nameservers"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectExact(map[string]knownvalue.Check{"host": str("ns1.regfish.de")}),
				knownvalue.ObjectExact(map[string]knownvalue.Check{"host": str("ns2.regfish.net")}),
			})),
			statecheck.ExpectKnownValue(addr, at("signed"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(addr, at("dnssec_state"), str("signed")),
			statecheck.ExpectKnownValue(addr, at("dnssec", "mode"), str("regfish")),
			statecheck.ExpectKnownValue(addr, at("dnssec", "configured"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(addr, at("dnssec", "desired_state"), str("enabled")),
			statecheck.ExpectKnownValue(addr, at("dnssec", "live_state"), str("enabled")),
			statecheck.ExpectKnownValue(addr, at("dnssec", "zone_signed"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(addr, at("dnssec", "zone_pending_disable"), knownvalue.Bool(false)),
			statecheck.ExpectKnownValue(addr, at("dnssec", "desired_records"), knownvalue.ListExact(nil)),
			statecheck.ExpectKnownValue(addr, at("dnssec", "live_records", 0, "kind"), str("ds")),
			statecheck.ExpectKnownValue(addr, at("dnssec", "live_records", 0, "digest_type"), i64(2)),
			statecheck.ExpectKnownValue(addr, at("dnssec", "live_records", 1, "kind"), str("dnskey")),
			statecheck.ExpectKnownValue(addr, at("dnssec", "live_records", 1, "flags"), i64(257)),
			statecheck.ExpectKnownValue(addr, at("dnssec", "capabilities"), knownvalue.ObjectExact(map[string]knownvalue.Check{
				"supported": knownvalue.Bool(true), "provider": str("regfish"), "mode_regfish_available": knownvalue.Bool(true),
				"mode_external_available": knownvalue.Bool(true), "accepted_record_kinds": knownvalue.ListExact([]knownvalue.Check{str("ds"), str("dnskey")}),
				"min_records": i64(1), "accepted_algorithms": knownvalue.ListExact([]knownvalue.Check{i64(8), i64(13), i64(14), i64(15), i64(16)}),
			})),
			// records: data from the listing
			statecheck.ExpectKnownValue(addr, at("records", 0, "data"), str("192.0.2.10")),
			// a zone without DNSSEC
			statecheck.ExpectKnownValue("data.regfish_dns_zone.org", at("dnssec", "mode"), str("none")),
			statecheck.ExpectKnownValue("data.regfish_dns_zone.org", at("dnssec", "live_state"), str("disabled")),
			statecheck.ExpectKnownValue("data.regfish_dns_zone.org", at("dnssec", "live_records"), knownvalue.ListExact(nil)),
			statecheck.ExpectKnownValue("data.regfish_dns_zone.org", at("signed"), knownvalue.Bool(false)),
		},
	}}})
}

// An API that sends none of the detail's objects: they are null, not an
// error.
func TestAccDNSZoneDataSource_DetailMissing(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	srv := withoutFields(t, e, "/dns/zones/example.com", "soa", "counts", "dnssec")
	addr := "data.regfish_dns_zone.z"
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.configAt(srv, `data "regfish_dns_zone" "z" { name = "example.com" }`),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("soa"), knownvalue.Null()),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("counts"), knownvalue.Null()),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("dnssec"), knownvalue.Null()),
		},
	}}})
}
