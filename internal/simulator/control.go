package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// ----- Go control API ----------------------------------------------------

// ErrNoSuchOrder is returned by controls for an unknown certificate id.
var ErrNoSuchOrder = errors.New("no such certificate order")

// Settings are the run-time tunables of the simulator.
type Settings struct {
	ApprovalDelay *time.Duration `json:"-"`
	IssueDelay    *time.Duration `json:"-"`
	DNSSECDelay   *time.Duration `json:"-"`
	ContractDays  *int           `json:"contract_days,omitempty"`
	RateLimit     *int           `json:"rate_limit,omitempty"`
	// DCVScope applies to orders and reissues requested afterwards; an
	// existing order keeps the records it lists.
	DCVScope *string `json:"dcv_scope,omitempty"`
	// Variants is a spec "key=value,..." applied on top of the current
	// variants (see Variants); "default" first resets all of them.
	Variants *string `json:"variants,omitempty"`
}

// Apply changes the simulator's tunables; it changes nothing when one of
// them is invalid.
func (s *Simulator) Apply(st Settings) error {
	if st.DCVScope != nil {
		if err := checkDCVScope(*st.DCVScope); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Variants != nil {
		v := s.opts.Variants
		spec := *st.Variants
		if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "default"); ok {
			v, spec = Variants{}, strings.TrimPrefix(strings.TrimSpace(rest), ",")
		}
		if err := v.Set(spec); err != nil {
			return err
		}
		v.normalise()
		s.opts.Variants = v
	}
	if st.DCVScope != nil {
		s.opts.DCVScope = *st.DCVScope
	}
	if st.ApprovalDelay != nil {
		s.opts.ApprovalDelay = max(*st.ApprovalDelay, 0)
	}
	if st.IssueDelay != nil {
		s.opts.IssueDelay = max(*st.IssueDelay, 0)
	}
	if st.DNSSECDelay != nil {
		s.opts.DNSSECDelay = max(*st.DNSSECDelay, 0)
	}
	if st.ContractDays != nil {
		s.opts.ContractDays = *st.ContractDays
	}
	if st.RateLimit != nil {
		s.opts.RateLimit = *st.RateLimit
		s.rate = map[string]*rateWindow{}
	}
	return nil
}

// SetApprovalDelay sets the OV/EV approval delay.
func (s *Simulator) SetApprovalDelay(d time.Duration) { _ = s.Apply(Settings{ApprovalDelay: &d}) }

// SetIssueDelay sets the delay between DCV and issuance.
func (s *Simulator) SetIssueDelay(d time.Duration) { _ = s.Apply(Settings{IssueDelay: &d}) }

// SetContractDays sets the contract length of new issuances.
func (s *Simulator) SetContractDays(n int) { _ = s.Apply(Settings{ContractDays: &n}) }

// SetRateLimit sets the requests per window (negative disables).
func (s *Simulator) SetRateLimit(n int) { _ = s.Apply(Settings{RateLimit: &n}) }

// SetDCVScope sets the DCV record scope of orders and reissues requested
// from now on: DCVScopeRegistrableDomain or DCVScopePerName.
func (s *Simulator) SetDCVScope(scope string) error { return s.Apply(Settings{DCVScope: &scope}) }

// AddSystemRecord adds a record regfish manages itself (auto:true) at the
// apex of zone, listed like any other record. regfish's listings were never
// seen with such records and the simulator adds none by itself; tests of
// clients that must leave them alone add one. It returns the record id (0
// when zone is not a zone of the account).
func (s *Simulator) AddSystemRecord(zone, typ, data string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := normHost(zone)
	if !s.isZone(z) {
		return 0
	}
	now := s.clock.Now().Unix()
	r := &record{ID: s.nextRR, Zone: z, Name: z + ".", Type: strings.ToUpper(typ), Data: fqdn(data), TTL: 86400, Auto: true, Created: now, Updated: now}
	s.nextRR++
	s.records = append(s.records, r)
	s.dirty = true
	return r.ID
}

// SetVariants applies a variant spec "key=value,..." (see Variants) on top
// of the current variants.
func (s *Simulator) SetVariants(spec string) error { return s.Apply(Settings{Variants: &spec}) }

// Variants returns the variants in force, defaults filled in.
func (s *Simulator) Variants() Variants {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Variants
}

// DCVScope is the scope new orders and reissues get.
func (s *Simulator) DCVScope() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.DCVScope
}

func (s *Simulator) withOrder(id string, fn func(o *order) error) error {
	s.mu.Lock()
	defer func() {
		s.saveLocked()
		s.mu.Unlock()
	}()
	o := s.byID[id]
	if o == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchOrder, id)
	}
	s.advance(o, s.clock.Now())
	if err := fn(o); err != nil {
		return err
	}
	s.dirty = true
	return nil
}

