package simulator

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Organizations: their records, vetting and handlers.

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
