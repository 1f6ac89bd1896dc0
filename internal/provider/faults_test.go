package provider

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// TestAccFaults_Campaign runs the order, reissue and renewal flows with the real
// terraform binary while the simulator injects 429s (with Retry-After),
// 5xx answers (also after the request was carried out), connection resets
// (before and after) and slow answers. Each phase is applied until it
// succeeds, like a CI pipeline that re-runs. At the end it counts the
// orders per resource in the simulator: exactly one live order per
// certificate, no order id lost, no panic, and every error about a
// certificate names its id.
//
// `make test` runs one fixed seed with a bounded number of faults;
// `make faults` runs a longer campaign (REGFISH_FAULT_SEEDS,
// REGFISH_FAULT_RATE, REGFISH_FAULT_BUDGET) and prints the counts.
func TestAccFaults_Campaign(t *testing.T) {
	seeds := envList("REGFISH_FAULT_SEEDS", "7")
	rate := envFloat("REGFISH_FAULT_RATE", 0.08)
	budget := int(envFloat("REGFISH_FAULT_BUDGET", 12))
	var rows []campaignResult
	for _, seed := range seeds {
		t.Run("seed-"+seed, func(t *testing.T) {
			n, _ := strconv.ParseUint(seed, 10, 64)
			r := runCampaign(t, n, rate, budget)
			rows = append(rows, r)
			if r.Lost > 0 || r.Duplicates > 0 || r.Panics > 0 || r.UnnamedErrors > 0 || !r.Converged {
				t.Errorf("seed %s: %s", seed, r)
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nfault campaign (rate %.2f, budget %d per rule)\n", rate, budget)
	fmt.Fprintf(&b, "%-6s %7s %7s %6s %6s %12s %6s %6s %9s %6s %6s %8s %9s %8s\n", "seed", "faults", "applies", "failed", "orders", "live/crt", "lost", "dupes", "unnamed", "panics", "429", "5xx", "resets", "corrupt")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-6d %7d %7d %6d %6d %12s %6d %6d %9d %6d %6d %8d %9d %8d\n", r.Seed, r.Faults, r.Applies, r.Failed, r.Orders, r.LivePerCert,
			r.Lost, r.Duplicates, r.UnnamedErrors, r.Panics, r.F429, r.F5xx, r.FReset, r.FCorrupt)
	}
	t.Log(b.String())
	if path := os.Getenv("REGFISH_FAULT_REPORT"); path != "" {
		_ = os.WriteFile(path, []byte(b.String()), 0o644)
	}
}

type campaignResult struct {
	Seed                                    uint64
	Faults, Applies, Failed, Orders         int
	LivePerCert                             string
	Lost, Duplicates, UnnamedErrors, Panics int
	F429, F5xx, FReset, FCorrupt            int
	Converged                               bool
}

func (r campaignResult) String() string {
	return fmt.Sprintf("faults %d, applies %d (failed %d), orders %d, live per certificate %s, lost %d, duplicates %d, errors without id %d, panics %d, converged %v",
		r.Faults, r.Applies, r.Failed, r.Orders, r.LivePerCert, r.Lost, r.Duplicates, r.UnnamedErrors, r.Panics, r.Converged)
}

var idRe = regexp.MustCompile(`\b[23456789ABCDEFGHJKMNPQRSTVWXYZ]{13}\b`)

// withCertRe finds the certificate resource an error block is about.
var withCertRe = regexp.MustCompile(`with regfish_tls_certificate\.([a-z0-9_]+)`)

func runCampaign(t *testing.T, seed uint64, rate float64, budget int) campaignResult {
	res := campaignResult{Seed: seed}
	e := newAccEnv(t, simulator.Options{Seed: seed, ApprovalDelay: 200 * time.Millisecond})
	w := newWorkspace(t, e)
	type cert struct{ name, product, cn, org string }
	certs := []cert{{"a", "RapidSSL", "a.example.com", ""}, {"b", "RapidSSL", "b.example.org", ""}, {"c", "SecureSite", "c.example.com", "regfish_tls_organization.acme.id"}}
	csrs := map[string]string{}
	for _, c := range certs {
		csrs[c.name], _ = csrHCL(t, c.cn, "www."+c.cn)
	}
	config := func() string {
		cfg := orgConfig()
		for _, c := range certs {
			org := ""
			if c.org != "" {
				org = "  org_id = " + c.org + "\n"
			}
			cfg += fmt.Sprintf(`
resource "regfish_tls_certificate" %q {
  product           = %q
  common_name       = %q
  dns_names         = ["www.%s"]
  csr               = %s
  validity_days     = 30
  renew_before_days = 10
%s  timeouts {
    create = "40s"
    update = "40s"
  }
}
`, c.name, c.product, c.cn, c.cn, csrs[c.name], org)
		}
		return e.config(cfg)
	}
	p := rate
	if err := e.sim.SetFaults(
		simulator.Fault{Kind: simulator.FaultLatency, LatencyMS: 120, Probability: p, Count: budget},
		simulator.Fault{Kind: simulator.FaultStatus, Status: 429, RetryAfter: 1, Probability: p, Count: budget},
		simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Probability: p, Count: budget},
		simulator.Fault{Kind: simulator.FaultStatus, Status: 500, After: true, Probability: p, Count: budget},
		simulator.Fault{Kind: simulator.FaultReset, Probability: p, Count: budget},
		simulator.Fault{Kind: simulator.FaultReset, After: true, Probability: p, Count: budget},
		// the order POST itself, answered with a lost response after it was carried out
		simulator.Fault{Kind: simulator.FaultReset, Method: "POST", Path: "/tls/certificate", After: true, Probability: 0.3, Count: 2},
		// 2xx answers that are not what the call should get, after the request was carried out
		simulator.Fault{Kind: simulator.FaultCorrupt, Corrupt: simulator.CorruptNull, Probability: p / 2, Count: budget},
		simulator.Fault{Kind: simulator.FaultCorrupt, Corrupt: simulator.CorruptEmpty, Probability: p / 2, Count: budget},
		simulator.Fault{Kind: simulator.FaultCorrupt, Corrupt: simulator.CorruptHTML, Probability: p / 2, Count: budget},
		simulator.Fault{Kind: simulator.FaultCorrupt, Corrupt: simulator.CorruptOtherID, Probability: p / 2, Count: budget},
		// bursts of 503s on the lookups the order safety depends on
		simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Method: "GET", Path: "/tls/certificate", Probability: p, Burst: 8, Count: budget},
		simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Method: "GET", Path: "/dns/*/rr", Probability: p, Burst: 8, Count: budget},
	); err != nil {
		t.Fatal(err)
	}
	applyUntilOK := func(phase string) {
		for attempt := 1; attempt <= 8; attempt++ {
			started := time.Now()
			out, err := w.apply()
			t.Logf("%s: apply %d took %s", phase, attempt, time.Since(started).Round(time.Second))
			res.Applies++
			if strings.Contains(out, "panic:") || strings.Contains(out, "plugin crashed") || strings.Contains(out, "Plugin did not respond") {
				res.Panics++
				t.Errorf("%s: the provider crashed:\n%s", phase, out)
			}
			if err == nil {
				return
			}
			res.Failed++
			// An error about a certificate that has an order (an id in the
			// state) must name an order id; one about a certificate whose
			// order was never placed (a plan-time "nothing was changed")
			// has none to name.
			ids := w.stateIDs()
			for _, block := range strings.Split(out, "Error: ")[1:] {
				m := withCertRe.FindStringSubmatch(block)
				if m == nil {
					continue
				}
				if id, _ := ids["regfish_tls_certificate."+m[1]]["id"].(string); id != "" && !idRe.MatchString(block) {
					res.UnnamedErrors++
					t.Errorf("%s: error about a certificate without its id:\nError: %s", phase, block)
				}
			}
			var summaries []string
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "Error: ") {
					summaries = append(summaries, strings.TrimPrefix(line, "Error: "))
				}
			}
			t.Logf("%s: apply %d failed (%s), re-running", phase, attempt, strings.Join(summaries, "; "))
			if os.Getenv("REGFISH_FAULT_VERBOSE") != "" {
				t.Log(out[strings.Index(out, "Error: "):])
			}
		}
		t.Errorf("%s: no successful apply in 8 attempts", phase)
	}

	w.write(config())
	applyUntilOK("order")
	csrs["a"], _ = csrHCL(t, "a.example.com", "www.a.example.com") // key rotation: reissue
	w.write(config())
	applyUntilOK("reissue")
	e.advance(21 * day) // inside every renewal window: renewal orders
	applyUntilOK("renewal")

	for k, v := range e.sim.Stats().FaultsInjected {
		res.Faults += v
		switch {
		case strings.HasPrefix(k, "status_429"):
			res.F429 += v
		case strings.HasPrefix(k, "status_5"):
			res.F5xx += v
		case strings.HasPrefix(k, "reset"):
			res.FReset += v
		case strings.HasPrefix(k, "corrupt"):
			res.FCorrupt += v
		}
	}
	e.sim.ClearFaults()
	out, err := w.run("plan", "-detailed-exitcode", "-no-color")
	res.Converged = err == nil
	if err != nil {
		t.Logf("plan after the campaign is not empty: %v\n%s", err, out)
	}

	// Count orders per certificate.
	state := w.stateIDs()
	orders := e.sim.Orders()
	res.Orders = len(orders)
	byID := map[string]simulator.OrderInfo{}
	for _, o := range orders {
		byID[o.ID] = o
	}
	lineage := map[string]string{} // order id -> resource
	var live []string
	for _, c := range certs {
		addr := "regfish_tls_certificate." + c.name
		id, _ := state[addr]["id"].(string)
		if id == "" {
			t.Errorf("%s has no id in the state", addr)
			continue
		}
		for cur := id; cur != ""; cur = byID[cur].RenewalOfCertificateID {
			lineage[cur] = c.name
		}
		n := 0
		for _, o := range orders {
			names := strings.Join(append([]string{o.CommonName}, o.DNSNames...), ",")
			if strings.Contains(names, c.cn) && (o.Status == "pending" || (o.Status == "issued" && !isPredecessor(o.ID, id, byID))) {
				n++
			}
		}
		live = append(live, fmt.Sprintf("%s=%d", c.name, n))
		if n != 1 {
			t.Errorf("%s: %d live orders, want 1", addr, n)
		}
	}
	sort.Strings(live)
	res.LivePerCert = strings.Join(live, ",")
	for _, o := range orders {
		if _, ok := lineage[o.ID]; ok {
			continue
		}
		switch o.Status {
		case "pending":
			res.Lost++
			t.Errorf("order %s (%s) is pending but in no state: lost", o.ID, o.CommonName)
		case "issued":
			res.Duplicates++
			t.Errorf("order %s (%s) is issued but belongs to no resource: a duplicate", o.ID, o.CommonName)
		}
	}
	t.Logf("seed %d: %s", seed, res)
	return res
}

// isPredecessor tells whether id is renewed by cur (directly or not).
func isPredecessor(id, cur string, byID map[string]simulator.OrderInfo) bool {
	for c := byID[cur].RenewalOfCertificateID; c != ""; c = byID[c].RenewalOfCertificateID {
		if c == id {
			return true
		}
	}
	return false
}

func envList(name, def string) []string {
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	return strings.Split(v, ",")
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}
