// Command regfish-bench runs `make bench`: it drives the real terraform
// binary with the provider built from this tree (through a dev_overrides CLI
// configuration, no `terraform init`) against in-process regfish API
// simulators and prints one table of measurements next to the targets of
// issue 10 (fast and frugal at scale):
//
//   - apply: wall time of N DV certificates against N terraform_data
//     resources, API requests per certificate by endpoint, account listings,
//     refresh requests per certificate and PEM downloads during refresh,
//     and the provider's peak RSS;
//   - account: an account already holding 2,000 orders, then 20 new
//     certificates: list calls and bytes per new certificate;
//   - workspaces: two workspaces applying 20 certificates each at the same
//     time with one API key under a 100 requests / 60 s rate limit, the
//     simulator answering with regfish's observed rate-limit headers (only
//     RateLimit-Policy, a 429 without Retry-After) unless -ws-headers says
//     otherwise; the table names the headers the simulator sent.
//
// It is a measurement, not a test: nothing here fails the build when a
// target is missed. Flags default from BENCH_* environment variables, so
// `make bench BENCH_N=10 BENCH_SECTIONS=apply` is a quick run.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/tfdev"
)

var knownSections = []string{"scale", "apply", "account", "workspaces"}

const apiKey = "bench-key"

type config struct {
	providerDir, tfPath string
	ns                  []int
	scaleNs             []int
	sections            map[string]bool
	parallelism         int
	timeout             time.Duration
	rateLimit           int
	seedOrders          int
	accountCerts        int
	wsCerts             int
	wsRateLimit         int
	wsWindow            time.Duration
	wsHeaders           string
	keep                bool
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench failed:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func run() error {
	var c config
	ns := flag.String("n", env("BENCH_N", "10,50,200"), "certificate counts of the apply section (env BENCH_N)")
	scaleNs := flag.String("scale-n", env("BENCH_SCALE_N", "10,50,200,1000"), "certificate counts of the scale section, each with the rate limit (500 / 60 s) and without it (env BENCH_SCALE_N)")
	sections := flag.String("sections", env("BENCH_SECTIONS", "scale,account,workspaces"), "sections to run: scale, apply, account, workspaces or all (env BENCH_SECTIONS)")
	flag.StringVar(&c.providerDir, "provider-dir", "", "directory holding the built terraform-provider-regfish binary (make bench builds it)")
	tf := flag.String("terraform", env("TF_BIN", "terraform"), "terraform or tofu binary (env TF_BIN)")
	flag.IntVar(&c.parallelism, "parallelism", envInt("BENCH_PARALLELISM", 10), "terraform -parallelism (env BENCH_PARALLELISM)")
	flag.DurationVar(&c.timeout, "timeout", envDur("BENCH_TIMEOUT", 20*time.Minute), "limit of each terraform command (env BENCH_TIMEOUT)")
	flag.IntVar(&c.rateLimit, "rate-limit", envInt("BENCH_RATE_LIMIT", 1000000), "simulator requests per 60 s in the apply and account sections (env BENCH_RATE_LIMIT)")
	flag.IntVar(&c.seedOrders, "seed-orders", envInt("BENCH_SEED_ORDERS", 2000), "orders already in the account in the account section (env BENCH_SEED_ORDERS)")
	flag.IntVar(&c.accountCerts, "account-certs", envInt("BENCH_ACCOUNT_CERTS", 20), "new certificates in the account section (env BENCH_ACCOUNT_CERTS)")
	flag.IntVar(&c.wsCerts, "ws-certs", envInt("BENCH_WS_CERTS", 20), "certificates per workspace in the workspaces section (env BENCH_WS_CERTS)")
	flag.IntVar(&c.wsRateLimit, "ws-rate-limit", envInt("BENCH_WS_RATE_LIMIT", 100), "simulator requests per window in the workspaces section (env BENCH_WS_RATE_LIMIT)")
	flag.DurationVar(&c.wsWindow, "ws-window", envDur("BENCH_WS_WINDOW", time.Minute), "rate-limit window of the workspaces section (env BENCH_WS_WINDOW)")
	flag.StringVar(&c.wsHeaders, "ws-headers", env("BENCH_WS_HEADERS", "policy"), "rate-limit headers of the simulator in the workspaces section: policy (regfish's, observed), policy-retry-after or draft (env BENCH_WS_HEADERS)")
	flag.BoolVar(&c.keep, "keep", env("BENCH_KEEP", "") != "", "keep the work directories (env BENCH_KEEP)")
	flag.Parse()
	var err error
	if c.ns, err = parseInts(*ns); err != nil {
		return fmt.Errorf("-n / BENCH_N: %w", err)
	}
	if c.scaleNs, err = parseInts(*scaleNs); err != nil {
		return fmt.Errorf("-scale-n / BENCH_SCALE_N: %w", err)
	}
	if c.sections, err = parseSections(*sections, knownSections); err != nil {
		return fmt.Errorf("-sections / BENCH_SECTIONS: %w", err)
	}
	if _, err := simulator.ParseVariants("ratelimit-headers=" + c.wsHeaders); err != nil {
		return fmt.Errorf("-ws-headers / BENCH_WS_HEADERS: %w", err)
	}
	if c.providerDir == "" {
		return errors.New("-provider-dir is required (make bench builds the provider there)")
	}
	if c.tfPath, err = tfdev.FindTerraform(*tf); err != nil {
		return err
	}
	if c.providerDir, err = filepath.Abs(c.providerDir); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.providerDir, "terraform-provider-regfish")); err != nil {
		return fmt.Errorf("no provider binary in -provider-dir: %w", err)
	}
	root, err := os.MkdirTemp("", "regfish-bench-")
	if err != nil {
		return err
	}
	if c.keep {
		progress("work directories kept in %s", root)
	} else {
		defer func() { _ = os.RemoveAll(root) }()
	}
	b := &bench{config: c, root: root}
	return b.run()
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "==> "+format+"\n", args...)
}

