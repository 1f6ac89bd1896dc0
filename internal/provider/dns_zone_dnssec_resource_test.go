package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

const dnssecAddr = "regfish_dns_zone_dnssec.z"

// testDSDigest is a SHA-256 digest in upper case (as regfish lists it), so
// that an import reads the configuration's spelling.
const testDSDigest = "1F987CC6583E92DF0890718C42D0F4E7A4B6C7E8A9B0C1D2E3F405162738495A"

func dnssecConfig(zone, body string) string {
	return fmt.Sprintf(`
resource "regfish_dns_zone_dnssec" "z" {
  zone = %q
%s
}
`, zone, body)
}

const externalDS = `
  mode = "external"
  records = [{
    kind        = "ds"
    algorithm   = 13
    key_tag     = 2371
    digest_type = 2
    digest      = "` + testDSDigest + `"
  }]
`

// simDNSSEC checks the simulator's view of a zone's DNSSEC.
func (e *accEnv) simDNSSEC(zone, mode, desired, live string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := e.sim.DNSSEC(zone)
		if got.Mode != mode || got.DesiredState != desired || got.LiveState != live {
			return fmt.Errorf("zone %s: DNSSEC %+v, want mode %s, desired %s, live %s", zone, got, mode, desired, live)
		}
		// the apply returned only once the change was carried out: a mode
		// or records change keeps both states "enabled" while it runs
		if got.PendingJob != "" {
			return fmt.Errorf("zone %s: job %s still pending after the apply returned", zone, got.PendingJob)
		}
		return nil
	}
}

// dnssecPuts checks how many DNSSEC changes were sent (PUT requests,
// answered or not).
func (e *accEnv) dnssecPuts(want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := e.sim.Stats().Requests["PUT /dns/{domain}/dnssec"]; got != want {
			return fmt.Errorf("%d DNSSEC changes sent, want %d", got, want)
		}
		return nil
	}
}

func str(s string) knownvalue.Check { return knownvalue.StringExact(s) }

// Enable with mode regfish (the apply waits for the pending job; the DS
// records are exposed), switch to external with a DS record in place,
// disable, import by zone name and by identity, destroy turns DNSSEC off.
func TestAccDNSZoneDNSSEC_Lifecycle(t *testing.T) {
	e := newAccEnv(t, simulator.Options{DNSSECDelay: time.Second})
	e.test(resource.TestCase{
		CheckDestroy: e.simDNSSEC("example.com", "none", "disabled", "disabled"),
		Steps: []resource.TestStep{
			{
				Config: e.config(dnssecConfig("example.com", `mode = "regfish"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("id"), str("example.com")),
					// the apply returned only once the job was done
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("live_state"), str("enabled")),
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("ds_records"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"key_tag": knownvalue.NotNull(), "algorithm": knownvalue.Int64Exact(13), "digest_type": knownvalue.Int64Exact(2),
							"digest": knownvalue.StringRegexp(regexp.MustCompile(`^[0-9A-F]{64}$`)),
						}),
					})),
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("records"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "regfish", "enabled", "enabled"), e.dnssecPuts(1)),
			},
			{
				Config: e.config(dnssecConfig("example.com", externalDS)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(dnssecAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(dnssecAddr, tfjsonpath.New("live_state")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("mode"), str("external")),
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("live_state"), str("enabled")),
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("ds_records"), knownvalue.ListExact(nil)),
				},
				Check: resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "external", "enabled", "enabled"), e.dnssecPuts(2)),
			},
			{ResourceName: dnssecAddr, ImportState: true, ImportStateId: "EXAMPLE.com.", ImportStateVerify: true},
			{
				// back to regfish's signing while enabled: the apply waits for
				// the job, and ds_records are regfish's, not the external DS
				Config: e.config(dnssecConfig("example.com", `mode = "regfish"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("ds_records"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"algorithm": knownvalue.Int64Exact(13),
							"digest":    knownvalue.StringRegexp(regexp.MustCompile(`^(?i:(?:[0-9a-f]{64}))$`)),
						}),
					})),
				},
				Check: resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "regfish", "enabled", "enabled"), e.dnssecPuts(3),
					func(s *terraform.State) error {
						if d, _ := stateAttr(s, dnssecAddr, "ds_records.0.digest"); strings.EqualFold(d, testDSDigest) {
							return fmt.Errorf("ds_records holds the external signer's DS %s", d)
						}
						return nil
					}),
			},
			{
				Config: e.config(dnssecConfig("example.com", externalDS)),
				Check:  resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "external", "enabled", "enabled"), e.dnssecPuts(4)),
			},
			{
				Config: e.config(dnssecConfig("example.com", externalDS+"  enabled = false\n")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("enabled"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("live_state"), str("disabled")),
				},
				Check: resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "external", "disabled", "disabled"), e.dnssecPuts(5)),
			},
		},
	})
}

