package simulator

import (
	"regexp"
	"strings"
	"time"
)

// Certificate orders: their records, views, validation and issuance.

type reissue struct {
	ID            int64     `json:"id"`
	Status        string    `json:"status"`
	OrderState    string    `json:"order_state"`
	CommonName    string    `json:"common_name"`
	DNSNames      []string  `json:"dns_names"`
	CSR           string    `json:"csr"`
	DCVMethod     string    `json:"dcv_method"`
	DCVEmails     []string  `json:"dcv_emails,omitempty"`
	Token         string    `json:"token"`
	DCVScope      string    `json:"dcv_scope,omitempty"`
	DCVDoneAt     time.Time `json:"dcv_done_at"`
	DCVForced     bool      `json:"dcv_forced,omitempty"`
	EmailApproved bool      `json:"email_approved,omitempty"`
	ValidityDays  int       `json:"validity_days,omitempty"`
	Comments      string    `json:"comments,omitempty"`
	RequestedAt   time.Time `json:"requested_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func (r *reissue) active() bool {
	return r != nil && (r.Status == "pending" || r.Status == "processing" || r.Status == "pending_approval")
}

type order struct {
	ID             string    `json:"id"`
	SKU            string    `json:"sku"`
	CommonName     string    `json:"common_name"`
	DNSNames       []string  `json:"dns_names"`
	CSR            string    `json:"csr"`
	DCVMethod      string    `json:"dcv_method"`
	DCVEmails      []string  `json:"dcv_emails,omitempty"`
	OrgID          string    `json:"org_id,omitempty"`
	RenewalOf      string    `json:"renewal_of_certificate_id,omitempty"`
	ValidityDays   int       `json:"validity_days"`
	Token          string    `json:"token"`
	DCVScope       string    `json:"dcv_scope,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	Status         string    `json:"status"`
	OrderState     string    `json:"order_state"`
	PendingReason  string    `json:"pending_reason,omitempty"`
	PendingMessage string    `json:"pending_message,omitempty"`
	DCVDoneAt      time.Time `json:"dcv_done_at"`
	DCVForced      bool      `json:"dcv_forced,omitempty"`
	EmailApproved  bool      `json:"email_approved,omitempty"`
	IssuedAt       time.Time `json:"issued_at"`
	LeafPEM        string    `json:"leaf_pem,omitempty"`
	Serial         string    `json:"serial,omitempty"`
	ValidFrom      time.Time `json:"valid_from"`
	ValidUntil     time.Time `json:"valid_until"`
	ContractFrom   time.Time `json:"contract_from"`
	ContractUntil  time.Time `json:"contract_until"`
	BonusDays      *int      `json:"bonus_days,omitempty"`
	Reissue        *reissue  `json:"reissue,omitempty"`
	Revocation     string    `json:"revocation_scope,omitempty"`
	Hold           bool      `json:"hold,omitempty"`
	LastCheck      time.Time `json:"last_check"`
}

// names returns {CN} ∪ dns_names, CN first, de-duplicated.
func (o *order) names() []string { return nameUnion(o.CommonName, o.DNSNames) }

