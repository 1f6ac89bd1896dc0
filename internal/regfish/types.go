package regfish

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FlexString decodes a JSON string, number or null into a string. The API
// returned numeric organization ids in the past ("organization_id": 42) and
// public "hdl_..." ids now.
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = FlexString(n.String())
	return nil
}

// Timestamp is an RFC 3339 time that also accepts null and "" (absent).
type Timestamp struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = v.UTC()
	return nil
}

// MarshalJSON implements json.Marshaler (zero time is null).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// FlexInt decodes a JSON number or a numeric string into an int64.
type FlexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*f = 0
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*f = 0
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		*f = FlexInt(n)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = FlexInt(n)
	return nil
}

// ----- TLS products ------------------------------------------------------

// Product is one entry of GET /tls/products.
type Product struct {
	SKU                  string `json:"sku"`
	Name                 string `json:"name"`
	Type                 string `json:"type"`
	CA                   string `json:"ca"`
	Recommended          bool   `json:"recommended"`
	ValidationLevel      string `json:"validation_level"`
	OrganizationRequired bool   `json:"organization_required"`
	// Wildcard is not in the documented contract; it is read when the API
	// sends it (the simulator does). Use SupportsWildcard.
	Wildcard *bool `json:"wildcard,omitempty"`
	// MaxValidityDays is not in the documented contract either (0 = unknown).
	MaxValidityDays int `json:"max_validity_days,omitempty"`
}

// SupportsWildcard tells whether the product can issue "*." names: the
// wildcard field when the API sends it, else the SKU naming convention.
func (p Product) SupportsWildcard() bool {
	if p.Wildcard != nil {
		return *p.Wildcard
	}
	return strings.Contains(strings.ToLower(p.SKU), "wildcard")
}

// Level is the validation level in lower case ("dv", "ov", "ev"), taken from
// validation_level or, when absent, from type.
func (p Product) Level() string {
	if p.ValidationLevel != "" {
		return strings.ToLower(p.ValidationLevel)
	}
	return strings.ToLower(p.Type)
}

// ----- TLS organizations -------------------------------------------------

// OrganizationSummary is the organization as embedded in a certificate.
type OrganizationSummary struct {
	ID                FlexString `json:"id"`
	Name              string     `json:"name"`
	Status            string     `json:"status"`
	UsableForOrdering bool       `json:"usable_for_ordering"`
}

// Organization is a TLS organization (GET/POST /tls/organization, PATCH
// /tls/organization/{id}). The documented object has no name; Name is read
// when an answer carries one.
type Organization struct {
	ID                FlexString `json:"id"`
	Name              string     `json:"name"`
	Status            string     `json:"status"`
	UsableForOrdering bool       `json:"usable_for_ordering"`
	Organization      string     `json:"organization"`
	FirstName         string     `json:"first_name"`
	LastName          string     `json:"last_name"`
	Address           string     `json:"address"`
	PostalCode        string     `json:"postal_code"`
	City              string     `json:"city"`
	CountryCode       string     `json:"country_code"`
	Phone             string     `json:"phone"`
	Email             string     `json:"email"`
}

// OrganizationRequest is the body of POST /tls/organization.
type OrganizationRequest struct {
	Organization string `json:"organization"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Address      string `json:"address"`
	PostalCode   string `json:"postal_code"`
	City         string `json:"city"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone"`
	Email        string `json:"email"`
}

// OrganizationUpdate is the body of PATCH /tls/organization/{id}: every
// field optional (omitted when empty).
type OrganizationUpdate struct {
	// EditMode: how regfish applies the edit; the one documented value is
	// "create_replacement".
	EditMode     string `json:"edit_mode,omitempty"`
	Organization string `json:"organization,omitempty"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Address      string `json:"address,omitempty"`
	PostalCode   string `json:"postal_code,omitempty"`
	City         string `json:"city,omitempty"`
	CountryCode  string `json:"country_code,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Email        string `json:"email,omitempty"`
}

// ----- TLS certificates --------------------------------------------------

// Certificate status values (lower case) of the contract.
const (
	StatusPending        = "pending"
	StatusIssued         = "issued"
	StatusExpired        = "expired"
	StatusCancelled      = "cancelled"
	StatusOrderCancelled = "order_cancelled"
	StatusRejected       = "rejected"
	StatusUnknown        = "unknown"
	StatusRevoked        = "revoked"
)

// DCV methods.
const (
	DCVMethodCNAME = "dns-cname-token"
	DCVMethodEmail = "email"
)

// ValidationRecord is one DNS record the CA checks for DCV.
type ValidationRecord struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Validation describes the domain control validation of an order or reissue.
type Validation struct {
	Method       string             `json:"method"`
	DNSRecords   []ValidationRecord `json:"dns_records,omitempty"`
	EmailTargets []string           `json:"email_targets,omitempty"`
}