// ConsoleComplete finishes a staged order the way the regfish Console does.
// With orgID "" the first usable organization is used.
func (s *Simulator) ConsoleComplete(id, orgID string) error {
	return s.withOrder(id, func(o *order) error {
		if !o.staged() {
			return fmt.Errorf("order %s is not waiting for completion (order_state %s)", id, o.OrderState)
		}
		var org *organization
		if orgID != "" {
			org = s.findOrg(orgID)
		} else {
			for _, c := range s.orgs {
				if c.Usable {
					org = c
					break
				}
			}
		}
		if org == nil || !org.Usable {
			return fmt.Errorf("no usable organization %q to complete order %s", orgID, id)
		}
		s.bind(o, org)
		return nil
	})
}

// ApproveEmail approves the e-mail DCV of an order or its active reissue.
func (s *Simulator) ApproveEmail(id string) error {
	return s.withOrder(id, func(o *order) error {
		switch {
		case o.Reissue.active() && o.Reissue.DCVMethod == "email":
			o.Reissue.EmailApproved = true
		case o.Status == "pending" && o.DCVMethod == "email":
			o.EmailApproved = true
		default:
			return fmt.Errorf("order %s has no pending e-mail validation", id)
		}
		s.advance(o, s.clock.Now())
		return nil
	})
}

// ForceValidate marks DCV done without DNS records (for names outside the
// simulated zones).
func (s *Simulator) ForceValidate(id string) error {
	return s.withOrder(id, func(o *order) error {
		if o.Reissue.active() {
			o.Reissue.DCVForced = true
		} else {
			o.DCVForced = true
		}
		s.advance(o, s.clock.Now())
		return nil
	})
}

// ForceStatus puts an order in a status the real CA could produce:
// "rejected", "cancelled", "unknown" or "revoked".
func (s *Simulator) ForceStatus(id, status, message string) error {
	return s.withOrder(id, func(o *order) error {
		switch status {
		case "rejected":
			o.Status, o.OrderState = "rejected", "REJECTED"
		case "cancelled":
			o.Status, o.OrderState = "cancelled", "CANCELED"
		case "unknown":
			o.Status, o.OrderState = "unknown", "UNKNOWN"
		case "revoked":
			if !o.hasCert() {
				return fmt.Errorf("order %s has no certificate to revoke", id)
			}
			o.Status, o.OrderState, o.Revocation = "revoked", "REVOKED", "certificate"
		default:
			return fmt.Errorf("cannot force status %q", status)
		}
		o.PendingReason, o.PendingMessage = "", message
		return nil
	})
}

// Hold stops (or resumes) an order's progress.
func (s *Simulator) Hold(id string, hold bool) error {
	return s.withOrder(id, func(o *order) error { o.Hold = hold; return nil })
}

// DeleteOrder makes an order vanish (the API answers 404 afterwards).
func (s *Simulator) DeleteOrder(id string) error {
	s.mu.Lock()
	defer func() {
		s.saveLocked()
		s.mu.Unlock()
	}()
	if s.byID[id] == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchOrder, id)
	}
	delete(s.byID, id)
	for i, o := range s.orders {
		if o.ID == id {
			s.orders = append(s.orders[:i], s.orders[i+1:]...)
			break
		}
	}
	s.dirty = true
	return nil
}

// SetOrganization changes an organization's status and usability.
func (s *Simulator) SetOrganization(id, status string, usable bool) error {
	s.mu.Lock()
	defer func() {
		s.saveLocked()
		s.mu.Unlock()
	}()
	org := s.findOrg(id)
	if org == nil {
		return fmt.Errorf("no such organization %s", id)
	}
	org.Status, org.Usable = status, usable
	s.dirty = true
	return nil
}

// DeleteOrganization removes an organization, as the Console can.
func (s *Simulator) DeleteOrganization(id string) error {
	s.mu.Lock()
	defer func() {
		s.saveLocked()
		s.mu.Unlock()
	}()
	for i, o := range s.orgs {
		if o.ID == id {
			s.orgs = append(s.orgs[:i], s.orgs[i+1:]...)
			s.dirty = true
			return nil
		}
	}
	return fmt.Errorf("no such organization %s", id)
}