func nameUnion(cn string, sans []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range append([]string{cn}, sans...) {
		n = normHost(n)
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func normHost(n string) string { return strings.TrimRight(strings.ToLower(strings.TrimSpace(n)), ".") }

var labelRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// checkName validates one certificate name.
func checkName(n string, wildcardOK bool) string {
	h := normHost(n)
	if strings.HasPrefix(h, "*.") {
		if !wildcardOK {
			return "wildcard name " + h + " needs a wildcard product (RapidSSLWildcard)"
		}
		h = h[2:]
	}
	if len(h) > 253 || !strings.Contains(h, ".") {
		return "invalid domain name " + n
	}
	for _, l := range strings.Split(h, ".") {
		if !labelRe.MatchString(l) {
			return "invalid domain name " + n
		}
	}
	return ""
}

type validationRecord struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

type validationView struct {
	Method       string             `json:"method"`
	DNSRecords   []validationRecord `json:"dns_records,omitempty"`
	EmailTargets []string           `json:"email_targets,omitempty"`
}

type reissueView struct {
	ID            int64           `json:"id"`
	Status        string          `json:"status"`
	CommonName    string          `json:"common_name"`
	DNSNames      []string        `json:"dns_names"`
	OrderState    string          `json:"order_state"`
	RequestedAt   string          `json:"requested_at"`
	LastUpdatedAt string          `json:"last_updated_at"`
	Validation    *validationView `json:"validation,omitempty"`
}

type certView struct {
	ID                      string          `json:"id"`
	Status                  string          `json:"status"`
	CommonName              string          `json:"common_name"`
	Product                 string          `json:"product"`
	Provider                string          `json:"provider"`
	DNSNames                []string        `json:"dns_names"`
	OrderState              string          `json:"order_state"`
	ActionRequired          bool            `json:"action_required"`
	PendingReason           *string         `json:"pending_reason"`
	PendingMessage          *string         `json:"pending_message"`
	CompletionURL           *string         `json:"completion_url"`
	OrganizationID          *string         `json:"organization_id"`
	Organization            *orgSummary     `json:"organization"`
	RevocationScope         string          `json:"revocation_scope,omitempty"`
	RenewalSupported        bool            `json:"renewal_supported"`
	ReissueSupported        bool            `json:"reissue_supported"`
	ValidityDays            int             `json:"validity_days"`
	RenewalBonusDays        *int            `json:"renewal_bonus_days,omitempty"`
	SerialNumber            string          `json:"serial_number,omitempty"`
	ValidFrom               string          `json:"valid_from,omitempty"`
	ValidUntil              string          `json:"valid_until,omitempty"`
	ContractValidFrom       string          `json:"contract_valid_from,omitempty"`
	ContractValidUntil      string          `json:"contract_valid_until,omitempty"`
	LastStatusCheck         string          `json:"last_status_check"`
	CertificatePEMAvailable bool            `json:"certificate_pem_available"`
	OrderCancellable        bool            `json:"order_cancellable"`
	OrderCancellationMode   string          `json:"order_cancellation_mode,omitempty"`
	OrderCancellableUntil   string          `json:"order_cancellable_until,omitempty"`
	Validation              *validationView `json:"validation,omitempty"`
	Reissue                 *reissueView    `json:"reissue,omitempty"`
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (o *order) staged() bool { return o.Status == "pending" && o.OrderState == "ACTION_REQUIRED" }

func (o *order) hasCert() bool { return o.LeafPEM != "" }

// view renders the certificate object (CONTRACT.md §2.2).
func (s *Simulator) view(o *order) certView {
	now := s.clock.Now()
	p, _ := findProduct(o.SKU)
	v := certView{
		ID: o.ID, Status: o.Status, CommonName: o.CommonName, Product: p.SKU, Provider: "digicert",
		DNSNames: append([]string{}, o.DNSNames...), OrderState: o.OrderState, ActionRequired: o.staged(),
		PendingReason: strPtr(o.PendingReason), PendingMessage: strPtr(o.PendingMessage),
		ValidityDays: o.ValidityDays, LastStatusCheck: ts(o.LastCheck), RevocationScope: o.Revocation,
	}
	if o.staged() {
		v.CompletionURL = strPtr(strings.Replace(completionURLPattern, "%s", o.ID, 1))
	}
	if o.OrgID != "" {
		v.OrganizationID = strPtr(o.OrgID)
		if org := s.findOrg(o.OrgID); org != nil {
			v.Organization = &orgSummary{ID: org.ID, Name: org.Organization, Status: org.Status, UsableForOrdering: org.Usable}
		}
	}
	if !o.hasCert() && s.opts.Variants.ContractWindow == "at-order" {
		// Variants.ContractWindow
		from, until := s.orderContract(o, o.ValidityDays)
		v.ContractValidFrom, v.ContractValidUntil = ts(from), ts(until)
	}
	if o.hasCert() {
		v.SerialNumber = o.Serial
		v.ValidFrom, v.ValidUntil = ts(o.ValidFrom), ts(o.ValidUntil)
		v.ContractValidFrom, v.ContractValidUntil = ts(o.ContractFrom), ts(o.ContractUntil)
		v.CertificatePEMAvailable = true
		v.RenewalBonusDays = o.BonusDays
		v.RenewalSupported = o.Status == "issued" || o.Status == "expired"
		v.ReissueSupported = (o.Status == "issued" || (o.Status == "revoked" && o.Revocation == "certificate")) &&
			!o.Reissue.active() && now.Before(o.ContractUntil)
	}
	switch {
	case o.Status == "pending":
		v.OrderCancellable, v.OrderCancellationMode = true, "cancel_order"
	case o.Status == "issued" && now.Before(o.IssuedAt.Add(cancelWindow)):
		v.OrderCancellable, v.OrderCancellationMode = true, "revoke_issued"
		v.OrderCancellableUntil = ts(o.IssuedAt.Add(cancelWindow))
	}
	if !o.staged() {
		v.Validation = validation(o.DCVMethod, o.names(), o.Token, o.DCVScope, o.DCVEmails, o.CommonName)
	}
	if r := o.Reissue; r != nil {
		rv := &reissueView{ID: r.ID, Status: r.Status, CommonName: r.CommonName, DNSNames: r.DNSNames, OrderState: r.OrderState,
			RequestedAt: ts(r.RequestedAt), LastUpdatedAt: ts(r.UpdatedAt)}
		if r.active() {
			rv.Validation = validation(r.DCVMethod, nameUnion(r.CommonName, r.DNSNames), r.Token, r.DCVScope, r.DCVEmails, r.CommonName)
		}
		v.Reissue = rv
	}
	return v
}

func validation(method string, names []string, token, scope string, emails []string, cn string) *validationView {
	if method == "email" {
		t := emails
		if len(t) == 0 {
			t = defaultEmailTargets(cn)
		}
		return &validationView{Method: "email", EmailTargets: t}
	}
	return &validationView{Method: "dns-cname-token", DNSRecords: dcvRecords(names, token, scope)}
}

func (s *Simulator) isOrgProduct(o *order) bool {
	p, _ := findProduct(o.SKU)
	return p.ValidationLevel != "dv"
}

// advance moves an order along the state machine up to now (UNKNOWN
// choices 4, 22, 24). It is called whenever an order is read.
func (s *Simulator) advance(o *order, now time.Time) {
	o.LastCheck = now
	s.dirty = true
	if o.Hold {
		return
	}
	if o.Status == "pending" && o.OrderState == "PENDING" {
		if o.DCVDoneAt.IsZero() && s.dcvDone(o.DCVMethod, o.names(), o.Token, o.DCVScope, o.DCVForced, o.EmailApproved) {
			o.DCVDoneAt = now
		}
		if !o.DCVDoneAt.IsZero() {
			if s.isOrgProduct(o) {
				o.OrderState, o.PendingReason = "PENDING_APPROVAL", "approval_pending"
				o.PendingMessage = "Domain validation is complete; the certificate authority is validating the organization."
			} else if at := o.DCVDoneAt.Add(s.opts.IssueDelay); !now.Before(at) {
				s.issue(o, at)
			}
		}
	}
	if o.Status == "pending" && o.OrderState == "PENDING_APPROVAL" {
		if at := o.DCVDoneAt.Add(s.opts.ApprovalDelay); !now.Before(at) {
			s.issue(o, at)
		}
	}
	if r := o.Reissue; r.active() && (o.Status == "issued" || o.Status == "revoked") {
		if r.DCVDoneAt.IsZero() && s.dcvDone(r.DCVMethod, nameUnion(r.CommonName, r.DNSNames), r.Token, r.DCVScope, r.DCVForced, r.EmailApproved) {
			r.DCVDoneAt, r.Status, r.UpdatedAt = now, "processing", now
		}
		if !r.DCVDoneAt.IsZero() {
			if at := r.DCVDoneAt.Add(s.opts.IssueDelay); !now.Before(at) {
				s.issueReissue(o, at)
			}
		}
	}
	if o.Status == "issued" && o.hasCert() && now.After(o.ValidUntil) {
		o.Status, o.OrderState = "expired", "EXPIRED"
	}
}

func (s *Simulator) dcvDone(method string, names []string, token, scope string, forced, emailApproved bool) bool {
	if forced {
		return true
	}
	if method == "email" {
		return emailApproved
	}
	return s.dcvSatisfied(names, token, scope)
}

// issue signs the order's certificate at time at (UNKNOWN choices 14, 15).
func (s *Simulator) issue(o *order, at time.Time) {
	bonus := 0
	if pred := s.byID[o.RenewalOf]; pred != nil && pred.hasCert() && pred.ValidUntil.After(at) {
		bonus = int(pred.ValidUntil.Sub(at) / (24 * time.Hour))
		bonus = min(bonus, max(maxLifetimeDays-o.ValidityDays, 0))
	}
	lifetime := o.ValidityDays + bonus
	if err := s.sign(o, o.CSR, at, at.AddDate(0, 0, lifetime)); err != nil {
		o.Status, o.OrderState, o.PendingReason, o.PendingMessage = "rejected", "REJECTED", "", "The certificate authority rejected the order: "+err.Error()
		return
	}
	if o.RenewalOf != "" {
		o.BonusDays = &bonus
	}
	o.Status, o.OrderState, o.PendingReason, o.PendingMessage = "issued", "ISSUED", "", ""
	if o.IssuedAt.IsZero() {
		o.IssuedAt = at
	}
	o.ContractFrom = at
	o.ContractUntil = at.AddDate(0, 0, max(lifetime, s.opts.ContractDays))
	if s.opts.Variants.ContractWindow == "at-order" {
		o.ContractFrom, o.ContractUntil = s.orderContract(o, lifetime)
	}
}

// orderContract is the contract window of an order whose window starts
// with the order (Variants.ContractWindow "at-order").
func (s *Simulator) orderContract(o *order, lifetime int) (time.Time, time.Time) {
	return o.CreatedAt, o.CreatedAt.AddDate(0, 0, max(lifetime, s.opts.ContractDays))
}

func (s *Simulator) issueReissue(o *order, at time.Time) {
	r := o.Reissue
	days := o.ValidityDays
	if r.ValidityDays > 0 {
		days = r.ValidityDays
	}
	notAfter := at.AddDate(0, 0, days)
	if notAfter.After(o.ContractUntil) {
		notAfter = o.ContractUntil
	}
	if err := s.sign(o, r.CSR, at, notAfter); err != nil {
		r.Status, r.OrderState, r.UpdatedAt = "failed", "REJECTED", at
		return
	}
	r.Status, r.OrderState, r.UpdatedAt = "issued", "ISSUED", at
	o.CSR = r.CSR
	if o.Status == "revoked" {
		o.Status, o.Revocation = "issued", ""
	}
	o.OrderState = "ISSUED"
}

// sign issues a leaf for csrPEM valid from nb to na and stores it on o.
func (s *Simulator) sign(o *order, csrPEM string, nb, na time.Time) error {
	csr, err := parseCSR(csrPEM)
	if err != nil {
		return err
	}
	var org *organization
	if s.isOrgProduct(o) {
		org = s.findOrg(o.OrgID)
	}
	leaf, serial, err := s.ca.Sign(leafRequest{CSR: csr, CommonName: normHost(o.CommonName), Names: o.names(), Org: org, NotBefore: nb, NotAfter: na})
	if err != nil {
		return err
	}
	o.LeafPEM, o.Serial, o.ValidFrom, o.ValidUntil = leaf, serial, nb, na
	return nil
}