// Reissue is the last reissue of an order.
type Reissue struct {
	ID            FlexInt     `json:"id"`
	Status        string      `json:"status"`
	CommonName    string      `json:"common_name"`
	DNSNames      []string    `json:"dns_names,omitempty"`
	OrderState    string      `json:"order_state"`
	RequestedAt   Timestamp   `json:"requested_at"`
	LastUpdatedAt Timestamp   `json:"last_updated_at"`
	Validation    *Validation `json:"validation,omitempty"`
}

// Active reports a reissue that is still being processed.
func (r *Reissue) Active() bool {
	if r == nil {
		return false
	}
	switch strings.ToLower(r.Status) {
	case "pending", "processing", "pending_approval":
		return true
	}
	return false
}

// Failed reports a reissue that ended without a certificate.
func (r *Reissue) Failed() bool {
	if r == nil {
		return false
	}
	switch strings.ToLower(r.Status) {
	case "cancelled", "rejected", "failed":
		return true
	}
	return false
}

// Certificate is a TLS certificate order (GET /tls/certificate/{id}).
type Certificate struct {
	ID                      string               `json:"id"`
	Status                  string               `json:"status"`
	CommonName              string               `json:"common_name"`
	Product                 string               `json:"product"`
	Provider                string               `json:"provider"`
	DNSNames                []string             `json:"dns_names"`
	OrderState              string               `json:"order_state"`
	ActionRequired          bool                 `json:"action_required"`
	PendingReason           string               `json:"pending_reason"`
	PendingMessage          string               `json:"pending_message"`
	CompletionURL           string               `json:"completion_url"`
	OrganizationID          FlexString           `json:"organization_id"`
	Organization            *OrganizationSummary `json:"organization"`
	RevocationScope         string               `json:"revocation_scope"`
	RevocationPendingScope  string               `json:"revocation_pending_scope"`
	RenewalSupported        bool                 `json:"renewal_supported"`
	ReissueSupported        bool                 `json:"reissue_supported"`
	ValidityDays            int                  `json:"validity_days"`
	RenewalBonusDays        *int                 `json:"renewal_bonus_days"`
	SerialNumber            string               `json:"serial_number"`
	ValidFrom               Timestamp            `json:"valid_from"`
	ValidUntil              Timestamp            `json:"valid_until"`
	ContractValidFrom       Timestamp            `json:"contract_valid_from"`
	ContractValidUntil      Timestamp            `json:"contract_valid_until"`
	LastStatusCheck         Timestamp            `json:"last_status_check"`
	CertificatePEMAvailable bool                 `json:"certificate_pem_available"`
	OrderCancellable        bool                 `json:"order_cancellable"`
	OrderCancellationMode   string               `json:"order_cancellation_mode"`
	OrderCancellableUntil   Timestamp            `json:"order_cancellable_until"`
	Validation              *Validation          `json:"validation"`
	Reissue                 *Reissue             `json:"reissue"`
}

// Ready reports whether the current certificate can be downloaded, by the
// same rule regfish's own client uses: PEM available and issued or expired.
func (c *Certificate) Ready() bool {
	s := strings.ToLower(c.Status)
	return c.CertificatePEMAvailable && (s == StatusIssued || s == StatusExpired)
}

// TerminalStatus reports a certificate status from which an order can
// never be issued any more (the one list of them).
func TerminalStatus(status string) bool {
	switch strings.ToLower(status) {
	case StatusCancelled, StatusOrderCancelled, StatusRejected, StatusUnknown:
		return true
	}
	return false
}

// Terminal reports an order that can never be issued any more.
func (c *Certificate) Terminal() bool { return TerminalStatus(c.Status) }

// Pending reports an order still on its way to issuance.
func (c *Certificate) Pending() bool { return strings.EqualFold(c.Status, StatusPending) }

// IssuedOrExpired reports an order whose status says it holds a
// certificate: issued, or issued and expired since.
func (c *Certificate) IssuedOrExpired() bool {
	return strings.EqualFold(c.Status, StatusIssued) || strings.EqualFold(c.Status, StatusExpired)
}

// Names is {common_name} ∪ dns_names, normalised and sorted.
func (c *Certificate) Names() []string { return NameSet(c.CommonName, c.DNSNames) }

// CertificateRequest is the body of POST /tls/certificate.
type CertificateRequest struct {
	SKU                    string   `json:"sku"`
	CommonName             string   `json:"common_name"`
	DNSNames               []string `json:"dns_names,omitempty"`
	CSR                    string   `json:"csr"`
	DCVMethod              string   `json:"dcv_method"`
	DCVEmails              []string `json:"dcv_emails,omitempty"`
	OrgID                  string   `json:"org_id,omitempty"`
	RenewalOfCertificateID string   `json:"renewal_of_certificate_id,omitempty"`
	ValidityDays           int      `json:"validity_days,omitempty"`
}

