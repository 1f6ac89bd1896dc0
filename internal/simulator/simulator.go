package simulator

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // ETag, not security
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/dnsserve"
)

// ControlPrefix is where the control API lives.
const ControlPrefix = "/_sim/"

// Options configures a Simulator. Zero values take the defaults.
type Options struct {
	// APIKey is the one valid x-api-key (default "sim-key").
	APIKey string
	// Zones are the DNS zones of the account (default example.com, example.org).
	Zones []string
	// ApprovalDelay is how long OV/EV orders stay in PENDING_APPROVAL after
	// DCV (default 3s; negative means 0).
	ApprovalDelay time.Duration
	// IssueDelay is how long after DCV a DV order (or a reissue) issues
	// (default 0).
	IssueDelay time.Duration
	// ContractDays, when larger than a certificate's lifetime, makes the
	// order's contract outlive it (reissue cycle). 0: contract = certificate.
	ContractDays int
	// RateLimit is requests per RateWindow and key (default 500; negative
	// disables); RateWindow defaults to 60s.
	RateLimit  int
	RateWindow time.Duration
	// StatePath, when set, keeps orders, organizations, DNS, the CA and the
	// clock offset across restarts.
	StatePath string
	// Log receives one line per request (default: discarded).
	Log io.Writer
	// Seed makes probabilistic faults reproducible (0: 1).
	Seed uint64
	// OrgReadyDelay keeps a new, complete organization "pending" (not
	// usable for ordering) this long, like a vetting step (default 0:
	// ready at once).
	OrgReadyDelay time.Duration
	// LegacyZoneNotFound answers GET /dns/{unknown}/rr like the 2024 API
	// (the same as Variants.ZoneNotFound "200").
	LegacyZoneNotFound bool
	// Variants are the answers where regfish's behaviour is assumed (see
	// Variants). Zero: the environment variable VariantsEnv, else the
	// defaults.
	Variants Variants
	// Keys are further API keys and the parts of the API each may use:
	// "tls" (/tls/...) and "dns" (/dns/...). APIKey may use both.
	Keys map[string][]string
	// DCVScope decides which _dnsauth records new orders and reissues ask
	// for: DCVScopeRegistrableDomain or DCVScopePerName (UNKNOWN choice
	// 12). Empty: the value of the environment variable DCVScopeEnv, else
	// DCVScopeRegistrableDomain.
	DCVScope string
	// DCVReuse is how long a registrable domain validated by one order's
	// DCV record counts as validated for the account's later orders and
	// reissues under the registrable-domain scope, as DigiCert reuses a
	// domain validation (default 200 days, the Baseline Requirements'
	// limit since March 2026; negative: never).
	DCVReuse time.Duration
	// DNSSECDelay is how long a DNSSEC change (PUT /dns/{domain}/dnssec)
	// stays a pending job before it is live (default 0: at once; negative
	// means 0).
	DNSSECDelay time.Duration
	// DNSSECCapabilities are the DNSSEC capabilities of zones (by domain);
	// a zone without an entry has DefaultDNSSECCapabilities.
	DNSSECCapabilities map[string]DNSSECCapabilities
	// DNSListen, when set, serves the account's zones as an authoritative
	// DNS server on this address, UDP and TCP ("127.0.0.1:0": a free
	// port; DNSAddr tells which). Close stops it. UNKNOWN choice 28.
	DNSListen string
	// DNSUpstream is the DNS server (host:port) the CA asks for DCV
	// records outside the account's zones, as Pebble's -dnsserver: a
	// user's own test DNS server that other DNS resources publish into.
	// Empty: such records are never found (only regfish DNS counts).
	DNSUpstream string
}

// Simulator is an in-memory regfish API. It implements http.Handler.
type Simulator struct {
	opts   Options
	clock  *Clock
	ca     *CA
	logger *log.Logger
	faults *faultSet

	mu          sync.Mutex
	orders      []*order
	byID        map[string]*order
	orgs        []*organization
	zones       []string
	records     []*record
	nextRR      int64
	nextReissue int64
	validated   map[string]time.Time // registrable domain -> validated at (DCV reuse)
	dnssec      map[string]*zoneDNSSEC
	dnssecCaps  map[string]DNSSECCapabilities
	rate        map[string]*rateWindow
	stats       Stats
	dirty       bool
	onRequest   func(http.Header)
	dnsServer   *dnsserve.Server
}

