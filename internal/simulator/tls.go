package simulator

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// product is one catalog entry (UNKNOWN choice 9).
type product struct {
	SKU                  string `json:"sku"`
	Name                 string `json:"name"`
	Type                 string `json:"type"`
	CA                   string `json:"ca"`
	Recommended          bool   `json:"recommended,omitempty"`
	ValidationLevel      string `json:"validation_level"`
	OrganizationRequired bool   `json:"organization_required"`
	Wildcard             bool   `json:"wildcard"`
	MaxValidityDays      int    `json:"max_validity_days"`
}

var products = []product{
	{SKU: "RapidSSL", Name: "RapidSSL", Type: "dv", CA: "digicert", Recommended: true, ValidationLevel: "dv", MaxValidityDays: maxValidityDays},
	{SKU: "RapidSSLWildcard", Name: "RapidSSL Wildcard", Type: "dv", CA: "digicert", ValidationLevel: "dv", Wildcard: true, MaxValidityDays: maxValidityDays},
	{SKU: "QuickSSLPremium", Name: "GeoTrust QuickSSL Premium", Type: "dv", CA: "digicert", ValidationLevel: "dv", MaxValidityDays: maxValidityDays},
	{SKU: "SSL123", Name: "Thawte SSL 123", Type: "dv", CA: "digicert", ValidationLevel: "dv", MaxValidityDays: maxValidityDays},
	{SKU: "TrueBusinessID", Name: "GeoTrust True BusinessID", Type: "ov", CA: "digicert", ValidationLevel: "ov", OrganizationRequired: true, MaxValidityDays: maxValidityDays},
	{SKU: "SecureSite", Name: "DigiCert Secure Site", Type: "ov", CA: "digicert", ValidationLevel: "ov", OrganizationRequired: true, MaxValidityDays: maxValidityDays},
	{SKU: "SSLWebServer", Name: "Thawte SSL Web Server", Type: "ov", CA: "digicert", ValidationLevel: "ov", OrganizationRequired: true, MaxValidityDays: maxValidityDays},
}

const (
	maxValidityDays      = 199
	maxLifetimeDays      = 397
	cancelWindow         = 30 * 24 * time.Hour
	dcvSuffix            = ".dcv.digicert.com."
	completionURLPattern = "https://dash.regfish.com/my/certs/%s/complete"
)

func findProduct(sku string) (product, bool) {
	for _, p := range products {
		if strings.EqualFold(p.SKU, sku) {
			return p, true
		}
	}
	return product{}, false
}

// productsView is the catalog with type and validation_level in the case of
// Variants.ProductType.
func (s *Simulator) productsView() []product {
	out := slices.Clone(products)
	if s.opts.Variants.ProductType == "upper" {
		for i := range out {
			out[i].Type, out[i].ValidationLevel = strings.ToUpper(out[i].Type), strings.ToUpper(out[i].ValidationLevel)
		}
	}
	return out
}

func productList() string {
	var s []string
	for _, p := range products {
		s = append(s, p.SKU)
	}
	return strings.Join(s, ", ")
}

// ----- organizations -----------------------------------------------------

type organization struct {
	ID           string    `json:"id"`
	Organization string    `json:"organization"`
	FirstName    string    `json:"first_name"`
	LastName     string    `json:"last_name"`
	Address      string    `json:"address"`
	PostalCode   string    `json:"postal_code"`
	City         string    `json:"city"`
	CountryCode  string    `json:"country_code"`
	Phone        string    `json:"phone"`
	Email        string    `json:"email"`
	Status       string    `json:"status"`
	Usable       bool      `json:"usable_for_ordering"`
	CreatedAt    time.Time `json:"created_at"`
	ReadyAt      time.Time `json:"ready_at"` // end of Options.OrgReadyDelay
}

// refresh makes a vetted organization ready once its delay is over.
func (o *organization) refresh(now time.Time) {
	if o.Status == "pending" && !o.ReadyAt.IsZero() && !now.Before(o.ReadyAt) {
		o.Status, o.Usable = "ready", true
	}
}