type bench struct {
	config
	root  string
	rows  []row
	scale []scaleRow
	seq   int
}

func (b *bench) add(section, metric, value, target, result string) {
	b.rows = append(b.rows, row{section, metric, value, target, result})
}

func (b *bench) run() error {
	start := time.Now()
	loadBefore := loadAvg()
	var ver bytes.Buffer
	cmd := exec.Command(b.tfPath, "version")
	cmd.Stdout = &ver
	_ = cmd.Run()
	tfVersion, _, _ := strings.Cut(ver.String(), "\n")
	progress("%s, provider from %s, -parallelism=%d, load %s", tfVersion, b.providerDir, b.parallelism, loadBefore)

	if b.sections["scale"] {
		for _, n := range b.scaleNs {
			if err := b.scaleSection(n); err != nil {
				return err
			}
		}
	}
	if b.sections["apply"] {
		for _, n := range b.ns {
			if err := b.applySection(n); err != nil {
				return err
			}
		}
	}
	if b.sections["account"] {
		if err := b.accountSection(); err != nil {
			return err
		}
	}
	if b.sections["workspaces"] {
		if err := b.workspacesSection(); err != nil {
			return err
		}
	}
	run := []row{
		{"run", "terraform", tfVersion, "", info},
		{"run", "terraform -parallelism", strconv.Itoa(b.parallelism), "", info},
		{"run", "provider settings", "base_url + api_key only (default poll_interval, retries)", "", info},
		{"run", "simulator rate limit (apply, account)", fmt.Sprintf("%d / 60 s", b.rateLimit), "", info},
		{"run", "CPUs / load avg before / after", fmt.Sprintf("%d / %s / %s", runtime.NumCPU(), loadBefore, loadAvg()), "", info},
		{"run", "bench wall time", secs(time.Since(start)), "", info},
	}
	if len(b.scale) > 0 {
		fmt.Println("Scale: N DV certificates (one name each, two zones), issued at once by the simulator, default provider settings;")
		fmt.Println("with regfish's rate limit (500 requests / 60 s, only RateLimit-Policy sent) and with the limit out of the way.")
		fmt.Print(formatScale(b.scale))
		fmt.Println()
	}
	fmt.Print(formatTable(append(run, b.rows...)))
	return nil
}

func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// ----- simulator -----------------------------------------------------------

