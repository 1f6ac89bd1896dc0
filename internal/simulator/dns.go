package simulator

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// record is one DNS resource record (UNKNOWN choice 19).
type record struct {
	ID         int64  `json:"id"`
	Zone       string `json:"zone"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Data       string `json:"data"`
	TTL        int    `json:"ttl"`
	Auto       bool   `json:"auto"`
	Annotation string `json:"annotation,omitempty"`
	Priority   *int   `json:"priority,omitempty"`
	Created    int64  `json:"ts_created"`
	Updated    int64  `json:"ts_updated"`
}

type recordView struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Data       string `json:"data"`
	TTL        int    `json:"ttl"`
	Auto       bool   `json:"auto"`
	Active     bool   `json:"active"`
	Annotation string `json:"annotation,omitempty"`
	Priority   *int   `json:"priority,omitempty"`
	TSCreated  int64  `json:"ts_created"`
	TSUpdated  int64  `json:"ts_updated"`
}

func (r *record) view() recordView {
	return recordView{ID: r.ID, Name: r.Name, Type: r.Type, Data: r.Data, TTL: r.TTL, Auto: r.Auto, Active: true,
		Annotation: r.Annotation, Priority: r.Priority, TSCreated: r.Created, TSUpdated: r.Updated}
}

const (
	codeRecordNotFound = 15001
	// codeZoneNotFound: the 2024 API answered an unknown zone with 15001
	// ("Record not found"); no source shows another code for it.
	codeZoneNotFound  = 15001
	codeDuplicate     = 15003
	codeInvalidRecord = 15004
	codeCNAMEConflict = 15005
	codeAmbiguous     = 15006
	defaultTTL        = 3600
	minTTL            = 60
	maxTTL            = 604800
)

var recordTypes = map[string]bool{"A": true, "AAAA": true, "CNAME": true, "TXT": true, "MX": true, "CAA": true, "ALIAS": true, "NS": true, "SRV": true}

func fqdn(n string) string {
	h := normHost(n)
	if h == "" {
		return ""
	}
	return h + "."
}

// systemRecords is how many records regfish keeps for a zone itself (its
// NS set): counted in the zone detail's counts.records_auto, never listed
// (a zone without user records lists nothing, as observed).
const systemRecords = 2

// regfishNameservers are the delegation nameservers of every zone.
var regfishNameservers = []string{"ns1.regfish.de", "ns2.regfish.net"}

// addZone adds a zone (idempotent).
func (s *Simulator) addZone(z string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z = normHost(z)
	if slices.Contains(s.zones, z) {
		return
	}
	s.zones = append(s.zones, z)
	s.dirty = true
}

// zoneOf is the longest account zone that holds name ("" if none).
func (s *Simulator) zoneOf(name string) string {
	h, best := normHost(name), ""
	for _, z := range s.zones {
		if (h == z || strings.HasSuffix(h, "."+z)) && len(z) > len(best) {
			best = z
		}
	}
	return best
}

func (s *Simulator) isZone(d string) bool {
	d = normHost(d)
	for _, z := range s.zones {
		if z == d {
			return true
		}
	}
	return false
}

func (s *Simulator) zoneRecords(z string) []*record {
	var out []*record
	for _, r := range s.records {
		if r.Zone == z {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

type zoneView struct {
	Domain                  string            `json:"domain"`
	Origin                  string            `json:"origin"`
	Active                  bool              `json:"active"`
	Signed                  bool              `json:"signed"`
	UsingRegfishNameservers bool              `json:"using_regfish_nameservers"`
	DelegationNameservers   []map[string]any  `json:"delegation_nameservers"`
	SOA                     map[string]any    `json:"soa,omitempty"`
	RecordCount             int               `json:"record_count"`
	DNSSECState             string            `json:"dnssec_state,omitempty"`
	DNSSEC                  *dnssecView       `json:"dnssec,omitempty"`
	Counts                  map[string]any    `json:"counts,omitempty"`
	Records                 *[]zoneRecordView `json:"records,omitempty"` // the detail's, [] when none
}

// zoneRecordView is a record in the zone detail: documented without data.
type zoneRecordView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	TTL       int    `json:"ttl"`
	Auto      bool   `json:"auto"`
	Active    bool   `json:"active"`
	TSCreated int64  `json:"ts_created"`
	TSUpdated int64  `json:"ts_updated"`
}

func (s *Simulator) zoneView(z string, detail bool) zoneView {
	recs := s.zoneRecords(z)
	v := zoneView{Domain: z, Origin: z + ".", Active: true, UsingRegfishNameservers: true, RecordCount: len(recs) + systemRecords}
	for _, ns := range regfishNameservers {
		v.DelegationNameservers = append(v.DelegationNameservers, map[string]any{"host": ns})
	}
	if detail {
		records := []zoneRecordView{}
		v.Records = &records
		var last int64
		byType := map[string]int{"NS": systemRecords}
		auto := systemRecords
		for _, r := range recs {
			last = max(last, r.Updated)
			byType[r.Type]++
			if r.Auto {
				auto++
			}
			records = append(records, zoneRecordView{ID: r.ID, Name: r.Name, Type: r.Type, TTL: r.TTL, Auto: r.Auto, Active: true,
				TSCreated: r.Created, TSUpdated: r.Updated})
		}
		v.SOA = map[string]any{"primary_nameserver": regfishNameservers[0] + ".", "mailbox": "hostmaster.regfish.de.", "serial": last,
			"refresh": 14400, "retry": 3600, "expire": 604800, "minimum": 300, "ttl": 3600}
		dv := s.dnssecView(z)
		v.DNSSEC, v.DNSSECState, v.Signed = &dv, dv.DNSSECState, dv.ZoneSigned
		total := len(recs) + systemRecords
		v.Counts = map[string]any{"records_total": total, "records_active": total, "records_auto": auto,
			"records_manual": total - auto, "by_type": byType}
	}
	return v
}

func (s *Simulator) handleListZones(w http.ResponseWriter) {
	out := make([]zoneView, 0, len(s.zones))
	for _, z := range s.zones {
		out = append(out, s.zoneView(z, false))
	}
	writeOK(w, out)
}

func (s *Simulator) handleGetZone(w http.ResponseWriter, d string) {
	if !s.isZone(d) {
		writeError(w, http.StatusNotFound, codeZoneNotFound, "DNS zone not found")
		return
	}
	writeOK(w, s.zoneView(normHost(d), true))
}

// handleListRecords applies UNKNOWN choice 6 (Variants.ZoneNotFound).
func (s *Simulator) handleListRecords(w http.ResponseWriter, d string) {
	if !s.isZone(d) {
		if s.opts.Variants.ZoneNotFound == "200" {
			writeJSON(w, http.StatusOK, map[string]any{"success": false, "error": "Record not found", "code": codeRecordNotFound})
			return
		}
		writeError(w, http.StatusNotFound, codeZoneNotFound, "DNS zone not found")
		return
	}
	out := []recordView{}
	for _, r := range s.zoneRecords(normHost(d)) {
		out = append(out, r.view())
	}
	writeOK(w, out)
}

func (s *Simulator) findRecord(idStr string) *record {
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return nil
	}
	for _, r := range s.records {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (s *Simulator) handleGetRecord(w http.ResponseWriter, idStr string) {
	r := s.findRecord(idStr)
	if r == nil {
		writeError(w, http.StatusNotFound, codeRecordNotFound, "DNS record not found")
		return
	}
	writeOK(w, r.view())
}

type recordRequest struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Data       string `json:"data"`
	TTL        *int   `json:"ttl"`
	Annotation string `json:"annotation"`
	Priority   *int   `json:"priority"`
}

var (
	hostRe = regexp.MustCompile(`^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?$`)
	numRe  = regexp.MustCompile(`^\d{1,5}$`)
	caaRe  = regexp.MustCompile(`^(\d{1,3})\s+(issue|issuewild|iodef)\s+"[^"]*"$`)
)

