package simulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DNSSECCapabilities are what a zone's DNSSEC can do: the capabilities
// object of the zone detail's dnssec (CONTRACT.md §3.1). The simulator's
// own type: it never imports the client.
type DNSSECCapabilities struct {
	Supported             bool     `json:"supported"`
	Provider              string   `json:"provider"`
	ModeRegfishAvailable  bool     `json:"mode_regfish_available"`
	ModeExternalAvailable bool     `json:"mode_external_available"`
	AcceptedRecordKinds   []string `json:"accepted_record_kinds"`
	MinRecords            int      `json:"min_records"`
	AcceptedAlgorithms    []int    `json:"accepted_algorithms"`
}

// DefaultDNSSECCapabilities are the capabilities of a zone without its own
// (UNKNOWN choice 27): both modes, DS and DNSKEY records, at least one,
// the algorithms RFC 8624 recommends for signing and validation.
func DefaultDNSSECCapabilities() DNSSECCapabilities {
	return DNSSECCapabilities{Supported: true, Provider: "regfish", ModeRegfishAvailable: true, ModeExternalAvailable: true,
		AcceptedRecordKinds: []string{"ds", "dnskey"}, MinRecords: 1, AcceptedAlgorithms: []int{8, 13, 14, 15, 16}}
}

// simInt is a JSON number or numeric string (the simulator's reading of a
// record's numeric fields).
type simInt int

func (n *simInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	*n = simInt(v)
	return nil
}

// dnssecRecord is a DS or DNSKEY record of PUT /dns/{domain}/dnssec.
type dnssecRecord struct {
	Kind       string `json:"kind"`
	Algorithm  simInt `json:"algorithm"`
	KeyTag     simInt `json:"key_tag,omitempty"`
	Flags      simInt `json:"flags,omitempty"`
	Protocol   simInt `json:"protocol,omitempty"`
	DigestType simInt `json:"digest_type,omitempty"`
	Digest     string `json:"digest,omitempty"`
	PublicKey  string `json:"public_key,omitempty"`
}

// dnssecJob is the pending job of a DNSSEC change.
type dnssecJob struct {
	ID     string    `json:"id"`
	Action string    `json:"action"`
	Due    time.Time `json:"due"`
}

// zoneDNSSEC is a zone's DNSSEC: what was asked for (Mode, Desired,
// DesiredRecords) and what is live.
type zoneDNSSEC struct {
	Mode             string         `json:"mode"`
	Desired          string         `json:"desired_state"`
	DesiredRecords   []dnssecRecord `json:"desired_records,omitempty"`
	LiveMode         string         `json:"live_mode"`
	Live             string         `json:"live_state"`
	LiveRecords      []dnssecRecord `json:"live_records,omitempty"`
	VerifyAfterApply bool           `json:"verify_after_apply,omitempty"`
	Job              *dnssecJob     `json:"job,omitempty"`
}

func newZoneDNSSEC() *zoneDNSSEC {
	return &zoneDNSSEC{Mode: "none", Desired: "disabled", LiveMode: "none", Live: "disabled"}
}

// dnssecOf returns zone z's DNSSEC, settled up to now (s.mu held).
func (s *Simulator) dnssecOf(z string) *zoneDNSSEC {
	d := s.dnssec[z]
	if d == nil {
		d = newZoneDNSSEC()
		s.dnssec[z] = d
	}
	if d.Job != nil && !s.clock.Now().Before(d.Job.Due) {
		s.carryOut(z, d)
	}
	return d
}

// carryOut makes the desired DNSSEC live (the pending job done).
func (s *Simulator) carryOut(z string, d *zoneDNSSEC) {
	d.Job = nil
	d.LiveMode, d.Live = d.Mode, d.Desired
	switch {
	case d.Live != "enabled":
		d.LiveRecords = nil
	case d.Mode == "regfish":
		d.LiveRecords = regfishKeyRecords(z)
	default:
		d.LiveRecords = slices.Clone(d.DesiredRecords)
	}
	s.dirty = true
}

// regfishKeyRecords are the DS and DNSKEY records of the key regfish signs
// zone z with (UNKNOWN choice 27): algorithm 13, a key derived from the
// zone's name, its DS with digest type 2 (SHA-256).
func regfishKeyRecords(z string) []dnssecRecord {
	key := sha256.Sum256([]byte("regfish-sim ksk " + z))
	pub := base64.StdEncoding.EncodeToString(append(key[:], key[:]...)) // 64 bytes: a P-256 point's size
	tag := int(binary.BigEndian.Uint16(key[:2]))
	digest := sha256.Sum256(append([]byte(z+"."), key[:]...))
	return []dnssecRecord{
		{Kind: "ds", Algorithm: 13, KeyTag: simInt(tag), DigestType: 2, Digest: strings.ToUpper(hex.EncodeToString(digest[:]))},
		{Kind: "dnskey", Algorithm: 13, Flags: 257, Protocol: 3, PublicKey: pub},
	}
}