// OnRequest registers fn to see the headers of every API request (tests
// use it to check the User-Agent; the key header is removed first).
func (s *Simulator) OnRequest(fn func(map[string][]string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = func(h http.Header) { fn(h) }
}

// Stats are the simulator's counters.
type Stats struct {
	Requests       map[string]int `json:"requests"`
	Status         map[int]int    `json:"status"`
	FaultsInjected map[string]int `json:"faults_injected"`
	OrdersCreated  int            `json:"orders_created"`
	RateLimited    int            `json:"rate_limited"`
	DNSSECJobs     int            `json:"dnssec_jobs"`
}

// New returns a simulator; it loads Options.StatePath when that file exists.
func New(opts Options) (*Simulator, error) {
	if opts.APIKey == "" {
		opts.APIKey = "sim-key"
	}
	if len(opts.Zones) == 0 {
		opts.Zones = []string{"example.com", "example.org"}
	}
	if opts.ApprovalDelay == 0 {
		opts.ApprovalDelay = 3 * time.Second
	}
	if opts.ApprovalDelay < 0 {
		opts.ApprovalDelay = 0
	}
	if opts.IssueDelay < 0 {
		opts.IssueDelay = 0
	}
	if opts.DNSSECDelay < 0 {
		opts.DNSSECDelay = 0
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 500
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = 60 * time.Second
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.DCVReuse == 0 {
		opts.DCVReuse = 200 * 24 * time.Hour
	}
	if opts.DCVScope == "" {
		opts.DCVScope = os.Getenv(DCVScopeEnv)
	}
	if opts.DCVScope == "" {
		opts.DCVScope = DCVScopeRegistrableDomain
	}
	if err := checkDCVScope(opts.DCVScope); err != nil {
		return nil, err
	}
	if opts.Variants == (Variants{}) {
		v, err := variantsFromEnv()
		if err != nil {
			return nil, err
		}
		opts.Variants = v
	}
	if opts.LegacyZoneNotFound {
		opts.Variants.ZoneNotFound = "200"
	}
	opts.Variants.normalise()
	lw := opts.Log
	if lw == nil {
		lw = io.Discard
	}
	s := &Simulator{
		opts:        opts,
		clock:       &Clock{},
		logger:      log.New(lw, "regfish-sim: ", log.LstdFlags|log.LUTC),
		faults:      newFaultSet(opts.Seed),
		byID:        map[string]*order{},
		nextRR:      3236253,
		nextReissue: 332211,
		validated:   map[string]time.Time{},
		dnssec:      map[string]*zoneDNSSEC{},
		dnssecCaps:  map[string]DNSSECCapabilities{},
		rate:        map[string]*rateWindow{},
		stats:       newStats(),
	}
	if opts.StatePath != "" {
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	s.clock.changed = func() {
		s.mu.Lock()
		s.dirty = true
		s.saveLocked()
		s.mu.Unlock()
	}
	if s.ca == nil {
		ca, err := NewCA(s.clock.Now())
		if err != nil {
			return nil, err
		}
		s.ca = ca
		s.dirty = true
	}
	for _, z := range opts.Zones {
		s.addZone(z)
	}
	for z, c := range opts.DNSSECCapabilities {
		s.dnssecCaps[normHost(z)] = c
	}
	s.mu.Lock()
	s.saveLocked()
	s.mu.Unlock()
	if opts.DNSListen != "" {
		if err := s.listenDNS(opts.DNSListen); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func newStats() Stats {
	return Stats{Requests: map[string]int{}, Status: map[int]int{}, FaultsInjected: map[string]int{}}
}

// Clock returns the simulator clock.
func (s *Simulator) Clock() *Clock { return s.clock }

// CA returns the test CA.
func (s *Simulator) CA() *CA { return s.ca }

// APIKey returns the valid key.
func (s *Simulator) APIKey() string { return s.opts.APIKey }

// ----- HTTP plumbing -----------------------------------------------------

type recorder struct {
	http.ResponseWriter
	status int
	certID string
	// envelope is Variants.ErrorEnvelope for API answers ("": all keys).
	envelope string
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// setCertID records the certificate id for the request log line.
func setCertID(w http.ResponseWriter, id string) {
	if r, ok := w.(*recorder); ok {
		r.certID = id
	}
}

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	route := routeName(r)
	s.mu.Lock()
	s.stats.Requests[route]++
	s.mu.Unlock()
	defer func() {
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		line := fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, rec.status)
		if rec.certID != "" {
			line += " certificate_id=" + rec.certID
		}
		s.logger.Printf("%s %s", line, time.Since(start).Round(time.Microsecond))
		s.mu.Lock()
		s.stats.Status[rec.status]++
		s.mu.Unlock()
	}()
	if strings.HasPrefix(r.URL.Path, ControlPrefix) {
		s.serveControl(rec, r)
		return
	}
	w.Header().Set("Server", "regfish")
	fault := s.faults.match(r, s.recordFault)
	if fault.latency > 0 {
		select {
		case <-time.After(fault.latency):
		case <-r.Context().Done():
			return
		}
	}
	if fault.rule != nil && !fault.rule.After {
		s.inject(rec, fault.rule, nil)
		return
	}
	if fault.rule != nil && fault.rule.After {
		// Carry the request out, then lose or replace the answer: the
		// ambiguous failure a client must not blindly repeat.
		buf := newBufferedWriter()
		inner := &recorder{ResponseWriter: buf, envelope: rec.envelope}
		s.serveAPI(inner, r)
		rec.certID = inner.certID
		s.inject(rec, fault.rule, buf.body.Bytes())
		return
	}
	s.serveAPI(rec, r)
}

func (s *Simulator) recordFault(kind string) {
	s.mu.Lock()
	s.stats.FaultsInjected[kind]++
	s.mu.Unlock()
}

// serveAPI authenticates, rate-limits and routes one API request.
func (s *Simulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer func() {
		s.saveLocked()
		s.mu.Unlock()
	}()
	if rec, ok := w.(*recorder); ok {
		rec.envelope = s.opts.Variants.ErrorEnvelope
	}
	key := r.Header.Get("x-api-key")
	roles, known := s.opts.Keys[key]
	if key == s.opts.APIKey {
		roles, known = []string{"tls", "dns"}, true
	}
	if !known || key == "" {
		// every answer carries the policy, errors included (observed)
		w.Header().Set("RateLimit-Policy", fmt.Sprintf("%d; w=%d", max(s.opts.RateLimit, 0), int(s.opts.RateWindow.Seconds())))
		writeError(w, http.StatusUnauthorized, 401, "Unauthorized")
		return
	}
	if s.onRequest != nil {
		h := r.Header.Clone()
		h.Del("x-api-key")
		s.onRequest(h)
	}
	if !s.rateLimitLocked(w, key) {
		return
	}
	if part, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); (part == "tls" || part == "dns") && !slices.Contains(roles, part) {
		// Variants.RoleDenied
		if s.opts.Variants.RoleDenied == "401" {
			writeError(w, http.StatusUnauthorized, 401, "Unauthorized")
			return
		}
		writeError(w, http.StatusForbidden, 403, "Forbidden: the API key has no access to the "+strings.ToUpper(part)+" endpoints")
		return
	}
	s.route(w, r)
}

type rateWindow struct {
	start time.Time
	count int
}

// rateLimitLocked applies UNKNOWN choice 7 with the headers of
// Variants.RateLimitHeaders.
func (s *Simulator) rateLimitLocked(w http.ResponseWriter, key string) bool {
	limit, win := s.opts.RateLimit, s.opts.RateWindow
	w.Header().Set("RateLimit-Policy", fmt.Sprintf("%d; w=%d", max(limit, 0), int(win.Seconds())))
	if limit < 0 {
		return true
	}
	now := s.clock.Now()
	rw := s.rate[key]
	if rw == nil || !now.Before(rw.start.Add(win)) {
		rw = &rateWindow{start: now}
		s.rate[key] = rw
	}
	rw.count++
	reset := int(math.Ceil(rw.start.Add(win).Sub(now).Seconds()))
	if reset < 1 {
		reset = 1
	}
	headers := s.opts.Variants.RateLimitHeaders
	if headers == "draft" {
		w.Header().Set("RateLimit", fmt.Sprintf("limit=%d, remaining=%d, reset=%d", limit, max(limit-rw.count, 0), reset))
	}
	if rw.count > limit {
		s.stats.RateLimited++
		if headers != "policy" {
			w.Header().Set("Retry-After", fmt.Sprint(reset))
		}
		writeError(w, http.StatusTooManyRequests, 429, "Too many requests, please try again later.")
		return false
	}
	return true
}

// route dispatches an authenticated API request (s.mu held).
func (s *Simulator) route(w http.ResponseWriter, r *http.Request) {
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	m := r.Method
	notAllowed := func() { writeError(w, http.StatusMethodNotAllowed, 0, "Method not allowed") }
	switch {
	case len(seg) == 2 && seg[0] == "tls" && seg[1] == "products":
		if m != http.MethodGet {
			notAllowed()
			return
		}
		writeOK(w, s.productsView())
	case len(seg) == 2 && seg[0] == "tls" && seg[1] == "organization":
		switch m {
		case http.MethodGet:
			s.handleListOrgs(w)
		case http.MethodPost:
			s.handleCreateOrg(w, r)
		default:
			notAllowed()
		}
	case len(seg) == 3 && seg[0] == "tls" && seg[1] == "organization":
		if m != http.MethodPatch {
			notAllowed()
			return
		}
		s.handlePatchOrg(w, r, seg[2])
	case len(seg) == 2 && seg[0] == "tls" && seg[1] == "certificate":
		switch m {
		case http.MethodGet:
			s.handleListCerts(w)
		case http.MethodPost:
			s.handleCreateCert(w, r)
		default:
			notAllowed()
		}
	case len(seg) == 3 && seg[0] == "tls" && seg[1] == "certificate":
		setCertID(w, seg[2])
		if m != http.MethodGet {
			notAllowed()
			return
		}
		s.handleGetCert(w, seg[2])
	case len(seg) == 4 && seg[0] == "tls" && seg[1] == "certificate":
		setCertID(w, seg[2])
		if m != http.MethodPost {
			notAllowed()
			return
		}
		switch seg[3] {
		case "complete":
			s.handleComplete(w, r, seg[2])
		case "reissue":
			s.handleReissue(w, r, seg[2])
		case "revoke":
			if s.unservedAction(w, s.opts.Variants.Revoke, "Revoking") {
				return
			}
			s.handleRevoke(w, r, seg[2])
		case "cancel":
			if s.unservedAction(w, s.opts.Variants.Cancel, "Cancelling") {
				return
			}
			s.handleCancel(w, seg[2])
		default:
			writeError(w, http.StatusNotFound, 0, "Not found")
		}
	case len(seg) == 5 && seg[0] == "tls" && seg[1] == "certificate" && seg[3] == "download":
		setCertID(w, seg[2])
		if m != http.MethodGet {
			notAllowed()
			return
		}
		s.handleDownload(w, seg[2], seg[4])
	case len(seg) == 2 && seg[0] == "dns" && seg[1] == "zones":
		if m != http.MethodGet {
			notAllowed()
			return
		}
		s.handleListZones(w)
	case len(seg) == 3 && seg[0] == "dns" && seg[1] == "zones":
		if m != http.MethodGet {
			notAllowed()
			return
		}
		s.handleGetZone(w, seg[2])
	case len(seg) == 2 && seg[0] == "dns" && seg[1] == "rr":
		switch m {
		case http.MethodPost:
			s.handleCreateRecord(w, r)
		case http.MethodPatch:
			s.handlePatchByNameType(w, r)
		default:
			notAllowed()
		}
	case len(seg) == 3 && seg[0] == "dns" && seg[1] == "rr":
		switch m {
		case http.MethodGet:
			s.handleGetRecord(w, seg[2])
		case http.MethodPatch:
			s.handlePatchRecord(w, r, seg[2])
		case http.MethodDelete:
			s.handleDeleteRecord(w, seg[2])
		default:
			notAllowed()
		}
	case len(seg) == 3 && seg[0] == "dns" && seg[2] == "dnssec":
		if m != http.MethodPut {
			notAllowed()
			return
		}
		s.handleSetDNSSEC(w, r, seg[1])
	case len(seg) == 3 && seg[0] == "dns" && seg[2] == "rr":
		if m != http.MethodGet {
			notAllowed()
			return
		}
		s.handleListRecords(w, seg[1])
	default:
		writeError(w, http.StatusNotFound, 0, "Not found")
	}
}

// unservedAction answers a cancel or revoke the way Variants.Cancel or
// Variants.Revoke says regfish might when it does not serve it; it reports
// whether it answered.
func (s *Simulator) unservedAction(w http.ResponseWriter, variant, what string) bool {
	switch variant {
	case "missing":
		writeError(w, http.StatusNotFound, 0, "Not found")
	case "refused":
		writeError(w, http.StatusForbidden, 0, what+" TLS certificate orders is not available through the API; use the regfish Console")
	default:
		return false
	}
	return true
}

// routeName names the route of a request for the counters (ids replaced).
func routeName(r *http.Request) string {
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(seg) >= 3 && seg[0] == "tls" && seg[1] == "certificate" {
		seg[2] = "{id}"
	}
	if len(seg) >= 3 && seg[0] == "dns" && seg[1] == "rr" {
		seg[2] = "{rrid}"
	}
	if len(seg) == 3 && seg[0] == "dns" && (seg[2] == "rr" || seg[2] == "dnssec") {
		seg[1] = "{domain}"
	}
	if len(seg) == 3 && seg[0] == "dns" && seg[1] == "zones" {
		seg[2] = "{domain}"
	}
	if len(seg) == 3 && seg[0] == "tls" && seg[1] == "organization" {
		seg[2] = "{id}"
	}
	if len(seg) >= 3 && seg[0] == "_sim" && (seg[1] == "certificates" || seg[1] == "organizations") {
		seg[2] = "{id}"
	}
	return r.Method + " /" + strings.Join(seg, "/")
}

// ----- JSON answers ------------------------------------------------------

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"success":false,"code":500,"message":"encoding failed","error":"encoding failed"}`)
	}
	sum := sha1.Sum(b) //nolint:gosec // ETag
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("ETag", fmt.Sprintf(`W/"%x-%s"`, len(b), base64.RawStdEncoding.EncodeToString(sum[:])[:27]))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeOK(w http.ResponseWriter, v any) {
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "code": 0, "response": v})
}

// writeError answers an error in the envelope of Variants.ErrorEnvelope.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	body := map[string]any{"success": false, "code": code, "message": msg, "error": msg}
	if rec, ok := w.(*recorder); ok {
		switch rec.envelope {
		case "documented":
			delete(body, "code")
		case "legacy":
			delete(body, "message")
		}
	}
	writeJSON(w, status, body)
}

// decodeBody reads a JSON body into v (400 on failure).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		writeError(w, http.StatusBadRequest, 0, "Invalid request: a JSON body is required")
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, 0, "Invalid request: "+err.Error())
		return false
	}
	return true
}

// bufferedWriter swallows an answer (for faults after the handler ran).
type bufferedWriter struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func newBufferedWriter() *bufferedWriter              { return &bufferedWriter{h: http.Header{}} }
func (b *bufferedWriter) Header() http.Header         { return b.h }
func (b *bufferedWriter) WriteHeader(code int)        { b.code = code }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }

// ----- ids ---------------------------------------------------------------

const idAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// ----- persistence -------------------------------------------------------

type persisted struct {
	CA          caState         `json:"ca"`
	ClockOffset time.Duration   `json:"clock_offset_ns"`
	Orders      []*order        `json:"orders"`
	Orgs        []*organization `json:"organizations"`
	Zones       []string        `json:"zones"`
	Records     []*record       `json:"records"`
	NextRR      int64           `json:"next_rrid"`
	NextReissue int64           `json:"next_reissue_id"`
	// Validated domains (DCV reuse), registrable domain -> time.
	Validated map[string]time.Time `json:"validated_domains,omitempty"`
	// DNSSEC of the zones that have been given one, by domain.
	DNSSEC map[string]*zoneDNSSEC `json:"dnssec,omitempty"`
}

func (s *Simulator) load() error {
	b, err := os.ReadFile(s.opts.StatePath)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading state: %w", err)
	}
	var p persisted
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("state file %s: %w", s.opts.StatePath, err)
	}
	ca, err := loadCA(p.CA)
	if err != nil {
		return fmt.Errorf("state file %s: %w", s.opts.StatePath, err)
	}
	s.ca = ca
	s.clock.Advance(p.ClockOffset)
	s.orders, s.orgs, s.zones, s.records = p.Orders, p.Orgs, p.Zones, p.Records
	for _, o := range s.orders {
		s.byID[o.ID] = o
	}
	if p.NextRR > 0 {
		s.nextRR = p.NextRR
	}
	for d, at := range p.Validated {
		s.validated[d] = at
	}
	for z, d := range p.DNSSEC {
		s.dnssec[z] = d
	}
	if p.NextReissue > 0 {
		s.nextReissue = p.NextReissue
	}
	return nil
}

// saveLocked writes the state file when something changed (s.mu held).
func (s *Simulator) saveLocked() {
	if s.opts.StatePath == "" || !s.dirty {
		return
	}
	cs, err := s.ca.state()
	if err != nil {
		s.logger.Printf("saving state: %v", err)
		return
	}
	sort.Slice(s.records, func(i, j int) bool { return s.records[i].ID < s.records[j].ID })
	b, err := json.MarshalIndent(persisted{
		CA: cs, ClockOffset: s.clock.Offset(), Orders: s.orders, Orgs: s.orgs, Zones: s.zones,
		Records: s.records, NextRR: s.nextRR, NextReissue: s.nextReissue, Validated: s.validated, DNSSEC: s.dnssec,
	}, "", " ")
	if err != nil {
		s.logger.Printf("saving state: %v", err)
		return
	}
	tmp := s.opts.StatePath + ".tmp"
	if err := os.MkdirAll(filepath.Dir(s.opts.StatePath), 0o755); err == nil {
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, s.opts.StatePath)
		}
		if err != nil {
			s.logger.Printf("saving state: %v", err)
			return
		}
	}
	s.dirty = false
}