// leadingPriority checks the number an MX or SRV data carries in front:
// it must equal priority (UNKNOWN choice 19).
func leadingPriority(typ, field string, priority int) string {
	n, err := strconv.Atoi(field)
	if !numRe.MatchString(field) || err != nil {
		return typ + " data starts with " + strconv.Quote(field) + ", which is not a number"
	}
	if n != priority {
		return fmt.Sprintf("the %s priority in data (%d) differs from priority (%d)", typ, n, priority)
	}
	return ""
}

// hostData validates a host name in data and returns it absolute.
func hostData(typ, h string) (string, string) {
	h = strings.ToLower(h)
	if !hostRe.MatchString(h) || strings.HasPrefix(h, "*.") {
		return "", typ + " data must be a host name"
	}
	return fqdn(h), ""
}

// normaliseData validates data for a type and returns its stored form
// (UNKNOWN choice 19).
func normaliseData(typ, data string, priority *int) (string, string) {
	data = strings.TrimSpace(data)
	if data == "" {
		return "", "data is required"
	}
	needsPrio := typ == "MX" || typ == "SRV"
	if needsPrio && priority == nil {
		return "", typ + " records need a priority"
	}
	if priority != nil && (*priority < 0 || *priority > 10000) {
		return "", "priority must be between 0 and 10000"
	}
	switch typ {
	case "A":
		ip := net.ParseIP(data)
		if ip == nil || ip.To4() == nil {
			return "", "A data must be an IPv4 address"
		}
		return ip.To4().String(), ""
	case "AAAA":
		ip := net.ParseIP(data)
		if ip == nil || ip.To4() != nil {
			return "", "AAAA data must be an IPv6 address"
		}
		return ip.String(), ""
	case "CNAME", "NS", "ALIAS":
		return hostData(typ, data)
	case "MX":
		// "target" or "preference target"; stored as "preference target".
		f := strings.Fields(data)
		switch len(f) {
		case 1:
		case 2:
			if msg := leadingPriority(typ, f[0], *priority); msg != "" {
				return "", msg
			}
			f = f[1:]
		default:
			return "", `MX data must be "target" or "preference target"`
		}
		h, msg := hostData(typ, f[0])
		if msg != "" {
			return "", msg
		}
		return strconv.Itoa(*priority) + " " + h, ""
	case "SRV":
		// "weight port target" or "priority weight port target"; stored
		// as "priority weight port target".
		f := strings.Fields(data)
		switch len(f) {
		case 3:
		case 4:
			if msg := leadingPriority(typ, f[0], *priority); msg != "" {
				return "", msg
			}
			f = f[1:]
		default:
			return "", `SRV data must be "weight port target" or "priority weight port target"`
		}
		var nums [2]int
		for i := range nums {
			n, err := strconv.Atoi(f[i])
			if !numRe.MatchString(f[i]) || err != nil || n > 65535 {
				return "", `SRV data must be "weight port target" with weight and port between 0 and 65535`
			}
			nums[i] = n
		}
		h, msg := hostData(typ, f[2])
		if msg != "" {
			return "", `SRV data must be "weight port target": ` + msg
		}
		return fmt.Sprintf("%d %d %d %s", *priority, nums[0], nums[1], h), ""
	case "CAA":
		if !caaRe.MatchString(data) {
			return "", `CAA data must be 'flags tag "value"' (tag issue, issuewild or iodef)`
		}
		return data, ""
	case "TXT":
		if len(data) > 4096 {
			return "", "TXT data is longer than 4096 characters"
		}
		return data, ""
	}
	return "", "unsupported record type " + typ
}