// ReissueRequest is the body of POST /tls/certificate/{id}/reissue.
type ReissueRequest struct {
	CSR          string   `json:"csr"`
	CommonName   string   `json:"common_name,omitempty"`
	DNSNames     []string `json:"dns_names,omitempty"`
	DCVMethod    string   `json:"dcv_method"`
	Comments     string   `json:"comments,omitempty"`
	ValidityDays int      `json:"validity_days,omitempty"`
}

// RevokeRequest is the body of POST /tls/certificate/{id}/revoke (path and
// body are not documented by regfish; see the simulator's package doc).
type RevokeRequest struct {
	Comments string `json:"comments,omitempty"`
	Scope    string `json:"scope,omitempty"`
}

// ----- DNS ---------------------------------------------------------------

// Nameserver is one delegation nameserver of a zone.
type Nameserver struct {
	Host string `json:"host"`
}

// SOA is a zone's start of authority.
type SOA struct {
	PrimaryNameserver string `json:"primary_nameserver"`
	Mailbox           string `json:"mailbox"`
	Serial            int64  `json:"serial"`
	Refresh           int    `json:"refresh"`
	Retry             int    `json:"retry"`
	Expire            int    `json:"expire"`
	Minimum           int    `json:"minimum"`
	TTL               int    `json:"ttl"`
}

// Zone is a DNS zone of the account (GET /dns/zones, GET /dns/zones/{domain}).
type Zone struct {
	Domain                  string       `json:"domain"`
	Origin                  string       `json:"origin,omitempty"`
	Active                  bool         `json:"active"`
	Signed                  bool         `json:"signed"`
	UsingRegfishNameservers bool         `json:"using_regfish_nameservers"`
	DelegationNameservers   []Nameserver `json:"delegation_nameservers"`
	SOA                     *SOA         `json:"soa,omitempty"`
	RecordCount             int          `json:"record_count"`
	DNSSECState             string       `json:"dnssec_state,omitempty"`
	Counts                  *ZoneCounts  `json:"counts,omitempty"`
	DNSSEC                  *ZoneDNSSEC  `json:"dnssec,omitempty"`
	Records                 []Record     `json:"records,omitempty"`
}

// ZoneCounts are the record counts of the zone detail (CONTRACT.md §3).
type ZoneCounts struct {
	RecordsTotal  int            `json:"records_total"`
	RecordsActive int            `json:"records_active"`
	RecordsAuto   int            `json:"records_auto"`
	RecordsManual int            `json:"records_manual"`
	ByType        map[string]int `json:"by_type,omitempty"`
}

// DNSSEC modes and states of PUT /dns/{domain}/dnssec (CONTRACT.md §3.1).
const (
	DNSSECModeNone     = "none"
	DNSSECModeRegfish  = "regfish"
	DNSSECModeExternal = "external"
	DNSSECEnabled      = "enabled"
	DNSSECDisabled     = "disabled"
	DNSSECKindDS       = "ds"
	DNSSECKindDNSKEY   = "dnskey"
)

// ZoneDNSSEC is the dnssec object of the zone detail (CONTRACT.md §3.1).
type ZoneDNSSEC struct {
	Configured              bool                `json:"configured"`
	DNSSECState             string              `json:"dnssec_state,omitempty"`
	Mode                    string              `json:"mode,omitempty"`
	DesiredState            string              `json:"desired_state,omitempty"`
	LiveState               string              `json:"live_state,omitempty"`
	Capabilities            *DNSSECCapabilities `json:"capabilities,omitempty"`
	DesiredRecords          []DNSSECRecord      `json:"desired_records,omitempty"`
	LiveRecords             []DNSSECRecord      `json:"live_records,omitempty"`
	UsingRegfishNameservers bool                `json:"using_regfish_nameservers"`
	LegacyMode              bool                `json:"legacy_mode"`
	ZoneSigned              bool                `json:"zone_signed"`
	ZonePendingDisable      bool                `json:"zone_pending_disable"`
}

// Settled reports whether the zone's DNSSEC is where it was last asked to
// be: live_state equals desired_state (CONTRACT.md §3.1, assumed: no job
// endpoint is documented).
func (d *ZoneDNSSEC) Settled() bool {
	return d != nil && d.DesiredState != "" && d.LiveState == d.DesiredState && !d.ZonePendingDisable
}