// capabilities returns zone z's DNSSEC capabilities (s.mu held).
func (s *Simulator) capabilities(z string) DNSSECCapabilities {
	if c, ok := s.dnssecCaps[z]; ok {
		return c
	}
	return DefaultDNSSECCapabilities()
}

// dnssecView is the zone detail's dnssec object (CONTRACT.md §3.1).
type dnssecView struct {
	Configured              bool               `json:"configured"`
	DNSSECState             string             `json:"dnssec_state"`
	Mode                    string             `json:"mode"`
	DesiredState            string             `json:"desired_state"`
	LiveState               string             `json:"live_state"`
	Capabilities            DNSSECCapabilities `json:"capabilities"`
	DesiredRecords          []dnssecRecord     `json:"desired_records"`
	LiveRecords             []dnssecRecord     `json:"live_records"`
	UsingRegfishNameservers bool               `json:"using_regfish_nameservers"`
	LegacyMode              bool               `json:"legacy_mode"`
	ZoneSigned              bool               `json:"zone_signed"`
	ZonePendingDisable      bool               `json:"zone_pending_disable"`
}

// dnssecState is the zone's dnssec_state (UNKNOWN choice 27): "signed"
// while live, "pending" while a job runs, else "unsigned".
func (d *zoneDNSSEC) state() string {
	switch {
	case d.Job != nil:
		return "pending"
	case d.Live == "enabled":
		return "signed"
	}
	return "unsigned"
}

func (s *Simulator) dnssecView(z string) dnssecView {
	d := s.dnssecOf(z)
	v := dnssecView{Configured: d.Mode != "none", DNSSECState: d.state(), Mode: d.Mode, DesiredState: d.Desired, LiveState: d.Live,
		Capabilities: s.capabilities(z), DesiredRecords: d.DesiredRecords, LiveRecords: d.LiveRecords, UsingRegfishNameservers: true,
		ZoneSigned: d.Live == "enabled", ZonePendingDisable: d.Job != nil && d.Desired == "disabled"}
	if v.DesiredRecords == nil {
		v.DesiredRecords = []dnssecRecord{}
	}
	if v.LiveRecords == nil {
		v.LiveRecords = []dnssecRecord{}
	}
	return v
}

type dnssecRequest struct {
	Mode             string         `json:"mode"`
	State            string         `json:"state"`
	VerifyAfterApply bool           `json:"verify_after_apply"`
	Records          []dnssecRecord `json:"records"`
}

var hexRe = regexp.MustCompile(`^[0-9A-Fa-f]+$`)

// checkDNSSECRecord checks the fields a record of its kind needs ("" when
// complete).
func checkDNSSECRecord(i int, r dnssecRecord) string {
	switch r.Kind {
	case "ds":
		if r.KeyTag <= 0 || r.KeyTag > 65535 || r.DigestType <= 0 || !hexRe.MatchString(r.Digest) {
			return fmt.Sprintf("record %d: a DS record needs key_tag (1-65535), digest_type and a hex digest", i+1)
		}
	case "dnskey":
		if r.Flags <= 0 || r.Protocol != 3 || r.PublicKey == "" {
			return fmt.Sprintf("record %d: a DNSKEY record needs flags, protocol 3 and public_key", i+1)
		}
		if _, err := base64.StdEncoding.DecodeString(r.PublicKey); err != nil {
			return fmt.Sprintf("record %d: public_key is not base64", i+1)
		}
	default:
		return fmt.Sprintf("record %d: kind must be ds or dnskey", i+1)
	}
	if r.Algorithm <= 0 {
		return fmt.Sprintf("record %d: algorithm is required", i+1)
	}
	return ""
}

// refusal is what a zone cannot do: the answer's status is
// Variants.DNSSECRefused (UNKNOWN choice 27).
func (s *Simulator) refuseDNSSEC(w http.ResponseWriter, z, msg string) {
	st := http.StatusUnprocessableEntity
	switch s.opts.Variants.DNSSECRefused {
	case "400":
		st = http.StatusBadRequest
	case "409":
		st = http.StatusConflict
	}
	writeError(w, st, 0, "DNSSEC for "+z+": "+msg)
}

// dnssecRefusal says why zone z cannot do what in asks ("" when it can).
func dnssecRefusal(c DNSSECCapabilities, in dnssecRequest) string {
	if in.State == "enabled" && !c.Supported {
		return "DNSSEC is not supported for this zone"
	}
	switch {
	case in.Mode == "regfish" && !c.ModeRegfishAvailable:
		return "mode regfish is not available for this zone"
	case in.Mode == "external" && !c.ModeExternalAvailable:
		return "mode external is not available for this zone"
	}
	if in.Mode != "external" || in.State != "enabled" {
		return ""
	}
	if len(in.Records) < c.MinRecords {
		return fmt.Sprintf("at least %d record(s) are required", c.MinRecords)
	}
	for i, r := range in.Records {
		if len(c.AcceptedRecordKinds) > 0 && !slices.Contains(c.AcceptedRecordKinds, r.Kind) {
			return fmt.Sprintf("record %d: kind %s is not accepted (accepted: %s)", i+1, r.Kind, strings.Join(c.AcceptedRecordKinds, ", "))
		}
		if len(c.AcceptedAlgorithms) > 0 && !slices.Contains(c.AcceptedAlgorithms, int(r.Algorithm)) {
			return fmt.Sprintf("record %d: algorithm %d is not accepted", i+1, r.Algorithm)
		}
	}
	return ""
}

