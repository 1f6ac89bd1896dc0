package simulator_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

func zoneDNSSEC(t *testing.T, cl *regfish.Client, zone string) (*regfish.Zone, *regfish.ZoneDNSSEC) {
	t.Helper()
	z, err := cl.GetZone(ctx, zone)
	mustOK(t, err)
	if z.DNSSEC == nil {
		t.Fatalf("zone %s: no dnssec object", zone)
	}
	return z, z.DNSSEC
}

var testDS = regfish.DNSSECRecord{Kind: "ds", Algorithm: 13, KeyTag: 2371, DigestType: 2, Digest: "1F987CC6583E92DF0890718C42D0F4E7A4B6C7E8A9B0C1D2E3F405162738495A"}

// A change is a pending job until DNSSECDelay has passed on the simulator
// clock; the zone detail shows desired and live state, the DS of regfish's
// key once live, and the top-level signed / dnssec_state follow.
func TestDNSSECPendingJobAndModes(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{DNSSECDelay: time.Hour})
	cl := sim.Client(t)
	z, d := zoneDNSSEC(t, cl, "example.com")
	if d.Configured || d.Mode != "none" || d.DesiredState != "disabled" || d.LiveState != "disabled" || z.Signed || z.DNSSECState != "unsigned" {
		t.Fatalf("a new zone: %+v, signed %v, %s", d, z.Signed, z.DNSSECState)
	}
	if c := d.Capabilities; c == nil || !c.Supported || !c.ModeRegfishAvailable || !c.ModeExternalAvailable || c.MinRecords != 1 || len(c.AcceptedAlgorithms) == 0 {
		t.Fatalf("default capabilities: %+v", c)
	}
	if z.Counts == nil || z.Counts.RecordsAuto != 2 || z.SOA == nil || z.SOA.PrimaryNameserver == "" {
		t.Fatalf("counts %+v, soa %+v", z.Counts, z.SOA)
	}

	ans, err := cl.SetDNSSEC(ctx, "example.com", regfish.DNSSECRequest{Mode: "regfish", State: "enabled", VerifyAfterApply: true})
	mustOK(t, err)
	if len(ans.PendingJob) == 0 {
		t.Fatal("no pending_job in the answer of a delayed change")
	}
	z, d = zoneDNSSEC(t, cl, "example.com")
	if d.Mode != "regfish" || d.DesiredState != "enabled" || d.LiveState != "disabled" || d.Settled() || z.DNSSECState != "pending" || len(d.LiveRecords) != 0 {
		t.Fatalf("pending: %+v, %s", d, z.DNSSECState)
	}
	// the same request again starts no second job
	_, err = cl.SetDNSSEC(ctx, "example.com", regfish.DNSSECRequest{Mode: "regfish", State: "enabled"})
	mustOK(t, err)
	if n := sim.Stats().DNSSECJobs; n != 1 {
		t.Fatalf("%d jobs, want 1", n)
	}
	sim.Clock().Advance(time.Hour)
	z, d = zoneDNSSEC(t, cl, "example.com")
	if !d.Settled() || d.LiveState != "enabled" || !z.Signed || z.DNSSECState != "signed" || !d.ZoneSigned {
		t.Fatalf("after the delay: %+v, signed %v", d, z.Signed)
	}
	if len(d.LiveRecords) != 2 || d.LiveRecords[0].Kind != "ds" || d.LiveRecords[0].KeyTag == 0 || d.LiveRecords[0].Digest == "" || d.LiveRecords[1].Kind != "dnskey" {
		t.Fatalf("live records of mode regfish: %+v", d.LiveRecords)
	}

	// external with a DS record
	sim.SetDNSSECDelay(0)
	_, err = cl.SetDNSSEC(ctx, "example.com", regfish.DNSSECRequest{Mode: "external", State: "enabled", Records: []regfish.DNSSECRecord{testDS}})
	mustOK(t, err)
	_, d = zoneDNSSEC(t, cl, "example.com")
	if !d.Settled() || d.Mode != "external" || len(d.DesiredRecords) != 1 || len(d.LiveRecords) != 1 || d.LiveRecords[0] != testDS {
		t.Fatalf("external: %+v", d)
	}
	// off
	_, err = cl.SetDNSSEC(ctx, "example.com", regfish.DNSSECRequest{Mode: "none", State: "disabled"})
	mustOK(t, err)
	z, d = zoneDNSSEC(t, cl, "example.com")
	if !d.Settled() || d.Configured || d.LiveState != "disabled" || len(d.LiveRecords) != 0 || z.Signed {
		t.Fatalf("off: %+v", d)
	}
	if info := sim.DNSSEC("example.com"); info.Mode != "none" || info.LiveState != "disabled" || info.PendingJob != "" {
		t.Fatalf("DNSSEC(): %+v", info)
	}
}

