package provider

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

// TestAccFaults_KillCampaign kills a real `terraform apply` with SIGKILL at bad
// moments — right after the order request, after the DCV records are
// published, while they are removed, during the download, at a random
// time — against an API with realistic latency (50-150 ms per request),
// with two workspaces ordering the same names with different keys. After
// every kill the next apply must resume, never order twice; at the end it
// counts live orders per name set and workspace, duplicates, lost ids,
// wiped ids and panics.
//
// `make test` runs a few kills (REGFISH_KILLS, default 3); `make faults`
// runs the long campaign and prints the table.
func TestAccFaults_KillCampaign(t *testing.T) {
	kills := int(envFloat("REGFISH_KILLS", 3))
	seed, _ := strconv.ParseUint(envList("REGFISH_FAULT_SEEDS", "11")[0], 10, 64)
	n := int(envFloat("REGFISH_KILL_CERTS", 4))
	r := runKillCampaign(t, seed, kills, n)
	report := fmt.Sprintf("\nkill -9 campaign (seed %d, %d certificates x 2 workspaces)\n%-10s %6s %8s %8s %6s %6s %6s %6s %7s\n%-10s %6d %8d %8d %6d %6d %6d %6d %7d\nkills by moment: %s\n",
		seed, n, "", "kills", "applies", "failed", "orders", "dupes", "lost", "wiped", "panics",
		"total", r.Kills, r.Applies, r.Failed, r.Orders, r.Duplicates, r.Lost, r.Wiped, r.Panics, r.byMoment())
	t.Log(report)
	if path := os.Getenv("REGFISH_FAULT_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, _ = f.WriteString(report)
			_ = f.Close()
		}
	}
	if r.Duplicates+r.Lost+r.Wiped+r.Panics > 0 || r.Kills < kills {
		t.Errorf("kill campaign: %+v", r)
	}
}

type killResult struct {
	Kills, Applies, Failed, Orders  int
	Duplicates, Lost, Wiped, Panics int
	Moments                         map[string]int
}