// handleSetDNSSEC serves PUT /dns/{domain}/dnssec (UNKNOWN choice 27).
func (s *Simulator) handleSetDNSSEC(w http.ResponseWriter, r *http.Request, domain string) {
	if !s.isZone(domain) {
		writeError(w, http.StatusNotFound, codeZoneNotFound, "DNS zone not found")
		return
	}
	z := normHost(domain)
	var in dnssecRequest
	if !decodeBody(w, r, &in) {
		return
	}
	in.Mode, in.State = strings.ToLower(strings.TrimSpace(in.Mode)), strings.ToLower(strings.TrimSpace(in.State))
	for i := range in.Records {
		in.Records[i].Kind = strings.ToLower(strings.TrimSpace(in.Records[i].Kind))
	}
	switch {
	case in.Mode != "none" && in.Mode != "regfish" && in.Mode != "external":
		writeError(w, http.StatusBadRequest, 0, "Invalid request: mode must be none, regfish or external")
		return
	case in.State != "enabled" && in.State != "disabled":
		writeError(w, http.StatusBadRequest, 0, "Invalid request: state must be enabled or disabled")
		return
	case in.Mode == "none" && in.State == "enabled":
		writeError(w, http.StatusBadRequest, 0, "Invalid request: mode none cannot be enabled")
		return
	case in.Mode != "external" && len(in.Records) > 0:
		writeError(w, http.StatusBadRequest, 0, "Invalid request: records are only taken with mode external")
		return
	}
	for i, rec := range in.Records {
		if msg := checkDNSSECRecord(i, rec); msg != "" {
			writeError(w, http.StatusBadRequest, 0, "Invalid request: "+msg)
			return
		}
	}
	if msg := dnssecRefusal(s.capabilities(z), in); msg != "" {
		s.refuseDNSSEC(w, z, msg)
		return
	}
	d := s.dnssecOf(z)
	records := in.Records
	if in.Mode != "external" {
		records = nil
	}
	same := d.Mode == in.Mode && d.Desired == in.State && recordsEqual(d.DesiredRecords, records)
	d.VerifyAfterApply = in.VerifyAfterApply
	if !same {
		d.Mode, d.Desired, d.DesiredRecords = in.Mode, in.State, records
		action := "dnssec_update"
		switch {
		case d.Desired == "enabled" && d.Live != "enabled":
			action = "dnssec_enable"
		case d.Desired == "disabled" && d.Live == "enabled":
			action = "dnssec_disable"
		}
		d.Job = &dnssecJob{ID: "job_" + randomID(10), Action: action, Due: s.clock.Now().Add(s.opts.DNSSECDelay)}
		s.stats.DNSSECJobs++
		s.dirty = true
		if s.opts.DNSSECDelay <= 0 {
			s.carryOut(z, d)
		}
	}
	out := struct {
		dnssecView
		PendingJob map[string]any `json:"pending_job,omitempty"`
	}{dnssecView: s.dnssecView(z)}
	if d.Job != nil {
		out.PendingJob = map[string]any{"id": d.Job.ID, "status": "pending", "action": d.Job.Action}
	}
	writeOK(w, out)
}

func recordsEqual(a, b []dnssecRecord) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !strings.EqualFold(x.Digest, y.Digest) {
			return false
		}
		x.Digest, y.Digest = "", ""
		if x != y {
			return false
		}
	}
	return true
}

// ----- controls ------------------------------------------------------------

// SetDNSSECDelay sets how long a DNSSEC change stays a pending job.
func (s *Simulator) SetDNSSECDelay(d time.Duration) { _ = s.Apply(Settings{DNSSECDelay: &d}) }

// SetDNSSECCapabilities sets what zone's DNSSEC can do.
func (s *Simulator) SetDNSSECCapabilities(zone string, c DNSSECCapabilities) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dnssecCaps[normHost(zone)] = c
}

// DNSSECInfo is a zone's DNSSEC as the simulator holds it.
type DNSSECInfo struct {
	Mode, DesiredState, LiveState string
	// PendingJob is the id of the running job ("" when none).
	PendingJob string
	// DesiredRecords is how many records were asked for.
	DesiredRecords int
}

// DNSSEC returns zone's DNSSEC, settled up to now.
func (s *Simulator) DNSSEC(zone string) DNSSECInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dnssecOf(normHost(zone))
	out := DNSSECInfo{Mode: d.Mode, DesiredState: d.Desired, LiveState: d.Live, DesiredRecords: len(d.DesiredRecords)}
	if d.Job != nil {
		out.PendingJob = d.Job.ID
	}
	return out
}

var _ json.Marshaler = simInt(0)

// MarshalJSON writes the number.
func (n simInt) MarshalJSON() ([]byte, error) { return []byte(strconv.Itoa(int(n))), nil }