// What a zone cannot do is refused with the status of the variant
// dnssec-refused; a malformed body is 400, an unknown zone 404.
func TestDNSSECRefusals(t *testing.T) {
	for _, tc := range []struct {
		variant string
		status  int
	}{{"", http.StatusUnprocessableEntity}, {"400", http.StatusBadRequest}, {"409", http.StatusConflict}} {
		t.Run("status "+tc.variant, func(t *testing.T) {
			sim := testutil.StartSim(t, simulator.Options{DNSSECCapabilities: map[string]simulator.DNSSECCapabilities{
				"example.org": {Supported: true, ModeExternalAvailable: true, AcceptedRecordKinds: []string{"ds"}, MinRecords: 2, AcceptedAlgorithms: []int{13}},
			}})
			if tc.variant != "" {
				mustOK(t, sim.SetVariants("dnssec-refused="+tc.variant))
			}
			cl := sim.Client(t)
			dnskey := regfish.DNSSECRecord{Kind: "dnskey", Algorithm: 13, Flags: 257, Protocol: 3, PublicKey: "AQID"}
			ds8 := testDS
			ds8.Algorithm = 8
			for name, req := range map[string]regfish.DNSSECRequest{
				"mode regfish": {Mode: "regfish", State: "enabled"},
				"too few":      {Mode: "external", State: "enabled", Records: []regfish.DNSSECRecord{testDS}},
				"kind dnskey":  {Mode: "external", State: "enabled", Records: []regfish.DNSSECRecord{testDS, dnskey}},
				"algorithm 8":  {Mode: "external", State: "enabled", Records: []regfish.DNSSECRecord{testDS, ds8}},
			} {
				_, err := cl.SetDNSSEC(ctx, "example.org", req)
				var ae *regfish.APIError
				if !errors.As(err, &ae) || ae.StatusCode != tc.status {
					t.Errorf("%s: %v, want status %d", name, err, tc.status)
				}
			}
			if _, d := zoneDNSSEC(t, cl, "example.org"); d.Mode != "none" || d.DesiredState != "disabled" {
				t.Errorf("a refused change changed the zone: %+v", d)
			}
			// the zone's capabilities allow this
			_, err := cl.SetDNSSEC(ctx, "example.org", regfish.DNSSECRequest{Mode: "external", State: "enabled", Records: []regfish.DNSSECRecord{testDS, testDS}})
			mustOK(t, err)
		})
	}
	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	for name, req := range map[string]regfish.DNSSECRequest{
		"bad mode":            {Mode: "other", State: "enabled"},
		"none enabled":        {Mode: "none", State: "enabled"},
		"records for regfish": {Mode: "regfish", State: "enabled", Records: []regfish.DNSSECRecord{testDS}},
		"incomplete DS":       {Mode: "external", State: "enabled", Records: []regfish.DNSSECRecord{{Kind: "ds", Algorithm: 13}}},
	} {
		if _, err := cl.SetDNSSEC(ctx, "example.com", req); !errors.Is(err, regfish.ErrValidation) {
			t.Errorf("%s: %v, want 400", name, err)
		}
	}
	if _, err := cl.SetDNSSEC(ctx, "example.net", regfish.DNSSECRequest{Mode: "regfish", State: "enabled"}); !regfish.IsNotFound(err) {
		t.Errorf("unknown zone: %v", err)
	}
}