// dataWithoutPriority is a stored record's data without the MX or SRV
// priority in front, the form a PATCH that omits data keeps.
func (r *record) dataWithoutPriority() string {
	if (r.Type == "MX" || r.Type == "SRV") && r.Priority != nil {
		if f := strings.Fields(r.Data); len(f) > 1 && f[0] == strconv.Itoa(*r.Priority) {
			return strings.Join(f[1:], " ")
		}
	}
	return r.Data
}

// checkRecord checks a validated record against the others (self is the
// id of the record being updated, 0 on create); it returns an HTTP
// status, API code and message on failure (UNKNOWN choice 19).
func (s *Simulator) checkRecord(rec *record, self int64) (int, int, string) {
	if rec.Type == "CNAME" && rec.Name == rec.Zone+"." {
		return http.StatusConflict, codeCNAMEConflict, "A CNAME record is not allowed at the zone apex"
	}
	var same []*record
	for _, o := range s.records {
		if o.ID != self && o.Name == rec.Name {
			same = append(same, o)
		}
	}
	for _, o := range same {
		if o.Type == rec.Type && strings.EqualFold(o.Data, rec.Data) {
			return http.StatusExpectationFailed, codeDuplicate, "Record already exists (please use the UI to manage RR load balancers)"
		}
	}
	// RFC 1034 section 3.6.2: a CNAME is the only record at its name, so
	// neither a second CNAME nor any other record may sit beside it. The
	// answer is Variants.CNAMEConflict.
	for _, o := range same {
		if o.Type == "CNAME" || rec.Type == "CNAME" {
			msg := fmt.Sprintf("A CNAME record must be the only record at its name: %s already holds a %s record (id %d)", rec.Name, o.Type, o.ID)
			switch s.opts.Variants.CNAMEConflict {
			case "400":
				return http.StatusBadRequest, codeInvalidRecord, "Invalid request: " + msg
			case "417":
				return http.StatusExpectationFailed, codeDuplicate, "Record already exists (please use the UI to manage RR load balancers)"
			}
			return http.StatusConflict, codeCNAMEConflict, msg
		}
	}
	return 0, 0, ""
}