// orgView is the documented organization object: no "name" (the legal
// name is "organization").
type orgView struct {
	ID                string `json:"id"`
	Status            string `json:"status"`
	UsableForOrdering bool   `json:"usable_for_ordering"`
	Organization      string `json:"organization"`
	FirstName         string `json:"first_name"`
	LastName          string `json:"last_name"`
	Address           string `json:"address"`
	PostalCode        string `json:"postal_code"`
	City              string `json:"city"`
	CountryCode       string `json:"country_code"`
	Phone             string `json:"phone"`
	Email             string `json:"email"`
}

type orgSummary struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Status            string `json:"status"`
	UsableForOrdering bool   `json:"usable_for_ordering"`
}

func (o *organization) view() orgView {
	return orgView{ID: o.ID, Status: o.Status, UsableForOrdering: o.Usable,
		Organization: o.Organization, FirstName: o.FirstName, LastName: o.LastName, Address: o.Address,
		PostalCode: o.PostalCode, City: o.City, CountryCode: o.CountryCode, Phone: o.Phone, Email: o.Email}
}

func (s *Simulator) findOrg(id string) *organization {
	for _, o := range s.orgs {
		if o.ID == id {
			o.refresh(s.clock.Now())
			return o
		}
	}
	return nil
}

func (s *Simulator) handleListOrgs(w http.ResponseWriter) {
	out := make([]orgView, 0, len(s.orgs))
	for _, o := range s.orgs {
		o.refresh(s.clock.Now())
		out = append(out, o.view())
	}
	writeOK(w, out)
}

var countryRe = regexp.MustCompile(`^[A-Za-z]{2}$`)

// orgFields are the organization fields a request may set.
func (o *organization) fields() []*string {
	return []*string{&o.Organization, &o.FirstName, &o.LastName, &o.Address, &o.PostalCode, &o.City, &o.CountryCode, &o.Phone, &o.Email}
}

// checkOrgFields trims the fields of in and checks those given; "" when
// they are valid, else the message of a 400.
func checkOrgFields(in *organization) string {
	for _, p := range in.fields() {
		*p = strings.TrimSpace(*p)
	}
	if in.CountryCode != "" && !countryRe.MatchString(in.CountryCode) {
		return "Invalid request: country_code must be an ISO 3166-1 alpha-2 code"
	}
	if in.Email != "" && !strings.Contains(in.Email, "@") {
		return "Invalid request: email is not an e-mail address"
	}
	in.CountryCode = strings.ToUpper(in.CountryCode)
	return ""
}

// newOrg adds an organization with the fields of in (UNKNOWN choice 10).
func (s *Simulator) newOrg(in organization) *organization {
	org := &organization{
		ID: "hdl_" + randomID(13), Organization: in.Organization, FirstName: in.FirstName, LastName: in.LastName,
		Address: in.Address, PostalCode: in.PostalCode, City: in.City, CountryCode: in.CountryCode,
		Phone: in.Phone, Email: in.Email, Status: "ready", Usable: true, CreatedAt: s.clock.Now(),
	}
	for _, v := range []string{org.FirstName, org.LastName, org.Address, org.PostalCode, org.City, org.CountryCode, org.Phone, org.Email} {
		if v == "" {
			org.Status, org.Usable = "incomplete", false
		}
	}
	if org.Usable && s.opts.OrgReadyDelay > 0 {
		org.Status, org.Usable, org.ReadyAt = "pending", false, org.CreatedAt.Add(s.opts.OrgReadyDelay)
	}
	s.orgs = append(s.orgs, org)
	s.dirty = true
	return org
}

// handleCreateOrg applies UNKNOWN choice 10.
func (s *Simulator) handleCreateOrg(w http.ResponseWriter, r *http.Request) {
	var in organization
	if !decodeBody(w, r, &in) {
		return
	}
	if msg := checkOrgFields(&in); msg != "" {
		writeError(w, http.StatusBadRequest, 0, msg)
		return
	}
	if in.Organization == "" {
		writeError(w, http.StatusBadRequest, 0, "Invalid request: organization is required")
		return
	}
	writeOK(w, s.newOrg(in).view())
}