// OrderInfo is a snapshot of one order for tests and the control API.
type OrderInfo struct {
	ID                     string    `json:"id"`
	Product                string    `json:"product"`
	CommonName             string    `json:"common_name"`
	DNSNames               []string  `json:"dns_names"`
	Status                 string    `json:"status"`
	OrderState             string    `json:"order_state"`
	OrgID                  string    `json:"organization_id,omitempty"`
	RenewalOfCertificateID string    `json:"renewal_of_certificate_id,omitempty"`
	DCVMethod              string    `json:"dcv_method"`
	DCVScope               string    `json:"dcv_scope"`
	CreatedAt              time.Time `json:"created_at"`
	Serial                 string    `json:"serial_number,omitempty"`
	ValidUntil             time.Time `json:"valid_until"`
	ReissueStatus          string    `json:"reissue_status,omitempty"`
	ReissueCount           int64     `json:"-"`
	Hold                   bool      `json:"hold,omitempty"`
}

// Live reports an order that is pending or holds a usable certificate.
func (i OrderInfo) Live() bool { return i.Status == "pending" || i.Status == "issued" }

// Orders returns a snapshot of every order, oldest first (without advancing
// their state).
func (s *Simulator) Orders() []OrderInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OrderInfo, 0, len(s.orders))
	for _, o := range s.orders {
		i := OrderInfo{ID: o.ID, Product: o.SKU, CommonName: o.CommonName, DNSNames: o.DNSNames, Status: o.Status,
			OrderState: o.OrderState, OrgID: o.OrgID, RenewalOfCertificateID: o.RenewalOf, DCVMethod: o.DCVMethod,
			DCVScope: orderScope(o.DCVScope), CreatedAt: o.CreatedAt, Serial: o.Serial, ValidUntil: o.ValidUntil, Hold: o.Hold}
		if o.Reissue != nil {
			i.ReissueStatus = o.Reissue.Status
		}
		out = append(out, i)
	}
	return out
}

// Order returns one order's snapshot.
func (s *Simulator) Order(id string) (OrderInfo, bool) {
	for _, o := range s.Orders() {
		if o.ID == id {
			return o, true
		}
	}
	return OrderInfo{}, false
}

// RecordInfo is a DNS record snapshot.
type RecordInfo struct {
	ID         int64
	Name       string
	Type       string
	Data       string
	TTL        int
	Annotation string
}

// Records returns every DNS record (system records included).
func (s *Simulator) Records() []RecordInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordInfo, 0, len(s.records))
	for _, r := range s.records {
		out = append(out, RecordInfo{ID: r.ID, Name: r.Name, Type: r.Type, Data: r.Data, TTL: r.TTL, Annotation: r.Annotation})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DeleteRecordByID removes a DNS record out of band (drift tests).
func (s *Simulator) DeleteRecordByID(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.records {
		if r.ID == id {
			s.records = append(s.records[:i], s.records[i+1:]...)
			s.dirty = true
			s.saveLocked()
			return true
		}
	}
	return false
}

// Stats returns a copy of the counters.
func (s *Simulator) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := newStats()
	for k, v := range s.stats.Requests {
		c.Requests[k] = v
	}
	for k, v := range s.stats.Status {
		c.Status[k] = v
	}
	for k, v := range s.stats.FaultsInjected {
		c.FaultsInjected[k] = v
	}
	c.OrdersCreated, c.RateLimited, c.DNSSECJobs = s.stats.OrdersCreated, s.stats.RateLimited, s.stats.DNSSECJobs
	return c
}

// currentSettings is the answer of GET and POST /_sim/settings.
func (s *Simulator) currentSettings() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{"approval_delay": s.opts.ApprovalDelay.String(), "issue_delay": s.opts.IssueDelay.String(),
		"dnssec_delay":  s.opts.DNSSECDelay.String(),
		"contract_days": s.opts.ContractDays, "rate_limit": s.opts.RateLimit, "dcv_scope": s.opts.DCVScope,
		"variants": s.opts.Variants.Map()}
}

// ----- HTTP control API --------------------------------------------------