// buildRecord validates a request into a record (zone given or detected).
func (s *Simulator) buildRecord(in recordRequest, zone string) (*record, int, int, string) {
	typ := strings.ToUpper(strings.TrimSpace(in.Type))
	if typ == "" {
		return nil, http.StatusBadRequest, codeInvalidRecord, "Invalid request: type is required"
	}
	if !recordTypes[typ] {
		return nil, http.StatusBadRequest, codeInvalidRecord, "Invalid request: unsupported record type " + typ
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, http.StatusBadRequest, codeInvalidRecord, "Invalid request: name is required"
	}
	if zone != "" {
		// PATCH by id: "@" is the apex, a relative name lies below the zone.
		switch {
		case name == "@":
			name = zone
		case !strings.HasSuffix(name, ".") && !strings.HasSuffix(normHost(name), "."+zone) && normHost(name) != zone:
			name = name + "." + zone
		}
	}
	if !hostRe.MatchString(strings.ToLower(name)) {
		return nil, http.StatusBadRequest, codeInvalidRecord, "Invalid request: invalid record name " + in.Name
	}
	z := s.zoneOf(name)
	if z == "" {
		return nil, http.StatusNotFound, codeZoneNotFound, "DNS zone not found"
	}
	if zone != "" && z != zone {
		return nil, http.StatusBadRequest, codeInvalidRecord, "Invalid request: name " + in.Name + " is not in zone " + zone
	}
	data, msg := normaliseData(typ, in.Data, in.Priority)
	if msg != "" {
		return nil, http.StatusBadRequest, codeInvalidRecord, "Invalid request: " + msg
	}
	ttl := defaultTTL
	if in.TTL != nil && *in.TTL != 0 {
		ttl = *in.TTL
	}
	if ttl < minTTL || ttl > maxTTL {
		return nil, http.StatusBadRequest, codeInvalidRecord, "Invalid request: ttl must be between 60 and 604800"
	}
	var prio *int
	if in.Priority != nil && (typ == "MX" || typ == "SRV") {
		p := *in.Priority
		prio = &p
	}
	annotation := strings.TrimSpace(in.Annotation)
	if s.opts.Variants.Annotation == "dropped" {
		annotation = ""
	}
	return &record{Zone: z, Name: fqdn(name), Type: typ, Data: data, TTL: ttl, Annotation: annotation, Priority: prio}, 0, 0, ""
}