// LiveAsAsked reports a zone whose DNSSEC change is done by everything
// the zone shows: Settled, no job shown (dnssec_state "pending", when the
// API reports it), and with external signing enabled the live records are
// the desired ones. A change of mode or records while DNSSEC stays enabled
// leaves both states "enabled" throughout, so Settled alone cannot tell
// (CONTRACT.md §3.1).
func (d *ZoneDNSSEC) LiveAsAsked() bool {
	if !d.Settled() || strings.EqualFold(d.DNSSECState, "pending") {
		return false
	}
	if strings.EqualFold(d.DesiredState, DNSSECEnabled) && strings.EqualFold(d.Mode, DNSSECModeExternal) && len(d.DesiredRecords) > 0 {
		return SameDNSSECRecords(d.LiveRecords, d.DesiredRecords)
	}
	return true
}

// SameDNSSECRecords compares two record lists as sets (kind, numbers,
// digest and key ignoring case and blanks).
func SameDNSSECRecords(a, b []DNSSECRecord) bool {
	key := func(r DNSSECRecord) string {
		norm := func(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }
		return fmt.Sprintf("%s|%d|%d|%d|%d|%d|%s|%s", strings.ToLower(r.Kind), r.Algorithm, r.KeyTag, r.Flags, r.Protocol, r.DigestType, norm(r.Digest), norm(r.PublicKey))
	}
	count := map[string]int{}
	for _, r := range a {
		count[key(r)]++
	}
	for _, r := range b {
		count[key(r)]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

// DNSSECCapabilities say what a zone's DNSSEC can do.
type DNSSECCapabilities struct {
	Supported             bool        `json:"supported"`
	Provider              string      `json:"provider,omitempty"`
	ModeRegfishAvailable  bool        `json:"mode_regfish_available"`
	ModeExternalAvailable bool        `json:"mode_external_available"`
	AcceptedRecordKinds   []string    `json:"accepted_record_kinds,omitempty"`
	MinRecords            int         `json:"min_records"`
	AcceptedAlgorithms    []DNSSECNum `json:"accepted_algorithms,omitempty"`
}

// DNSSECNum is a number of a DNSSEC record or capability (algorithm, key
// tag, ...): a JSON number or numeric string. Whether regfish writes them
// as numbers is assumed (CONTRACT.md §3.1); anything else (a mnemonic such
// as "ECDSAP256SHA256") reads as 0, unknown, instead of failing the whole
// zone detail.
type DNSSECNum int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *DNSSECNum) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		v = 0
	}
	*n = DNSSECNum(v)
	return nil
}

// KnownAlgorithms returns the accepted algorithms when regfish lists them
// all as numbers, else nil: the catalog is not known.
func (c *DNSSECCapabilities) KnownAlgorithms() []DNSSECNum {
	if c == nil || slices.Contains(c.AcceptedAlgorithms, 0) {
		return nil
	}
	return c.AcceptedAlgorithms
}

// DNSSECRecord is a DS or DNSKEY record of an externally signed zone (the
// body of PUT /dns/{domain}/dnssec, desired_records and live_records). The
// DNSKEY key field's name is assumed (public_key; CONTRACT.md §3.1).
type DNSSECRecord struct {
	Kind       string    `json:"kind"`
	Algorithm  DNSSECNum `json:"algorithm"`
	KeyTag     DNSSECNum `json:"key_tag,omitempty"`
	Flags      DNSSECNum `json:"flags,omitempty"`
	Protocol   DNSSECNum `json:"protocol,omitempty"`
	DigestType DNSSECNum `json:"digest_type,omitempty"`
	Digest     string    `json:"digest,omitempty"`
	PublicKey  string    `json:"public_key,omitempty"`
}

// DNSSECRequest is the body of PUT /dns/{domain}/dnssec.
type DNSSECRequest struct {
	Mode             string         `json:"mode"`
	State            string         `json:"state"`
	VerifyAfterApply bool           `json:"verify_after_apply"`
	Records          []DNSSECRecord `json:"records,omitempty"`
}

// DNSSECAnswer is what the provider reads from the answer of PUT
// /dns/{domain}/dnssec: only the pending job, which "may" be there. Its
// shape is not documented: it is kept as the raw JSON, for the log.
type DNSSECAnswer struct {
	PendingJob json.RawMessage `json:"pending_job,omitempty"`
}

// Record is a DNS resource record.
type Record struct {
	ID         FlexInt `json:"id"`
	Name       string  `json:"name"`
	Type       string  `json:"type"`
	Data       string  `json:"data"`
	TTL        int     `json:"ttl"`
	Auto       bool    `json:"auto"`
	Active     bool    `json:"active"`
	Annotation string  `json:"annotation,omitempty"`
	Priority   *int    `json:"priority,omitempty"`
	TSCreated  int64   `json:"ts_created,omitempty"`
	TSUpdated  int64   `json:"ts_updated,omitempty"`
}

// RecordRequest is the body of POST /dns/rr and the PATCH calls.
type RecordRequest struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Data       string `json:"data"`
	TTL        int    `json:"ttl,omitempty"`
	Annotation string `json:"annotation,omitempty"`
	Priority   *int   `json:"priority,omitempty"`
}