// Import by identity, and the identity follows the zone.
func TestAccDNSZoneDNSSEC_Identity(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cfg := e.config(dnssecConfig("example.org", `mode = "regfish"`))
	e.test(resource.TestCase{TerraformVersionChecks: needsIdentity, Steps: []resource.TestStep{
		{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{identityIsID(dnssecAddr)}},
		{Config: cfg, ResourceName: dnssecAddr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
			ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("mode"), str("regfish")),
				plancheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("live_state"), str("enabled")),
			}}},
	}})
}

// DNSSEC turned off outside Terraform shows in the plan, and the next
// apply turns it on again.
func TestAccDNSZoneDNSSEC_Drift(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cfg := e.config(dnssecConfig("example.com", `mode = "regfish"`))
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: cfg},
		{
			PreConfig: func() {
				if _, err := e.sim.Client(t).SetDNSSEC(ctxBG, "example.com", regfish.DNSSECRequest{Mode: "none", State: "disabled"}); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(dnssecAddr, plancheck.ResourceActionUpdate),
				priorValue(dnssecAddr, "mode", "none"),
				priorValue(dnssecAddr, "enabled", false),
				priorValue(dnssecAddr, "live_state", "disabled"),
				plancheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("mode"), str("regfish")),
			}},
			Check: e.simDNSSEC("example.com", "regfish", "enabled", "enabled"),
		},
	}})
}

// What the zone's capabilities rule out fails the plan, naming the zone.
func TestAccDNSZoneDNSSEC_CapabilitiesAtPlanTime(t *testing.T) {
	e := newAccEnv(t, simulator.Options{DNSSECCapabilities: map[string]simulator.DNSSECCapabilities{
		"example.com": {Supported: true, ModeExternalAvailable: true, AcceptedRecordKinds: []string{"ds"}, MinRecords: 1, AcceptedAlgorithms: []int{8}},
	}})
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      e.config(dnssecConfig("example.com", `mode = "regfish"`)),
			ExpectError: errRe(`DNSSEC Not Available for Zone example\.com.*mode "regfish" is not available`),
		},
		{
			Config:      e.config(dnssecConfig("example.com", externalDS)),
			ExpectError: errRe(`DNSSEC Not Available for Zone example\.com.*record 1: algorithm 13 is not accepted`),
		},
		{
			Config:      e.config(dnssecConfig("example.com", `mode = "external"`)),
			ExpectError: errRe(`Missing DNSSEC Records`),
		},
		{
			Config:      e.config(dnssecConfig("example.com", `mode = "external"`+"\n"+`records = [{ kind = "ds", algorithm = 8 }]`)),
			ExpectError: errRe(`A DS record needs digest, digest_type, key_tag`),
		},
		{
			Config:      e.config(dnssecConfig("example.net", `mode = "regfish"`)),
			ExpectError: errRe(`DNS Zone Not Found.*no DNS zone example\.net`),
		},
	}})
	if n := e.sim.Stats().Requests["PUT /dns/{domain}/dnssec"]; n != 0 {
		t.Errorf("%d DNSSEC changes sent, want none", n)
	}
}

// withoutCapabilities serves the simulator with the zone detail's DNSSEC
// capabilities left out, so that only the apply's answer can refuse.
func withoutCapabilities(t *testing.T, e *accEnv) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/dns/zones/") {
			e.sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.sim.ServeHTTP(rec, r)
		var env map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err == nil {
			if z, ok := env["response"].(map[string]any); ok {
				if d, ok := z["dnssec"].(map[string]any); ok {
					delete(d, "capabilities")
				}
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_ = json.NewEncoder(w).Encode(env)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A change regfish refuses (whatever the status) fails naming the zone,
// after the zone is read back; nothing is recorded.
func TestAccDNSZoneDNSSEC_Refused(t *testing.T) {
	for _, status := range []string{"422", "400", "409"} {
		t.Run(status, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{
				Variants: simulator.Variants{DNSSECRefused: status},
				DNSSECCapabilities: map[string]simulator.DNSSECCapabilities{
					"example.com": {Supported: true, ModeExternalAvailable: true, AcceptedRecordKinds: []string{"ds"}, MinRecords: 1},
				},
			})
			srv := withoutCapabilities(t, e)
			e.test(resource.TestCase{Steps: []resource.TestStep{{
				Config:      e.configAt(srv, dnssecConfig("example.com", `mode = "regfish"`)),
				ExpectError: errRe(`DNSSEC Change Refused for Zone example\.com.*mode regfish is not available.*The zone reads back unchanged: mode none, desired_state disabled, live_state disabled`),
			}}})
		})
	}
}