// handlePatchOrg serves PATCH /tls/organization/{id} (documented: every
// field optional, plus edit_mode), with the outcome of Variants.OrgEdit.
func (s *Simulator) handlePatchOrg(w http.ResponseWriter, r *http.Request, id string) {
	old := s.findOrg(id)
	if old == nil {
		writeError(w, http.StatusNotFound, 0, "TLS organization not found")
		return
	}
	var in struct {
		organization
		EditMode string `json:"edit_mode"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if msg := checkOrgFields(&in.organization); msg != "" {
		writeError(w, http.StatusBadRequest, 0, "Invalid request payload: "+strings.TrimPrefix(msg, "Invalid request: "))
		return
	}
	switch in.EditMode {
	case "", "create_replacement":
	default:
		writeError(w, http.StatusBadRequest, 0, "Invalid request payload: unknown edit_mode "+in.EditMode)
		return
	}
	merged := *old
	for i, p := range in.fields() {
		if *p != "" {
			*merged.fields()[i] = *p
		}
	}
	replace := in.EditMode == "create_replacement" || (s.opts.Variants.OrgEdit == "replace" && old.Usable)
	if replace {
		writeOK(w, s.newOrg(merged).view())
		return
	}
	for i, p := range merged.fields() {
		*old.fields()[i] = *p
	}
	if old.Status == "incomplete" {
		complete := true
		for _, p := range old.fields() {
			complete = complete && *p != ""
		}
		if complete {
			old.Status, old.Usable = "ready", true
		}
	}
	s.dirty = true
	writeOK(w, old.view())
}

// ----- certificate orders ------------------------------------------------

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

// idString accepts an id sent as a JSON string or number (regfish's own
// client sends numeric legacy organization ids).
type idString string

func (s *idString) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*s = ""
	case string:
		*s = idString(x)
	case float64:
		*s = idString(strconv.FormatFloat(x, 'f', -1, 64))
	default:
		return fmt.Errorf("an id must be a string or a number")
	}
	return nil
}

type certRequest struct {
	SKU          string   `json:"sku"`
	CommonName   string   `json:"common_name"`
	DNSNames     []string `json:"dns_names"`
	CSR          string   `json:"csr"`
	DCVMethod    string   `json:"dcv_method"`
	DCVEmails    []string `json:"dcv_emails"`
	OrgID        idString `json:"org_id"`
	RenewalOf    string   `json:"renewal_of_certificate_id"`
	ValidityDays *int     `json:"validity_days"`
}

func (s *Simulator) handleListCerts(w http.ResponseWriter) {
	now := s.clock.Now()
	out := make([]certView, 0, len(s.orders))
	for _, o := range s.orders {
		s.advance(o, now)
		out = append(out, s.view(o))
	}
	writeOK(w, out)
}

func (s *Simulator) handleGetCert(w http.ResponseWriter, id string) {
	o := s.byID[id]
	if o == nil {
		writeError(w, http.StatusNotFound, 0, "TLS certificate not found")
		return
	}
	s.advance(o, s.clock.Now())
	writeOK(w, s.view(o))
}

func validDCVMethod(m string) bool { return m == "dns-cname-token" || m == "email" }

// handleCreateCert places an order (CONTRACT.md §2; UNKNOWN choices 5, 11, 13, 21).
func (s *Simulator) handleCreateCert(w http.ResponseWriter, r *http.Request) {
	var in certRequest
	if !decodeBody(w, r, &in) {
		return
	}
	bad := func(msg string) { writeError(w, http.StatusBadRequest, 0, "Invalid request: "+msg) }
	if in.SKU == "" {
		bad("sku is required")
		return
	}
	p, ok := findProduct(in.SKU)
	if !ok {
		bad("unknown sku " + in.SKU + "; available products: " + productList())
		return
	}
	if strings.TrimSpace(in.CommonName) == "" {
		bad("common_name is required")
		return
	}
	if msg := checkName(in.CommonName, p.Wildcard); msg != "" {
		bad("common_name: " + msg)
		return
	}
	var sans []string
	for _, n := range in.DNSNames {
		if msg := checkName(n, p.Wildcard); msg != "" {
			bad("dns_names: " + msg)
			return
		}
		sans = append(sans, normHost(n))
	}
	if strings.TrimSpace(in.CSR) == "" {
		bad("csr is required")
		return
	}
	if _, err := parseCSR(in.CSR); err != nil {
		bad(err.Error())
		return
	}
	if !validDCVMethod(in.DCVMethod) {
		bad("dcv_method must be dns-cname-token or email")
		return
	}
	if len(in.DCVEmails) > 0 && in.DCVMethod != "email" {
		bad("dcv_emails are only allowed with dcv_method email")
		return
	}
	for _, e := range in.DCVEmails {
		if !strings.Contains(e, "@") {
			bad("dcv_emails: " + e + " is not an e-mail address")
			return
		}
	}
	validity := maxValidityDays
	if in.ValidityDays != nil {
		validity = *in.ValidityDays
		if validity < 1 || validity > maxValidityDays {
			bad("validity_days must be between 1 and 199")
			return
		}
	}
	var org *organization
	if in.OrgID != "" {
		if org = s.findOrg(string(in.OrgID)); org == nil {
			writeError(w, http.StatusNotFound, 0, "TLS organization "+string(in.OrgID)+" not found")
			return
		}
	}
	if in.RenewalOf != "" {
		pred := s.byID[in.RenewalOf]
		if pred == nil {
			writeError(w, http.StatusNotFound, 0, "TLS certificate "+in.RenewalOf+" to renew not found")
			return
		}
		s.advance(pred, s.clock.Now())
		if pred.Status != "issued" && pred.Status != "expired" {
			writeError(w, http.StatusConflict, 0, "TLS certificate "+in.RenewalOf+" cannot be renewed in status "+pred.Status)
			return
		}
	}
	now := s.clock.Now()
	o := &order{
		ID: s.newCertID(), SKU: p.SKU, CommonName: normHost(in.CommonName), DNSNames: sans, CSR: in.CSR,
		DCVMethod: in.DCVMethod, DCVEmails: in.DCVEmails, RenewalOf: in.RenewalOf, ValidityDays: validity,
		Token: randomHex(32), DCVScope: s.opts.DCVScope, CreatedAt: now, LastCheck: now, Status: "pending",
	}
	if org != nil {
		o.OrgID = org.ID
	}
	switch {
	case p.OrganizationRequired && org == nil:
		o.OrderState, o.PendingReason = "ACTION_REQUIRED", "organization_required"
		o.PendingMessage = "The order needs a TLS organization: complete it in the regfish Console or with POST /tls/certificate/" + o.ID + "/complete."
	case p.OrganizationRequired && !org.Usable:
		o.OrderState, o.PendingReason = "ACTION_REQUIRED", "completion_required"
		o.PendingMessage = "TLS organization " + org.ID + " is not usable for ordering (status " + org.Status + "); complete the order in the regfish Console."
	default:
		o.OrderState, o.PendingReason = "PENDING", "validation_pending"
		o.PendingMessage = "The TLS certificate order is waiting for domain validation."
	}
	s.orders = append(s.orders, o)
	s.byID[o.ID] = o
	s.stats.OrdersCreated++
	s.dirty = true
	setCertID(w, o.ID)
	writeOK(w, s.view(o))
}

func (s *Simulator) newCertID() string {
	for {
		id := randomID(13)
		if s.byID[id] == nil {
			return id
		}
	}
}

// bind finishes a staged order with a usable organization.
func (s *Simulator) bind(o *order, org *organization) {
	o.OrgID = org.ID
	o.OrderState, o.PendingReason = "PENDING", "validation_pending"
	o.PendingMessage = "The TLS certificate order is waiting for domain validation."
	s.dirty = true
}

func (s *Simulator) handleComplete(w http.ResponseWriter, r *http.Request, id string) {
	o := s.byID[id]
	if o == nil {
		writeError(w, http.StatusNotFound, 0, "TLS certificate not found")
		return
	}
	// refuse answers with the status of Variants.Complete ("mixed": the
	// status given here).
	refuse := func(status int, msg string) {
		if v := s.opts.Variants.Complete; v != "mixed" {
			status, _ = strconv.Atoi(v)
		}
		writeError(w, status, 0, msg)
	}
	var in struct {
		OrgID string `json:"org_id"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.OrgID) == "" {
		refuse(http.StatusBadRequest, "Invalid request: org_id is required")
		return
	}
	org := s.findOrg(in.OrgID)
	if org == nil {
		refuse(http.StatusNotFound, "TLS organization "+in.OrgID+" not found")
		return
	}
	s.advance(o, s.clock.Now())
	if !o.staged() {
		refuse(http.StatusConflict, "TLS certificate "+id+" is not waiting for completion (order_state "+o.OrderState+")")
		return
	}
	if !org.Usable {
		refuse(http.StatusBadRequest, "Invalid request: TLS organization "+org.ID+" is not usable for ordering (status "+org.Status+")")
		return
	}
	s.bind(o, org)
	writeOK(w, s.view(o))
}