// benchSim is a simulator on a loopback port behind a byte counter.
type benchSim struct {
	sim       *simulator.Simulator
	srv       *http.Server
	base      string
	listBytes atomic.Int64 // response bytes of GET /tls/certificate
	allBytes  atomic.Int64 // response bytes of every request

	hdrMu   sync.Mutex
	headers map[string]int // rate-limit headers of the API answers (+ " on 429")
}

func startSim(opts simulator.Options) (*benchSim, error) {
	opts.APIKey = apiKey
	sim, err := simulator.New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &benchSim{sim: sim, base: "http://" + ln.Addr().String(), headers: map[string]int{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *benchSim) close() { _ = s.srv.Close() }

// ServeHTTP counts the response bytes in front of the simulator.
func (s *benchSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cw := &countingWriter{ResponseWriter: w}
	s.sim.ServeHTTP(cw, r)
	s.allBytes.Add(cw.n)
	if !strings.HasPrefix(r.URL.Path, simulator.ControlPrefix) {
		s.recordHeaders(w.Header(), cw.status)
	}
	if isListRequest(r.Method, r.URL.Path) {
		s.listBytes.Add(cw.n)
	}
}

type countingWriter struct {
	http.ResponseWriter
	n      int64
	status int
}

func (w *countingWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// rateLimitHeaders are the headers about the rate limit an answer may carry.
var rateLimitHeaders = []string{"RateLimit-Policy", "RateLimit", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"}

// recordHeaders counts the rate-limit headers of one answer.
func (s *benchSim) recordHeaders(h http.Header, status int) {
	s.hdrMu.Lock()
	defer s.hdrMu.Unlock()
	s.headers["answers"]++
	if status == http.StatusTooManyRequests {
		s.headers["answers 429"]++
	}
	for _, name := range rateLimitHeaders {
		if h.Get(name) == "" {
			continue
		}
		s.headers[name]++
		if status == http.StatusTooManyRequests {
			s.headers[name+" on 429"]++
		}
	}
}

// headersSent describes the rate-limit headers the simulator sent, such as
// "RateLimit-Policy (477 of 477 answers); 429: 206, Retry-After on 0".
func (s *benchSim) headersSent() string {
	s.hdrMu.Lock()
	defer s.hdrMu.Unlock()
	var parts []string
	for _, name := range rateLimitHeaders {
		if name != "Retry-After" && s.headers[name] > 0 {
			parts = append(parts, fmt.Sprintf("%s (%d of %d answers)", name, s.headers[name], s.headers["answers"]))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	return strings.Join(parts, ", ") + fmt.Sprintf("; 429: %d, Retry-After on %d", s.headers["answers 429"], s.headers["Retry-After on 429"])
}

// isListRequest reports the account-wide order list, GET /tls/certificate.
func isListRequest(method, path string) bool {
	return method == http.MethodGet && strings.Trim(path, "/") == "tls/certificate"
}

// snapshot is what the simulator has counted so far.
type snapshot struct {
	stats               simulator.Stats
	listBytes, allBytes int64
}

func (s *benchSim) snap() snapshot {
	return snapshot{stats: s.sim.Stats(), listBytes: s.listBytes.Load(), allBytes: s.allBytes.Load()}
}

// delta is what happened between two snapshots.
type delta struct {
	requests            map[string]int // by route, API only
	status              map[int]int
	listBytes, allBytes int64
}

func (a snapshot) to(b snapshot) delta {
	d := delta{requests: map[string]int{}, status: diffCounts(a.stats.Status, b.stats.Status),
		listBytes: b.listBytes - a.listBytes, allBytes: b.allBytes - a.allBytes}
	for r, n := range diffCounts(a.stats.Requests, b.stats.Requests) {
		if !isControlRoute(r) {
			d.requests[r] = n
		}
	}
	return d
}

func (d delta) total() int { return apiTotal(d.requests) }

// seed places n DV orders through the simulator's API and validates them,
// so that the account holds n issued certificates.
func (s *benchSim) seed(n int) error {
	for i := range n {
		zone := zoneOf(i)
		cn := fmt.Sprintf("seed-%05d.%s", i, zone)
		csr, err := tfdev.NewCSR(cn, cn)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]any{"sku": "RapidSSL", "common_name": cn, "csr": csr, "dcv_method": "dns-cname-token"})
		req := httptest.NewRequest(http.MethodPost, "/tls/certificate", bytes.NewReader(body))
		req.Header.Set("x-api-key", apiKey)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.sim.ServeHTTP(rec, req)
		var out struct {
			Success  bool `json:"success"`
			Response struct {
				ID string `json:"id"`
			} `json:"response"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || !out.Success || out.Response.ID == "" {
			return fmt.Errorf("seeding order %d: HTTP %d: %s", i, rec.Code, rec.Body.String())
		}
		if err := s.sim.ForceValidate(out.Response.ID); err != nil {
			return fmt.Errorf("seeding order %d: %w", i, err)
		}
	}
	return nil
}

// duplicates counts live orders beyond the first per name set.
func (s *benchSim) duplicates() (dups, live int) {
	var sets []string
	for _, o := range s.sim.Orders() {
		if o.Live() {
			sets = append(sets, nameSet(o.CommonName, o.DNSNames))
		}
	}
	return duplicates(sets), len(sets)
}

func (s *benchSim) issued(prefix string) int {
	n := 0
	for _, o := range s.sim.Orders() {
		if o.Status == "issued" && strings.HasPrefix(o.CommonName, prefix) {
			n++
		}
	}
	return n
}

func zoneOf(i int) string {
	if i%2 == 0 {
		return "example.com"
	}
	return "example.org"
}

// ----- terraform workspaces ------------------------------------------------

type workspace struct {
	b   *bench
	dir string
	env []string
}

func (b *bench) workspace(name string) (*workspace, error) {
	b.seq++
	dir := filepath.Join(b.root, fmt.Sprintf("%02d-%s", b.seq, name))
	if err := os.MkdirAll(filepath.Join(dir, "csr"), 0o755); err != nil {
		return nil, err
	}
	env, err := tfdev.Workspace(dir, b.providerDir)
	if err != nil {
		return nil, err
	}
	return &workspace{b: b, dir: dir, env: env}, nil
}

// floorConfig is n terraform_data resources: Terraform's own floor.
func floorConfig(n int) string {
	return fmt.Sprintf("resource \"terraform_data\" \"d\" {\n  count = %d\n  input = count.index\n}\n", n)
}

// stateFloorConfig is n terraform_data resources holding about per bytes
// of state each (input and output hold the same string).
func stateFloorConfig(n, per int) string {
	return fmt.Sprintf("resource \"terraform_data\" \"d\" {\n  count = %d\n  input = \"%s-${count.index}\"\n}\n", n, strings.Repeat("x", max(per/2-200, 1)))
}

// pluginFloorConfig is stateFloorConfig plus one data source of our
// provider: Terraform's floor for a provider whose resources hold as many
// state bytes as ours, with the provider plugin started for each of its
// walks (schema, validate, plan, apply: four process starts and
// handshakes, the fixed cost every provider pays and terraform_data, built
// in, does not).
func pluginFloorConfig(base string, n, per int) string {
	return providerConfig(base) + "\ndata \"regfish_tls_products\" \"p\" {}\n\n" + stateFloorConfig(n, per)
}

// providerConfig is the provider's requirement and configuration: base_url
// and api_key only, so the default poll and retry settings are measured.
func providerConfig(base string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

provider "regfish" {
  base_url = %q
  api_key  = %q
}
`, base, apiKey)
}

// statePerInstance is the size of dir's state file divided by n: the state
// bytes one certificate takes (0 when unreadable).
func statePerInstance(dir string, n int) int {
	fi, err := os.Stat(filepath.Join(dir, "terraform.tfstate"))
	if err != nil || n == 0 {
		return 0
	}
	return int(fi.Size()) / n
}

// certConfig is one DV certificate per name, with default poll settings.
func certConfig(base string, names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return providerConfig(base) + fmt.Sprintf(`
locals {
  names = [%s]
}

resource "regfish_tls_certificate" "c" {
  count       = length(local.names)
  product     = "RapidSSL"
  common_name = local.names[count.index]
  csr         = file("${path.module}/csr/${count.index}.pem")
}
`, strings.Join(q, ", "))
}

// writeCerts writes the configuration and one CSR per name.
func (w *workspace) writeCerts(base string, names []string) error {
	for i, n := range names {
		csr, err := tfdev.NewCSR(n, n)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(w.dir, "csr", fmt.Sprintf("%d.pem", i)), []byte(csr), 0o600); err != nil {
			return err
		}
	}
	return w.write(certConfig(base, names))
}

// applyConfig applies cfg in a new workspace named name (a floor: no RSS
// sampling).
func (b *bench) applyConfig(name, cfg string) (result, error) {
	w, err := b.workspace(name)
	if err != nil {
		return result{exit: -1}, err
	}
	if err := w.write(cfg); err != nil {
		return result{exit: -1}, err
	}
	return w.apply(false), nil
}

func (w *workspace) write(cfg string) error {
	return os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(cfg), 0o600)
}

// result is one terraform command.
type result struct {
	wall     time.Duration
	exit     int // -1: did not run or timed out
	out      string
	timedOut bool
	peakRSS  int64 // bytes, 0 when not measured
	procs    int   // provider processes seen
}

func (r result) ok() bool { return r.exit == 0 }

func (r result) status() string {
	switch {
	case r.timedOut:
		return "timed out"
	case r.exit == 0:
		return "yes"
	default:
		return fmt.Sprintf("no (exit %d)", r.exit)
	}
}

// run runs terraform with a time limit, killing its process group (the
// provider included) when the limit passes; rss samples the provider.
func (w *workspace) run(rss bool, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), w.b.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.b.tfPath, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	var mon *rssMonitor
	if rss {
		mon = startRSS(filepath.Join(w.b.providerDir, "terraform-provider-regfish"), 50*time.Millisecond)
	}
	start := time.Now()
	err := cmd.Run()
	res := result{wall: time.Since(start), out: out.String(), exit: -1}
	if mon != nil {
		res.peakRSS, res.procs = mon.stop()
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.timedOut = true
	case err == nil:
		res.exit = 0
	case errors.As(err, &ee):
		res.exit = ee.ExitCode()
	}
	// plan -detailed-exitcode exits 2 when it plans changes: reported, not a failure
	expected := res.ok() || (res.exit == 2 && slices.Contains(args, "-detailed-exitcode"))
	if !expected || res.timedOut {
		progress("terraform %s in %s: %s; last output:\n%s", strings.Join(args, " "), w.dir, res.status(), tail(res.out, 30))
	}
	return res
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

func (w *workspace) apply(rss bool) result {
	return w.run(rss, "apply", "-auto-approve", "-no-color", "-parallelism="+strconv.Itoa(w.b.parallelism))
}

// ----- sections ------------------------------------------------------------

func (b *bench) applySection(n int) error {
	sec := fmt.Sprintf("apply N=%d", n)
	at50 := n == 50
	progress("%s: %d terraform_data (floor)", sec, n)
	floor, err := b.applyConfig(fmt.Sprintf("floor-%d", n), floorConfig(n))
	if err != nil {
		return err
	}

	sim, err := startSim(simulator.Options{RateLimit: b.rateLimit})
	if err != nil {
		return err
	}
	defer sim.close()
	w, err := b.workspace(fmt.Sprintf("certs-%d", n))
	if err != nil {
		return err
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("c%d.%s", i, zoneOf(i))
	}
	if err := w.writeCerts(sim.base, names); err != nil {
		return err
	}
	progress("%s: %d DV certificates", sec, n)
	s0 := sim.snap()
	ap := w.apply(true)
	s1 := sim.snap()
	progress("%s: refresh (terraform plan -refresh-only)", sec)
	rf := w.run(true, "plan", "-refresh-only", "-no-color", "-parallelism="+strconv.Itoa(b.parallelism))
	s2 := sim.snap()
	progress("%s: terraform plan", sec)
	pl := w.run(true, "plan", "-detailed-exitcode", "-no-color", "-parallelism="+strconv.Itoa(b.parallelism))
	s3 := sim.snap()
	da, dr, dp := s0.to(s1), s1.to(s2), s2.to(s3)

	res := func(ok bool) string {
		if !ap.ok() {
			return fail
		}
		return verdict(ok)
	}
	ifAt := func(cond bool, target, result string) (string, string) {
		if cond {
			return target, result
		}
		return "-", info
	}
	b.add(sec, "apply succeeded / certificates issued", fmt.Sprintf("%s / %d of %d", ap.status(), sim.issued("c"), n), "yes / all", verdict(ap.ok() && sim.issued("c") == n))
	b.add(sec, "terraform_data floor (apply wall time)", secs(floor.wall)+floorNote(floor), "", info)
	b.add(sec, "certificates apply wall time", secs(ap.wall), "", info)
	ratio := ap.wall.Seconds() / floor.wall.Seconds()
	t, r := ifAt(at50, "<= 3x floor", res(ratio <= 3 && floor.ok()))
	b.add(sec, "ratio certificates / floor", fmt.Sprintf("%.1fx", ratio), t, r)
	t, r = ifAt(at50, "<= 6", res(float64(da.total()) <= 6*float64(n)))
	b.add(sec, "API requests per certificate (plan+apply)", perCert(da.total(), n)+fmt.Sprintf(" (%d in all)", da.total()), t, r)
	for _, route := range sortedRoutes(da.requests) {
		b.add(sec, "  "+route, perCert(da.requests[route], n), "", info)
	}
	b.add(sec, "answers 429 during apply", strconv.Itoa(da.status[http.StatusTooManyRequests]), "", info)
	b.add(sec, "account listings (GET /tls/certificate) plan+apply", strconv.Itoa(da.requests[routeList]), "<= 3", res(da.requests[routeList] <= 3))
	rres := func(ok bool) string {
		if !ap.ok() || !rf.ok() {
			return fail
		}
		return verdict(ok)
	}
	b.add(sec, "refresh (plan -refresh-only) requests per certificate", perCert(dr.total(), n)+fmt.Sprintf(" (%d in all; %s)", dr.total(), secs(rf.wall)), "<= 1", rres(float64(dr.total()) <= float64(n)))
	if dr.total() > 0 {
		var parts []string
		for _, route := range sortedRoutes(dr.requests) {
			parts = append(parts, fmt.Sprintf("%s %d", route, dr.requests[route]))
		}
		b.add(sec, "  refresh requests by endpoint", strings.Join(parts, "; "), "", info)
	}
	b.add(sec, "certificate downloads during refresh", strconv.Itoa(downloads(dr.requests)), "0", rres(downloads(dr.requests) == 0))
	planNote := "no changes"
	switch {
	case pl.exit == 2:
		planNote = "CHANGES PLANNED"
	case !pl.ok():
		planNote = "failed: " + pl.status()
	}
	b.add(sec, "terraform plan after apply: requests per certificate", perCert(dp.total(), n)+fmt.Sprintf(" (%d in all, %d listings; %s; %s)", dp.total(), dp.requests[routeList], secs(pl.wall), planNote), "", info)
	peak := max(ap.peakRSS, rf.peakRSS, pl.peakRSS)
	t, r = ifAt(n == 200, "< 150 MB", res(peak > 0 && peak < 150<<20))
	b.add(sec, "provider peak RSS (VmHWM, sampled every 50 ms)", rssNote(peak, ap.procs+rf.procs+pl.procs), t, r)
	return nil
}

// scaleSection measures N certificates with the rate limit and without
// it: the floor (N terraform_data), the bound the limit sets, our apply,
// requests per certificate, the no-change plan after it, 429 answers and
// the provider's peak RSS.
func (b *bench) scaleSection(n int) error {
	progress("scale N=%d: %d terraform_data (floor)", n, n)
	floor, err := b.applyConfig(fmt.Sprintf("scale-floor-%d", n), floorConfig(n))
	if err != nil {
		return err
	}
	const limit, window = 500, 60 * time.Second
	for _, limited := range []bool{false, true} {
		rl := 1 << 30
		if limited {
			rl = limit
		}
		sim, err := startSim(simulator.Options{RateLimit: rl, RateWindow: window})
		if err != nil {
			return err
		}
		w, err := b.workspace(fmt.Sprintf("scale-%d-limited-%t", n, limited))
		if err != nil {
			sim.close()
			return err
		}
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("s%d.%s", i, zoneOf(i))
		}
		if err := w.writeCerts(sim.base, names); err != nil {
			sim.close()
			return err
		}
		progress("scale N=%d, rate limit %t: apply", n, limited)
		s0 := sim.snap()
		ap := w.apply(true)
		s1 := sim.snap()
		progress("scale N=%d, rate limit %t: no-change plan", n, limited)
		pl := w.run(true, "plan", "-detailed-exitcode", "-no-color", "-parallelism="+strconv.Itoa(b.parallelism))
		s2 := sim.snap()
		da, dp := s0.to(s1), s1.to(s2)
		dups, _ := sim.duplicates()
		r := scaleRow{N: n, Limited: limited, Floor: floor.wall, Ours: ap.wall, ApplyOK: ap.ok(),
			AllIssued: sim.issued("s") == n, Requests: da.total(), PlanRequests: dp.total(), PlanEmpty: pl.exit == 0,
			Answers429: da.status[http.StatusTooManyRequests] + dp.status[http.StatusTooManyRequests],
			PeakRSS:    max(ap.peakRSS, pl.peakRSS), Duplicates: dups}
		if limited {
			r.Bound = limitBound(r.Requests, limit, window)
		} else if per := statePerInstance(w.dir, n); per > 0 {
			progress("scale N=%d: %d terraform_data of %d state bytes each (floor with our state size)", n, n, per)
			sf, err := b.applyConfig(fmt.Sprintf("scale-state-floor-%d", n), stateFloorConfig(n, per))
			if err != nil {
				sim.close()
				return err
			}
			if sf.ok() {
				r.StateFloor, r.StateBytes = sf.wall, per
			}
			progress("scale N=%d: %d terraform_data of %d state bytes each and one regfish data source (floor with our state size and the provider started)", n, n, per)
			pf, err := b.applyConfig(fmt.Sprintf("scale-plugin-floor-%d", n), pluginFloorConfig(sim.base, n, per))
			if err != nil {
				sim.close()
				return err
			}
			if pf.ok() {
				r.PluginFloor = pf.wall
			}
		}
		if !limited {
			for _, route := range sortedRoutes(da.requests) {
				b.add(fmt.Sprintf("scale N=%d", n), "  "+route+" per certificate", perCert(da.requests[route], n), "", info)
			}
			b.add(fmt.Sprintf("scale N=%d", n), "account listing bytes (plan + apply; no-change plan)", fmt.Sprintf("%s; %s", kib(da.listBytes), kib(dp.listBytes)), "", info)
		}
		b.scale = append(b.scale, r)
		sim.close()
	}
	return nil
}

func floorNote(r result) string {
	if r.ok() {
		return ""
	}
	return " (FAILED: " + r.status() + ")"
}

func rssNote(peak int64, procs int) string {
	if peak == 0 {
		return "n/a (no /proc sample)"
	}
	return fmt.Sprintf("%s (max of %d provider processes)", mib(peak), procs)
}

func (b *bench) accountSection() error {
	sec := fmt.Sprintf("account %d orders", b.seedOrders)
	sim, err := startSim(simulator.Options{RateLimit: b.rateLimit})
	if err != nil {
		return err
	}
	defer sim.close()
	progress("%s: seeding %d issued orders", sec, b.seedOrders)
	if err := sim.seed(b.seedOrders); err != nil {
		return err
	}
	w, err := b.workspace("account")
	if err != nil {
		return err
	}
	n := b.accountCerts
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("a%d.%s", i, zoneOf(i))
	}
	if err := w.writeCerts(sim.base, names); err != nil {
		return err
	}
	progress("%s: %d new DV certificates", sec, n)
	s0 := sim.snap()
	ap := w.apply(false)
	d := s0.to(sim.snap())
	res := func(ok bool) string {
		if !ap.ok() {
			return fail
		}
		return verdict(ok)
	}
	lists := d.requests[routeList]
	b.add(sec, "apply succeeded / certificates issued", fmt.Sprintf("%s / %d of %d", ap.status(), sim.issued("a"), n), "yes / all", verdict(ap.ok() && sim.issued("a") == n))
	b.add(sec, fmt.Sprintf("apply wall time (%d new certificates)", n), secs(ap.wall), "", info)
	b.add(sec, "account listings (GET /tls/certificate) plan+apply", strconv.Itoa(lists), "<= 3", res(lists <= 3))
	b.add(sec, "  listings per new certificate", perCert(lists, n), "", info)
	per := "n/a"
	if lists > 0 {
		per = mib(d.listBytes / int64(lists))
	}
	b.add(sec, "  bytes per listing", per, "", info)
	b.add(sec, "  listing bytes in all / per new certificate", mib(d.listBytes)+" / "+mib(d.listBytes/int64(n)), "", info)
	b.add(sec, "API requests per new certificate / bytes per new certificate", perCert(d.total(), n)+" / "+kib(d.allBytes/int64(n)), "", info)
	return nil
}

func (b *bench) workspacesSection() error {
	sec := fmt.Sprintf("2 workspaces x %d", b.wsCerts)
	// Explicit, so that REGFISH_SIM_VARIANTS does not change what is measured.
	sim, err := startSim(simulator.Options{RateLimit: b.wsRateLimit, RateWindow: b.wsWindow,
		Variants: simulator.Variants{RateLimitHeaders: b.wsHeaders}})
	if err != nil {
		return err
	}
	defer sim.close()
	var ws [2]*workspace
	for k := range ws {
		if ws[k], err = b.workspace(fmt.Sprintf("ws%d", k+1)); err != nil {
			return err
		}
		names := make([]string, b.wsCerts)
		for i := range names {
			names[i] = fmt.Sprintf("w%d-%d.%s", k+1, i, zoneOf(i))
		}
		if err := ws[k].writeCerts(sim.base, names); err != nil {
			return err
		}
	}
	progress("%s: two concurrent applies, one API key, %d requests / %g s", sec, b.wsRateLimit, b.wsWindow.Seconds())
	s0 := sim.snap()
	start := time.Now()
	var res [2]result
	var wg sync.WaitGroup
	for k := range ws {
		wg.Add(1)
		go func() { defer wg.Done(); res[k] = ws[k].apply(false) }()
	}
	wg.Wait()
	wall := time.Since(start)
	d := s0.to(sim.snap())
	dups, live := sim.duplicates()
	total := d.total()
	limited := d.status[http.StatusTooManyRequests]
	share := 0.0
	if total > 0 {
		share = float64(limited) / float64(total)
	}
	both := res[0].ok() && res[1].ok()
	b.add(sec, "rate limit (one API key)", fmt.Sprintf("%d / %g s (simulator ratelimit-headers=%s)", b.wsRateLimit, b.wsWindow.Seconds(), b.wsHeaders), "", info)
	b.add(sec, "rate-limit headers the simulator sent", sim.headersSent(), "", info)
	b.add(sec, "both succeeded", fmt.Sprintf("%v (ws1 %s in %s, ws2 %s in %s)", both, res[0].status(), secs(res[0].wall), res[1].status(), secs(res[1].wall)), "both", verdict(both))
	b.add(sec, "wall time (both)", secs(wall), "", info)
	// The requests answered without 429 need ceil(n/limit) windows: the
	// last of them starts (ceil-1) windows after the first.
	answered := total - limited
	if need := (answered + b.wsRateLimit - 1) / b.wsRateLimit; need > 1 {
		floor := time.Duration(need-1) * b.wsWindow
		ratio := wall.Seconds() / floor.Seconds()
		b.add(sec, "wall time / floor the limit sets", fmt.Sprintf("%.2fx (%d requests answered without 429 need %d windows: %s)", ratio, answered, need, secs(floor)), "<= 1.5x", verdict(ratio <= 1.5))
	}
	b.add(sec, "certificates issued", fmt.Sprintf("%d of %d", sim.issued("w1-")+sim.issued("w2-"), 2*b.wsCerts), "", info)
	b.add(sec, "duplicates (live orders per name set > 1)", fmt.Sprintf("%d (%d live orders)", dups, live), "0", verdict(dups == 0))
	b.add(sec, "requests answered 429", fmt.Sprintf("%.1f %% (%d of %d)", 100*share, limited, total), "< 5 %", verdict(total > 0 && share < 0.05))
	b.add(sec, "account listings (GET /tls/certificate)", fmt.Sprintf("%d (%.1f %% of requests)", d.requests[routeList], 100*float64(d.requests[routeList])/float64(max(total, 1))), "", info)
	return nil
}
