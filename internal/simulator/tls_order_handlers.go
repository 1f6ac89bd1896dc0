package simulator

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The handlers of the certificate order endpoints.

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