type reissueRequest struct {
	CSR          string   `json:"csr"`
	CommonName   string   `json:"common_name"`
	DNSNames     []string `json:"dns_names"`
	DCVMethod    string   `json:"dcv_method"`
	DCVEmails    []string `json:"dcv_emails"`
	Comments     string   `json:"comments"`
	ValidityDays int      `json:"validity_days"`
}

func (s *Simulator) handleReissue(w http.ResponseWriter, r *http.Request, id string) {
	o := s.byID[id]
	if o == nil {
		writeError(w, http.StatusNotFound, 0, "TLS certificate not found")
		return
	}
	var in reissueRequest
	if !decodeBody(w, r, &in) {
		return
	}
	now := s.clock.Now()
	s.advance(o, now)
	if o.Status != "issued" && (o.Status != "revoked" || o.Revocation != "certificate") {
		writeError(w, http.StatusConflict, 0, "TLS certificate "+id+" cannot be reissued in status "+o.Status)
		return
	}
	if o.Reissue.active() {
		writeError(w, http.StatusConflict, 0, "TLS certificate "+id+" already has a reissue in progress")
		return
	}
	if !now.Before(o.ContractUntil) {
		writeError(w, http.StatusConflict, 0, "The contract of TLS certificate "+id+" has ended; order a renewal")
		return
	}
	bad := func(msg string) { writeError(w, http.StatusBadRequest, 0, "Invalid request: "+msg) }
	if _, err := parseCSR(in.CSR); err != nil {
		bad(err.Error())
		return
	}
	if !validDCVMethod(in.DCVMethod) {
		bad("dcv_method must be dns-cname-token or email")
		return
	}
	if in.CommonName != "" && normHost(in.CommonName) != o.CommonName {
		bad("common_name must be the order's common name " + o.CommonName)
		return
	}
	if in.DNSNames != nil {
		a, b := nameUnion(o.CommonName, in.DNSNames), o.names()
		sort.Strings(a)
		sort.Strings(b)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			bad("dns_names must match the order's names exactly")
			return
		}
	}
	if in.ValidityDays < 0 || in.ValidityDays > maxValidityDays {
		bad("validity_days must be between 1 and 199")
		return
	}
	o.Reissue = &reissue{
		ID: s.nextReissue, Status: "pending", OrderState: "PENDING", CommonName: o.CommonName, DNSNames: o.DNSNames,
		CSR: in.CSR, DCVMethod: in.DCVMethod, DCVEmails: in.DCVEmails, Token: randomHex(32), DCVScope: s.opts.DCVScope,
		ValidityDays: in.ValidityDays, Comments: in.Comments, RequestedAt: now, UpdatedAt: now,
	}
	s.nextReissue++
	s.dirty = true
	writeOK(w, s.view(o))
}