func (s *Simulator) serveControl(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, ControlPrefix)
	seg := strings.Split(strings.Trim(p, "/"), "/")
	ok := func(v any) { writeJSON(w, http.StatusOK, v) }
	fail := func(status int, err error) {
		writeJSON(w, status, map[string]any{"success": false, "message": err.Error(), "error": err.Error()})
	}
	switch {
	case p == "ca.pem" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.ca.RootPEM)
	case p == "ca/intermediate.pem" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.ca.InterPEM)
	case p == "state" && r.Method == http.MethodGet:
		ok(map[string]any{"now": s.clock.Now(), "orders": s.Orders(), "records": s.Records(), "stats": s.Stats()})
	case p == "stats" && r.Method == http.MethodGet:
		ok(s.Stats())
	case p == "clock":
		if r.Method == http.MethodPost {
			var in struct {
				Advance string `json:"advance"`
				Set     string `json:"set"`
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				fail(http.StatusBadRequest, err)
				return
			}
			if in.Advance != "" {
				d, err := time.ParseDuration(in.Advance)
				if err != nil {
					fail(http.StatusBadRequest, err)
					return
				}
				s.clock.Advance(d)
			}
			if in.Set != "" {
				t, err := time.Parse(time.RFC3339, in.Set)
				if err != nil {
					fail(http.StatusBadRequest, err)
					return
				}
				s.clock.Set(t)
			}
		}
		ok(map[string]any{"now": s.clock.Now().Format(time.RFC3339), "offset_seconds": int64(s.clock.Offset().Seconds())})
	case p == "faults":
		switch r.Method {
		case http.MethodGet:
		case http.MethodDelete:
			s.ClearFaults()
		case http.MethodPut, http.MethodPost:
			var rules []Fault
			if err := json.NewDecoder(r.Body).Decode(&rules); err != nil {
				fail(http.StatusBadRequest, fmt.Errorf("body must be a JSON array of fault rules: %w", err))
				return
			}
			if err := s.faults.set(rules, r.Method == http.MethodPost); err != nil {
				fail(http.StatusBadRequest, err)
				return
			}
		default:
			fail(http.StatusMethodNotAllowed, errors.New("method not allowed"))
			return
		}
		ok(map[string]any{"faults": s.Faults(), "injected": s.Stats().FaultsInjected})
	case p == "settings" && r.Method == http.MethodGet:
		ok(s.currentSettings())
	case p == "settings" && r.Method == http.MethodPost:
		var in struct {
			ApprovalDelay string  `json:"approval_delay"`
			IssueDelay    string  `json:"issue_delay"`
			DNSSECDelay   string  `json:"dnssec_delay"`
			ContractDays  *int    `json:"contract_days"`
			RateLimit     *int    `json:"rate_limit"`
			DCVScope      *string `json:"dcv_scope"`
			Variants      *string `json:"variants"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		st := Settings{ContractDays: in.ContractDays, RateLimit: in.RateLimit, DCVScope: in.DCVScope, Variants: in.Variants}
		for _, x := range []struct {
			s   string
			dst **time.Duration
		}{{in.ApprovalDelay, &st.ApprovalDelay}, {in.IssueDelay, &st.IssueDelay}, {in.DNSSECDelay, &st.DNSSECDelay}} {
			if x.s == "" {
				continue
			}
			d, err := time.ParseDuration(x.s)
			if err != nil {
				fail(http.StatusBadRequest, err)
				return
			}
			*x.dst = &d
		}
		if err := s.Apply(st); err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		ok(s.currentSettings())
	case len(seg) == 3 && seg[0] == "certificates" && r.Method == http.MethodPost:
		setCertID(w, seg[1])
		var err error
		switch seg[2] {
		case "console-complete":
			var in struct {
				OrgID string `json:"org_id"`
			}
			_ = json.NewDecoder(r.Body).Decode(&in)
			err = s.ConsoleComplete(seg[1], in.OrgID)
		case "approve-email":
			err = s.ApproveEmail(seg[1])
		case "validate":
			err = s.ForceValidate(seg[1])
		case "force":
			var in struct {
				Status  string `json:"status"`
				Message string `json:"message"`
				Hold    *bool  `json:"hold"`
			}
			if err = json.NewDecoder(r.Body).Decode(&in); err == nil {
				if in.Hold != nil {
					err = s.Hold(seg[1], *in.Hold)
				}
				if err == nil && in.Status != "" {
					err = s.ForceStatus(seg[1], in.Status, in.Message)
				}
			}
		default:
			fail(http.StatusNotFound, errors.New("unknown control"))
			return
		}
		if err != nil {
			status := http.StatusConflict
			if errors.Is(err, ErrNoSuchOrder) {
				status = http.StatusNotFound
			}
			fail(status, err)
			return
		}
		info, _ := s.Order(seg[1])
		ok(info)
	case len(seg) == 2 && seg[0] == "certificates" && r.Method == http.MethodDelete:
		if err := s.DeleteOrder(seg[1]); err != nil {
			fail(http.StatusNotFound, err)
			return
		}
		ok(map[string]any{"deleted": seg[1]})
	case len(seg) == 2 && seg[0] == "organizations" && r.Method == http.MethodPost:
		var in struct {
			Status string `json:"status"`
			Usable bool   `json:"usable_for_ordering"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		if err := s.SetOrganization(seg[1], in.Status, in.Usable); err != nil {
			fail(http.StatusNotFound, err)
			return
		}
		ok(map[string]any{"id": seg[1], "status": in.Status, "usable_for_ordering": in.Usable})
	default:
		fail(http.StatusNotFound, errors.New("unknown control endpoint"))
	}
}