func (s *Simulator) handleCreateRecord(w http.ResponseWriter, r *http.Request) {
	var in recordRequest
	if !decodeBody(w, r, &in) {
		return
	}
	rec, st, code, msg := s.buildRecord(in, "")
	if rec == nil {
		writeError(w, st, code, msg)
		return
	}
	if st, code, msg := s.checkRecord(rec, 0); st != 0 {
		writeError(w, st, code, msg)
		return
	}
	now := s.clock.Now().Unix()
	rec.ID, rec.Created, rec.Updated = s.nextRR, now, now
	s.nextRR++
	s.records = append(s.records, rec)
	s.dirty = true
	writeOK(w, rec.view())
}

// update applies a validated replacement to an existing record.
func (s *Simulator) update(w http.ResponseWriter, old *record, in recordRequest, zone string) {
	if old.Auto {
		writeError(w, http.StatusConflict, codeInvalidRecord, "System-managed records cannot be changed")
		return
	}
	if in.TTL == nil {
		t := old.TTL
		in.TTL = &t
	}
	if in.Annotation == "" {
		in.Annotation = old.Annotation
	}
	if in.Priority == nil && old.Priority != nil {
		p := *old.Priority
		in.Priority = &p
	}
	rec, st, code, msg := s.buildRecord(in, zone)
	if rec == nil {
		writeError(w, st, code, msg)
		return
	}
	if st, code, msg := s.checkRecord(rec, old.ID); st != 0 {
		writeError(w, st, code, msg)
		return
	}
	old.Zone, old.Name, old.Type, old.Data, old.TTL, old.Annotation, old.Priority = rec.Zone, rec.Name, rec.Type, rec.Data, rec.TTL, rec.Annotation, rec.Priority
	old.Updated = s.clock.Now().Unix()
	s.dirty = true
	writeOK(w, old.view())
}

func (s *Simulator) handlePatchByNameType(w http.ResponseWriter, r *http.Request) {
	var in recordRequest
	if !decodeBody(w, r, &in) {
		return
	}
	name, typ := fqdn(in.Name), strings.ToUpper(strings.TrimSpace(in.Type))
	if name == "" || typ == "" {
		writeError(w, http.StatusBadRequest, codeInvalidRecord, "Invalid request: name and type are required")
		return
	}
	var matches []*record
	for _, rr := range s.records {
		if rr.Name == name && rr.Type == typ {
			matches = append(matches, rr)
		}
	}
	switch len(matches) {
	case 0:
		writeError(w, http.StatusNotFound, codeRecordNotFound, "DNS record not found")
	case 1:
		s.update(w, matches[0], in, "")
	default:
		writeError(w, http.StatusConflict, codeAmbiguous, "Several records match "+name+" "+typ+"; update them by id")
	}
}

func (s *Simulator) handlePatchRecord(w http.ResponseWriter, r *http.Request, idStr string) {
	old := s.findRecord(idStr)
	if old == nil {
		writeError(w, http.StatusNotFound, codeRecordNotFound, "DNS record not found")
		return
	}
	var in recordRequest
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Type == "" {
		in.Type = old.Type
	}
	if in.Name == "" {
		in.Name = old.Name
	}
	if in.Data == "" {
		in.Data = old.dataWithoutPriority()
	}
	s.update(w, old, in, old.Zone)
}

func (s *Simulator) handleDeleteRecord(w http.ResponseWriter, idStr string) {
	old := s.findRecord(idStr)
	if old == nil {
		writeError(w, http.StatusNotFound, codeRecordNotFound, "DNS record not found")
		return
	}
	if old.Auto {
		writeError(w, http.StatusConflict, codeInvalidRecord, "System-managed records cannot be deleted")
		return
	}
	for i, rr := range s.records {
		if rr == old {
			s.records = append(s.records[:i], s.records[i+1:]...)
			break
		}
	}
	s.dirty = true
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "error": "Record successfully deleted", "code": 0})
}