// handleRevoke applies UNKNOWN choice 1.
func (s *Simulator) handleRevoke(w http.ResponseWriter, r *http.Request, id string) {
	o := s.byID[id]
	if o == nil {
		writeError(w, http.StatusNotFound, 0, "TLS certificate not found")
		return
	}
	var in struct {
		Comments string `json:"comments"`
		Scope    string `json:"scope"`
	}
	if r.ContentLength != 0 && !decodeBody(w, r, &in) {
		return
	}
	if in.Scope == "" {
		in.Scope = "certificate"
	}
	if in.Scope != "certificate" && in.Scope != "order" {
		writeError(w, http.StatusBadRequest, 0, "Invalid request: scope must be certificate or order")
		return
	}
	s.advance(o, s.clock.Now())
	switch o.Status {
	case "revoked", "order_cancelled":
		writeOK(w, s.view(o))
		return
	case "issued", "expired":
	default:
		writeError(w, http.StatusConflict, 0, "TLS certificate "+id+" is not issued (status "+o.Status+"); cancel the order instead")
		return
	}
	o.Status, o.OrderState, o.Revocation = "revoked", "REVOKED", in.Scope
	if o.Reissue.active() {
		o.Reissue.Status, o.Reissue.OrderState = "cancelled", "CANCELED"
	}
	s.dirty = true
	writeOK(w, s.view(o))
}