func (r killResult) byMoment() string {
	var parts []string
	for k, v := range r.Moments {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// killMoment is when to kill: once the route's request count grows (or
// after a random delay when route is "").
type killMoment struct{ name, route string }

var killMoments = []killMoment{
	{"after-order", "POST /tls/certificate"},
	{"after-dcv-publish", "POST /dns/rr"},
	{"dcv-cleanup", "DELETE /dns/rr/{rrid}"},
	{"download", "GET /tls/certificate/{id}/download/pem"},
	{"reissue", "POST /tls/certificate/{id}/reissue"},
	{"random", ""},
}

func runKillCampaign(t *testing.T, seed uint64, kills, n int) killResult {
	res := killResult{Moments: map[string]int{}}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // test randomness
	e := newAccEnv(t, simulator.Options{Seed: seed})
	if err := e.sim.SetFaults(
		simulator.Fault{Kind: simulator.FaultLatency, LatencyMS: 50},
		simulator.Fault{Kind: simulator.FaultLatency, LatencyMS: 100, Probability: 0.5},
	); err != nil {
		t.Fatal(err)
	}
	type ws struct {
		w    *tfWorkspace
		csrs []string
		name string
	}
	var spaces []*ws
	for _, name := range []string{"ws1", "ws2"} {
		s := &ws{w: newWorkspace(t, e), name: name}
		for i := 0; i < n; i++ {
			c, _ := csrHCL(t, fmt.Sprintf("k%d.example.com", i))
			s.csrs = append(s.csrs, c)
		}
		spaces = append(spaces, s)
	}
	config := func(s *ws) string {
		var b strings.Builder
		for i, csr := range s.csrs {
			fmt.Fprintf(&b, `
resource "regfish_tls_certificate" "k%d" {
  product     = "RapidSSL"
  common_name = "k%d.example.com"
  csr         = %s
  timeouts {
    create = "2m"
    update = "2m"
  }
}
`, i, i, csr)
		}
		return e.config(b.String())
	}
	for _, s := range spaces {
		s.w.write(config(s))
	}
	check := func(phase, out string, err error) {
		res.Applies++
		if strings.Contains(out, "panic:") || strings.Contains(out, "plugin crashed") {
			res.Panics++
			t.Errorf("%s: the provider crashed:\n%s", phase, out)
		}
		if err != nil {
			res.Failed++
			t.Logf("%s failed: %s", phase, firstErrors(out))
		}
	}
	for k := 0; res.Kills < kills && k < 4*kills; k++ {
		s := spaces[rng.IntN(len(spaces))]
		rotated := ""
		if i := rng.IntN(n); rng.IntN(3) == 0 {
			// Rotate a key now and then, so that reissues get killed too:
			// only of a certificate the state holds. (A key changed
			// between a killed create and its resume leaves an order that
			// cannot be told from another workspace's: see DESIGN.md.)
			if id, _ := s.w.stateIDs()[fmt.Sprintf("regfish_tls_certificate.k%d", i)]["id"].(string); id != "" {
				s.csrs[i], _ = csrHCL(t, fmt.Sprintf("k%d.example.com", i))
				s.w.write(config(s))
				rotated = fmt.Sprintf(", key of k%d rotated", i)
			}
		}
		m := killMoments[rng.IntN(len(killMoments))]
		killed, out := killApplyAt(t, e, s.w, m, time.Duration(100+rng.IntN(2500))*time.Millisecond)
		t.Logf("kill %d: %s at %s%s: killed %v, %d orders", k, s.name, m.name, rotated, killed, len(e.sim.Orders()))
		res.Applies++
		if killed {
			res.Kills++
			res.Moments[m.name]++
		} else {
			check(fmt.Sprintf("kill %d (%s, %s, not reached)", k, s.name, m.name), out, nil)
		}
		if strings.Contains(out, "panic:") {
			res.Panics++
		}
	}
	e.sim.ClearFaults()
	for _, s := range spaces {
		for attempt := 1; ; attempt++ {
			out, err := s.w.apply()
			check(s.name+" converge", out, err)
			if err == nil {
				break
			}
			if attempt == 6 {
				t.Errorf("%s: no successful apply after the campaign:\n%s", s.name, out)
				break
			}
		}
	}
	// Count.
	orders := e.sim.Orders()
	res.Orders = len(orders)
	held := map[string]string{}
	for _, s := range spaces {
		state := s.w.stateIDs()
		for i := 0; i < n; i++ {
			addr := fmt.Sprintf("regfish_tls_certificate.k%d", i)
			id, _ := state[addr]["id"].(string)
			if id == "" {
				res.Wiped++
				t.Errorf("%s: %s has no id in the state", s.name, addr)
				continue
			}
			if other, dup := held[id]; dup {
				res.Duplicates++
				t.Errorf("order %s is held by %s and by %s/%s", id, other, s.name, addr)
			}
			held[id] = s.name + "/" + addr
		}
	}
	for _, o := range orders {
		if _, ok := held[o.ID]; ok {
			continue
		}
		switch o.Status {
		case "pending":
			res.Lost++
			t.Errorf("order %s (%s) is pending but in no state: lost", o.ID, o.CommonName)
		case "issued":
			res.Duplicates++
			t.Errorf("order %s (%s) is issued but in no state: ordered twice", o.ID, o.CommonName)
		}
	}
	return res
}

// killApplyAt starts `terraform apply` and kills terraform and the provider
// with SIGKILL once moment m happens (or after d for a random moment). It
// reports whether it killed, and the output.
func killApplyAt(t *testing.T, e *accEnv, w *tfWorkspace, m killMoment, d time.Duration) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	before := e.sim.Stats().Requests[m.route]
	cmd := w.command(ctx, "apply", "-auto-approve", "-no-color")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	start := time.Now()
	for {
		select {
		case <-exited:
			return false, out.String()
		case <-time.After(3 * time.Millisecond):
		}
		hit := m.route == "" && time.Since(start) >= d
		if m.route != "" && e.sim.Stats().Requests[m.route] > before {
			hit = true
		}
		if hit {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			return true, out.String()
		}
	}
}

func firstErrors(out string) string {
	var s []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Error: ") {
			s = append(s, strings.TrimPrefix(line, "Error: "))
		}
	}
	return strings.Join(s, "; ")
}