// A failure answer to a change the zone did take (the answer replaced
// after the request was carried out) is not trusted either: the zone read
// back shows the change, and the apply goes on.
func TestAccDNSZoneDNSSEC_ErrorAnswerButTaken(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	if err := e.sim.SetFaults(simulator.Fault{Method: http.MethodPut, Path: "/dns/*/dnssec", Kind: simulator.FaultStatus, Status: http.StatusConflict, After: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: e.config(dnssecConfig("example.com", `mode = "regfish"`)),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("live_state"), str("enabled")),
		},
		Check: resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "regfish", "enabled", "enabled"), e.dnssecPuts(1)),
	}}})
}

// A wait that times out keeps the state truthful: what was asked for and
// the live state are recorded, and the next apply waits for the same job
// instead of sending the change again (a timed-out create: the tainted
// object's replacement takes the zone over; a timed-out update: the plan
// shows the wait).
func TestAccDNSZoneDNSSEC_TimeoutKeepsStateTruthful(t *testing.T) {
	e := newAccEnv(t, simulator.Options{DNSSECDelay: time.Hour})
	short := `
  timeouts {
    create = "1s"
    update = "1s"
    delete = "1s"
  }
`
	on := e.config(dnssecConfig("example.com", `mode = "regfish"`+short))
	off := e.config(dnssecConfig("example.com", `mode = "regfish"`+"\n  enabled = false"+short))
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      on,
			ExpectError: errRe(`DNSSEC of Zone example\.com Not Live.*asks for DNSSEC enabled with mode regfish.*desired_state enabled, live_state disabled.*waits for it again without sending it anew`),
		},
		{
			// the state holds the request and the live state; the tainted
			// object's replacement waits for the same job (and times out
			// again), its delete half turns nothing off
			Config:      on,
			ExpectError: errRe(`DNSSEC of Zone example\.com Not Live.*desired_state enabled, live_state disabled`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(dnssecAddr, plancheck.ResourceActionDestroyBeforeCreate),
				priorValue(dnssecAddr, "live_state", "disabled"),
				priorValue(dnssecAddr, "mode", "regfish"),
				priorValue(dnssecAddr, "enabled", true),
			}},
		},
		{
			// the job is done now: the replacement finds it live, sending nothing
			PreConfig: func() { e.sim.Clock().Advance(time.Hour) },
			Config:    on,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("live_state"), str("enabled")),
			},
			Check: resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "regfish", "enabled", "enabled"), e.dnssecPuts(1)),
		},
		{
			Config:      off,
			ExpectError: errRe(`DNSSEC of Zone example\.com Not Live.*desired_state disabled, live_state enabled`),
		},
		{
			// the state says what was asked for and what is live: the plan
			// shows the wait, and the apply waits (and times out again)
			// without a second request
			Config:      off,
			ExpectError: errRe(`DNSSEC of Zone example\.com Not Live.*desired_state disabled, live_state enabled`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(dnssecAddr, plancheck.ResourceActionUpdate),
				priorValue(dnssecAddr, "enabled", false),
				priorValue(dnssecAddr, "live_state", "enabled"),
				plancheck.ExpectUnknownValue(dnssecAddr, tfjsonpath.New("live_state")),
			}},
		},
		{
			PreConfig: func() { e.sim.Clock().Advance(time.Hour) },
			Config:    off,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dnssecAddr, tfjsonpath.New("live_state"), str("disabled")),
			},
			Check: resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "regfish", "disabled", "disabled"), e.dnssecPuts(2)),
		},
		{
			// a destroy that times out keeps the resource
			Config:      off,
			Destroy:     true,
			ExpectError: errRe(`DNSSEC of Zone example\.com Not Off Yet`),
		},
		{
			PreConfig: func() { e.sim.Clock().Advance(time.Hour) },
			Config:    off,
			Destroy:   true,
			Check:     resource.ComposeTestCheckFunc(e.simDNSSEC("example.com", "none", "disabled", "disabled"), e.dnssecPuts(3)),
		},
	}})
}

// priorValue checks an attribute of the prior state in a plan.
func priorValue(addr, attr string, want any) plancheck.PlanCheck { return priorCheck{addr, attr, want} }

type priorCheck struct {
	addr, attr string
	want       any
}

func (c priorCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if req.Plan.PriorState == nil || req.Plan.PriorState.Values == nil {
		resp.Error = fmt.Errorf("the plan has no prior state")
		return
	}
	for _, r := range req.Plan.PriorState.Values.RootModule.Resources {
		if r.Address == c.addr {
			if got := r.AttributeValues[c.attr]; got != c.want {
				resp.Error = fmt.Errorf("%s.%s in the prior state is %v, want %v", c.addr, c.attr, got, c.want)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s is not in the prior state", c.addr)
}