// handleCancel applies UNKNOWN choices 2 and 3.
func (s *Simulator) handleCancel(w http.ResponseWriter, id string) {
	o := s.byID[id]
	if o == nil {
		writeError(w, http.StatusNotFound, 0, "TLS certificate not found")
		return
	}
	now := s.clock.Now()
	s.advance(o, now)
	switch {
	case o.Status == "cancelled" || o.Status == "order_cancelled":
	case o.Status == "pending":
		o.Status, o.OrderState, o.PendingReason, o.PendingMessage = "cancelled", "CANCELED", "", ""
	case o.Status == "issued" && now.Before(o.IssuedAt.Add(cancelWindow)):
		o.Status, o.OrderState, o.Revocation = "order_cancelled", "CANCELED", "order"
	default:
		writeError(w, http.StatusConflict, 0, "TLS certificate "+id+" can no longer be cancelled (status "+o.Status+")")
		return
	}
	if o.Reissue.active() {
		o.Reissue.Status, o.Reissue.OrderState = "cancelled", "CANCELED"
	}
	s.dirty = true
	writeOK(w, s.view(o))
}

// handleDownload applies UNKNOWN choice 16.
func (s *Simulator) handleDownload(w http.ResponseWriter, id, format string) {
	o := s.byID[id]
	if o == nil {
		writeError(w, http.StatusNotFound, 0, "TLS certificate not found")
		return
	}
	s.advance(o, s.clock.Now())
	if format != "pem" && format != "zip" {
		writeError(w, http.StatusBadRequest, 0, "Invalid request: unsupported download format "+format)
		return
	}
	if !o.hasCert() || (o.Status != "issued" && o.Status != "expired" && o.Status != "revoked") {
		// Variants.DownloadNotReady
		if s.opts.Variants.DownloadNotReady == "404" {
			writeError(w, http.StatusNotFound, 0, "certificate not available")
			return
		}
		writeError(w, http.StatusConflict, 0, "certificate not ready")
		return
	}
	if format == "pem" {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Header().Set("Content-Disposition", `attachment; filename="certificate-`+o.ID+`.pem"`)
		_, _ = w.Write([]byte(o.LeafPEM + string(s.ca.InterPEM)))
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{{"certificate.pem", o.LeafPEM}, {"chain.pem", string(s.ca.InterPEM)}} {
		fw, _ := zw.Create(f.name)
		_, _ = fw.Write([]byte(f.body))
	}
	_ = zw.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="certificate-`+o.ID+`.zip"`)
	_, _ = w.Write(buf.Bytes())
}
