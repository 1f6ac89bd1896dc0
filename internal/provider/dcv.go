package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/net/publicsuffix"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// DCV records: the _dnsauth CNAMEs this provider publishes in regfish DNS
// for an order or a reissue, and removes once the certificate is issued.

// dcvAnnotationPrefix marks the DCV records this provider publishes.
const dcvAnnotationPrefix = "managed by terraform-provider-regfish"

// dcvAnnotation is what the annotation of a published DCV record says: the
// certificate it was published for and the key fingerprint of the CSR
// (which tells this configuration's order from another workspace's).
type dcvAnnotation struct {
	CertificateID string
	Key           string
	// KeyVersion: the private_key_wo_version of a configuration whose key
	// is write-only ("" with a csr).
	KeyVersion string
}

func (a dcvAnnotation) String() string {
	s := dcvAnnotationPrefix + "; certificate_id=" + a.CertificateID
	if a.Key != "" {
		s += "; key=" + a.Key
	}
	if a.KeyVersion != "" {
		s += "; key_version=" + a.KeyVersion
	}
	return s
}

// parseDCVAnnotation is the one parser of the annotation; ok is false for
// records this provider did not publish.
func parseDCVAnnotation(s string) (dcvAnnotation, bool) {
	parts := strings.Split(s, ";")
	if strings.TrimSpace(parts[0]) != dcvAnnotationPrefix {
		return dcvAnnotation{}, false
	}
	var a dcvAnnotation
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "certificate_id":
			a.CertificateID = v
		case "key":
			a.Key = v
		case "key_version":
			a.KeyVersion = v
		}
	}
	return a, a.CertificateID != ""
}

// errNoZone is a name that no DNS zone of the account holds.
var errNoZone = errors.New("not in any DNS zone of the regfish account")

// publishDCV creates the DCV CNAMEs of order id. It creates each record
// directly and remembers the ids for the cleanup. A refused create (an
// identical record, a CNAME beside another record: regfish's status for
// the latter is not documented, so any refusal counts) is followed by a
// read of the name, and what is there decides: this order's CNAME is
// published already; a stale record is removed and the create repeated; a
// live pending order's record is waited for. API failures are returned
// wrapped, so that the waiter rides out transient ones.
func (o *orderer) publishDCV(ctx context.Context, id string, recs []regfish.ValidationRecord) error {
	var names []string
	for _, v := range recs {
		if strings.EqualFold(v.Type, "CNAME") || v.Type == "" {
			names = append(names, regfish.Fqdn(v.Name))
		}
	}
	if err := o.takeDCVTurn(ctx, names, id); err != nil {
		return err
	}
	if o.publishedNames == nil {
		o.publishedNames = map[string][]string{}
	}
	o.publishedNames[id] = names
	seen := map[string]bool{}
	for _, v := range recs {
		if !strings.EqualFold(v.Type, "CNAME") && v.Type != "" {
			continue
		}
		name, target := regfish.Fqdn(v.Name), regfish.Fqdn(v.Value)
		if seen[name+" "+target] {
			continue // a wildcard and its apex share one record
		}
		seen[name+" "+target] = true
		o.rememberToken(id, target)
		zone, err := o.d.zoneFor(ctx, v.Name)
		if errors.Is(err, errNoZone) {
			return fmt.Errorf("certificate %s: cannot publish DCV record %s: %w. Add the zone to regfish DNS, or use dcv_method = \"email\"", id, v.Name, err)
		}
		if err != nil {
			return fmt.Errorf("certificate %s: finding the DNS zone of DCV record %s: %w", id, v.Name, err)
		}
		err = o.createDCV(ctx, id, name, target)
		switch {
		case err == nil:
		case dcvRefused(err):
			if err := o.publishOverRefusal(ctx, id, zone, v, err); err != nil {
				return err
			}
		case errors.Is(err, regfish.ErrMaybeProcessed):
			again, lerr := o.d.client.ListRecords(ctx, zone)
			if lerr != nil {
				return fmt.Errorf("certificate %s: publishing DCV record %s: %w (and listing zone %s to see whether it was created failed: %v)", id, v.Name, err, zone, lerr)
			}
			if !o.adoptPublished(id, again, v) {
				return fmt.Errorf("certificate %s: publishing DCV record %s: %w", id, v.Name, err)
			}
		default:
			return fmt.Errorf("certificate %s: publishing DCV record %s in zone %s: %w", id, v.Name, zone, err)
		}
		tflog.Info(ctx, "regfish: published DCV record "+name, map[string]any{"certificate_id": id, "zone": zone})
	}
	return nil
}

// dcvRefused reports a create of a DCV record that regfish refused in a way
// that may mean "the name holds a record": 409 (conflict), 417 (duplicate,
// code 15003 observed for an identical record), 400 or 422 (validation).
// Which status regfish gives a second CNAME at one name is not documented,
// so the name is read before anything is decided.
func dcvRefused(err error) bool {
	return errors.Is(err, regfish.ErrConflict) || errors.Is(err, regfish.ErrDuplicate) || errors.Is(err, regfish.ErrValidation)
}

// publishOverRefusal finishes publishing DCV CNAME v of order id after
// regfish refused to create it (refusal): it reads the name and acts on
// what is there, up to three times (other orders of the run may publish
// there meanwhile), then waits for a turn.
func (o *orderer) publishOverRefusal(ctx context.Context, id, zone string, v regfish.ValidationRecord, refusal error) error {
	free := 0
	for attempt := 1; ; attempt++ {
		recs, err := o.d.client.ListRecords(ctx, zone)
		if err != nil {
			return fmt.Errorf("certificate %s: DCV record %s could not be published (%v), and listing zone %s to see why failed: %w", id, v.Name, refusal, zone, err)
		}
		if o.adoptPublished(id, recs, v) {
			return nil // this order's record is there already
		}
		held := false
		for _, r := range recs {
			held = held || regfish.Fqdn(r.Name) == regfish.Fqdn(v.Name)
		}
		switch {
		case !held && free > 0:
			// refused twice with nothing at the name: the refusal is
			// about the record itself
			return fmt.Errorf("certificate %s: publishing DCV record %s in zone %s: %w", id, v.Name, zone, refusal)
		case !held:
			// the holder (another order, another workspace) may have
			// removed its record between the refusal and the listing:
			// create again
			free++
		default:
			if err := o.clearDCVName(ctx, id, recs, v); err != nil {
				return err
			}
		}
		err = o.createDCV(ctx, id, regfish.Fqdn(v.Name), regfish.Fqdn(v.Value))
		switch {
		case err == nil:
			return nil
		case !dcvRefused(err):
			return fmt.Errorf("certificate %s: publishing DCV record %s in zone %s after removing a stale one: %w", id, v.Name, zone, err)
		case attempt == 3:
			// other orders keep publishing there: wait for a turn
			return &dcvHeldError{Name: regfish.Fqdn(v.Name)}
		}
		refusal = err
	}
}

// adoptPublished reports whether recs hold DCV CNAME v of order id (the
// same name and target: published by an earlier run, or by a request whose
// answer was lost), and remembers its record id for the cleanup.
func (o *orderer) adoptPublished(id string, recs []regfish.Record, v regfish.ValidationRecord) bool {
	for _, r := range recs {
		if strings.EqualFold(r.Type, "CNAME") && regfish.Fqdn(r.Name) == regfish.Fqdn(v.Name) && regfish.Fqdn(r.Data) == regfish.Fqdn(v.Value) {
			o.rememberCreated(id, int64(r.ID))
			return true
		}
	}
	return false
}

// rememberToken notes a DCV token target of order id: a record pointing to
// it is this order's, with or without the annotation.
func (o *orderer) rememberToken(id, target string) {
	if o.tokens == nil {
		o.tokens = map[string][]string{}
	}
	if t := regfish.Hostname(target); !slices.Contains(o.tokens[id], t) {
		o.tokens[id] = append(o.tokens[id], t)
	}
}

func (o *orderer) rememberCreated(id string, rr int64) {
	if o.created == nil {
		o.created = map[string][]int64{}
	}
	if !slices.Contains(o.created[id], rr) {
		o.created[id] = append(o.created[id], rr)
	}
}

// orderTokens returns the DCV token targets order c asks for, of the order
// and of its reissue (lower case, no trailing dot).
func orderTokens(c *regfish.Certificate) []string {
	var out []string
	add := func(v *regfish.Validation) {
		if v == nil {
			return
		}
		for _, r := range v.DNSRecords {
			if t := regfish.Hostname(r.Value); t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	add(c.Validation)
	if c.Reissue != nil {
		add(c.Reissue.Validation)
	}
	return out
}

// dcvOwner finds the order of the account a DCV record without this
// provider's annotation belongs to: the order whose DCV token target is the
// record's CNAME target. The account's list is read as cached, then once
// afresh; "" when no order of the account asks for that target.
func (o *orderer) dcvOwner(ctx context.Context, r regfish.Record) (string, error) {
	if !strings.EqualFold(r.Type, "CNAME") {
		return "", nil
	}
	target := regfish.Hostname(r.Data)
	for _, fresh := range []bool{false, true} {
		certs, err := o.d.accountOrders(ctx, fresh)
		if err != nil {
			return "", err
		}
		for i := range certs {
			if slices.Contains(orderTokens(&certs[i]), target) {
				return certs[i].ID, nil
			}
		}
	}
	return "", nil
}

// holdDCVName takes the DCV record names of order id within this provider
// process, all of them or none. Under the registrable-domain scope every certificate of a domain
// needs the same _dnsauth name, and a CNAME holds one token at a time: the
// orders of one run take turns instead of racing for the record (each race
// costs a 409, a zone listing and a status read). While another order of
// the run holds the name, the caller waits and checks its own status, so
// that an order the CA validates meanwhile (domain validation reuse) never
// publishes at all. It reports whether id may publish now, else a holder and
// a channel closed when that holder lets go.
func (d *providerData) holdDCVName(names []string, id string) (string, <-chan struct{}, bool) {
	d.dcvMu.Lock()
	defer d.dcvMu.Unlock()
	// all or none: an order never holds one name while it waits for
	// another (two multi-domain orders would wait for each other)
	for _, name := range names {
		if h, ok := d.dcvNames[name]; ok && h.id != id {
			return h.id, h.done, false
		}
	}
	if d.dcvNames == nil {
		d.dcvNames = map[string]*dcvHold{}
	}
	for _, name := range names {
		if _, ok := d.dcvNames[name]; !ok {
			d.dcvNames[name] = &dcvHold{id: id, done: make(chan struct{})}
		}
	}
	return id, nil, true
}

// recheck notes that order id's status is read once before it publishes
// (takeDCVTurn): it is not asked again in this operation.
func (o *orderer) recheck(id string) {
	if o.rechecked == nil {
		o.rechecked = map[string]bool{}
	}
	o.rechecked[id] = true
}

// noteDCVProved records that an order of this process was issued after
// its DCV records at names were published.
func (d *providerData) noteDCVProved(names []string) {
	if len(names) == 0 {
		return
	}
	d.dcvMu.Lock()
	defer d.dcvMu.Unlock()
	if d.dcvProved == nil {
		d.dcvProved = map[string]bool{}
	}
	for _, n := range names {
		d.dcvProved[n] = true
	}
}

// dcvProvedAll reports whether every one of names proved its domain for an
// order of this process (noteDCVProved).
func (d *providerData) dcvProvedAll(names []string) bool {
	d.dcvMu.Lock()
	defer d.dcvMu.Unlock()
	for _, n := range names {
		if !d.dcvProved[n] {
			return false
		}
	}
	return len(names) > 0
}

// releaseDCVNames gives up the names ids hold (after their records are
// removed, or when the operation ends either way) and wakes their waiters.
func (d *providerData) releaseDCVNames(ids ...string) {
	d.dcvMu.Lock()
	defer d.dcvMu.Unlock()
	for n, h := range d.dcvNames {
		if slices.Contains(ids, h.id) {
			close(h.done)
			delete(d.dcvNames, n)
		}
	}
}

// dcvTurnWait bounds how long one publication attempt waits for its turn
// on a name another order of the run holds, before it goes back to the
// waiter (which checks the order's status and tries again later).
const dcvTurnWait = 2 * time.Second

// takeDCVTurn holds the names for id, waiting up to dcvTurnWait while
// another order of the run holds one of them; a *dcvHeldError when the
// turn did not come.
func (o *orderer) takeDCVTurn(ctx context.Context, names []string, id string) error {
	if !o.rechecked[id] && o.d.dcvProvedAll(names) {
		// Another order of this run was issued with records at these
		// names: the domain has just been validated. Read this order's
		// status before publishing (below).
		o.recheck(id)
		return &dcvHeldError{Name: strings.Join(names, ", "), InRun: true, Released: true}
	}
	deadline := time.NewTimer(dcvTurnWait)
	defer deadline.Stop()
	for {
		holder, released, ok := o.d.holdDCVName(names, id)
		if ok {
			if o.held == nil {
				o.held = map[string]bool{}
			}
			o.held[id] = true
			return nil
		}
		select {
		case <-released:
			// The holder is done; its record validated the domain, and
			// a CA that reuses domain validation (DigiCert for an
			// account's later orders, the simulator by default) may
			// have validated this order with it. The first time, the
			// order's status is read before it publishes (one read
			// instead of a record created and removed, and no turn to
			// wait for); afterwards it takes the turn at once.
			if !o.rechecked[id] {
				o.recheck(id)
				return &dcvHeldError{Name: strings.Join(names, ", "), Holder: holder, InRun: true, Released: true}
			}
			continue // released: try at once
		case <-deadline.C:
		case <-ctx.Done():
		}
		return &dcvHeldError{Name: strings.Join(names, ", "), Holder: holder, InRun: true}
	}
}

// releaseHolds gives up every DCV record name this operation holds; every
// operation that may publish defers it.
func (o *orderer) releaseHolds() {
	ids := make([]string, 0, len(o.held))
	for id := range o.held {
		ids = append(ids, id)
	}
	o.d.releaseDCVNames(ids...)
}

// dcvHeldError is a DCV record name in use by another pending order: a
// CNAME holds one token at a time, and under the registrable-domain scope
// every certificate of a domain needs the same name. It is a reason to
// wait, not to fail: the holder finishes (and removes its record) or the
// domain is validated for the account meanwhile.
type dcvHeldError struct {
	Name, Holder, Annotation string
	RecordID                 int64
	InRun                    bool // held by another order of this run (holdDCVName)
	Released                 bool // that order has just let go: check this order's status first
}

func (e *dcvHeldError) Error() string {
	if e.Released && e.Holder == "" {
		return fmt.Sprintf("DCV record %s validated its domain for another order of this run; checking whether the CA validated this order with it", e.Name)
	}
	if e.Released {
		return fmt.Sprintf("DCV record %s was released by order %s of this run; checking whether the CA validated this order with it", e.Name, e.Holder)
	}
	if e.InRun {
		return fmt.Sprintf("DCV record %s is in use by order %s of this run; waiting for it to finish", e.Name, e.Holder)
	}
	if e.Holder == "" {
		return fmt.Sprintf("DCV record %s is being published by other orders at the same time; waiting for a turn", e.Name)
	}
	return fmt.Sprintf("DCV record %s is in use by the pending order %s (record %d, annotation %q); waiting for it to finish, or cancel that order",
		e.Name, e.Holder, e.RecordID, e.Annotation)
}

// clearDCVName removes what keeps the DCV CNAME v of order id from being
// published (recs: the zone's records as just listed), when that is a
// stale DCV record: one for an earlier token of the same order or another
// order of this resource, or for any order that is no longer pending
// (issued, cancelled, gone), which no longer needs it. A record's order is
// named by this provider's annotation, or - when regfish does not keep the
// annotation, or another client published the record without one - found
// by its CNAME target among the DCV tokens of the account's orders. A
// record of another live pending order is never touched (a *dcvHeldError:
// the caller waits); a record no order of the account asks for, or one
// another client annotated, is never touched either (the error names it and
// says what to do).
func (o *orderer) clearDCVName(ctx context.Context, id string, recs []regfish.Record, v regfish.ValidationRecord) error {
	for _, r := range recs {
		if regfish.Fqdn(r.Name) != regfish.Fqdn(v.Name) {
			continue
		}
		if strings.EqualFold(r.Type, "CNAME") && regfish.Fqdn(r.Data) == regfish.Fqdn(v.Value) {
			continue // ours, published meanwhile
		}
		owner := ""
		if a, ours := parseDCVAnnotation(r.Annotation); ours {
			owner = a.CertificateID
		} else if strings.TrimSpace(r.Annotation) == "" {
			found, err := o.dcvOwner(ctx, r)
			if err != nil {
				return fmt.Errorf("certificate %s: DCV record %s is held by record %d (%s %s), and listing the account's orders to find out whose it is failed, so it was left alone: %w", id, v.Name, r.ID, r.Type, r.Data, err)
			}
			owner = found
		}
		if owner == "" {
			return fmt.Errorf("certificate %s: DCV record %s cannot be published: the name holds a %s record (id %d, value %q, annotation %q) that is no DCV record of an order of this account, and a CNAME must be the only record at its name. "+
				"Remove that record, or use dcv_method = \"email\"; then run terraform apply again (the order is kept)", id, v.Name, r.Type, r.ID, r.Data, r.Annotation)
		}
		if owner != id && !o.own[owner] && !slices.Contains(o.aliases[id], owner) {
			pending, _, err := o.orderPending(ctx, owner)
			if err != nil {
				return fmt.Errorf("certificate %s: DCV record %s holds the record of order %s, whose status could not be read, so it was left alone: %w", id, v.Name, owner, err)
			}
			if pending {
				return &dcvHeldError{Name: regfish.Fqdn(v.Name), Holder: owner, Annotation: r.Annotation, RecordID: int64(r.ID)}
			}
		}
		if err := o.d.client.DeleteRecord(ctx, int64(r.ID)); err != nil && !regfish.IsNotFound(err) {
			return fmt.Errorf("certificate %s: removing the stale DCV record %d at %s: %w", id, r.ID, v.Name, err)
		}
		tflog.Info(ctx, "regfish: removed a stale DCV record", map[string]any{"certificate_id": id, "record_id": int64(r.ID), "record": regfish.Fqdn(r.Name), "owner": owner})
	}
	return nil
}

// orderPending reports whether order id still needs its DCV records: a
// pending order, or an issued one whose reissue is active (false when it
// no longer exists).
func (o *orderer) orderPending(ctx context.Context, id string) (bool, string, error) {
	c, err := o.d.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		return false, "gone", nil
	}
	if err != nil {
		return false, "", err
	}
	return c.Pending() || c.Reissue.Active(), c.Status, nil
}

// placedHere notes order id as placed by this operation, with no DCV
// record published yet.
func (o *orderer) placedHere(id string) {
	if o.fresh == nil {
		o.fresh = map[string]bool{}
	}
	o.fresh[id] = true
}

// createDCV creates one DCV CNAME of order id and remembers its record id.
func (o *orderer) createDCV(ctx context.Context, id, name, target string) error {
	delete(o.fresh, id) // from here on a record may exist, whatever the answer
	rec, err := o.d.client.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: name, Data: target, TTL: 60,
		Annotation: dcvAnnotation{CertificateID: id, Key: o.keyFP, KeyVersion: o.keyVersion()}.String()})
	if err != nil {
		return err
	}
	o.rememberCreated(id, int64(rec.ID))
	return nil
}

func hasCNAME(recs []regfish.Record, v regfish.ValidationRecord) bool {
	for _, r := range recs {
		if strings.EqualFold(r.Type, "CNAME") && regfish.Fqdn(r.Name) == regfish.Fqdn(v.Name) && regfish.Fqdn(r.Data) == regfish.Fqdn(v.Value) {
			return true
		}
	}
	return false
}

// publishOnce publishes the CNAME records of v unless the records of this
// token were published already during this wait; it reports whether it
// published them now.
func (o *orderer) publishOnce(ctx context.Context, id string, v *regfish.Validation, published *string) (bool, error) {
	if v == nil || v.Method != regfish.DCVMethodCNAME || len(v.DNSRecords) == 0 || *published == v.DNSRecords[0].Value {
		return false, nil
	}
	if err := o.publishDCV(ctx, id, v.DNSRecords); err != nil {
		return false, err
	}
	*published = v.DNSRecords[0].Value
	return true, nil
}

// publishStep is publishOnce as one step of a wait: a record another order
// holds is a reason to wait (st.Detail says which), publishing now asks for
// the next check at once (st.Again); other errors are returned.
func (o *orderer) publishStep(ctx context.Context, id string, v *regfish.Validation, published *string, st *waitState) error {
	now, err := o.publishOnce(ctx, id, v, published)
	var held *dcvHeldError
	switch {
	case errors.As(err, &held):
		st.Detail = held.Error()
		now = held.Released // check the status at once
	case err != nil:
		return err
	}
	st.Again = now
	return nil
}

// cleanupDCV removes the DCV records this provider published for id: by
// id when this operation published them all, else by listing the zones of
// names. Listed, a record is the order's when this provider's annotation
// names it, or - the annotation dropped - when it is a CNAME at a _dnsauth
// name pointing to one of the order's DCV tokens (read from the order).
func (o *orderer) cleanupDCV(ctx context.Context, id string, names []string) error {
	defer o.d.releaseDCVNames(id)
	if o.fresh[id] && !o.listCleanup {
		return nil // placed by this operation and never published
	}
	if ids := o.created[id]; len(ids) > 0 && !o.listCleanup {
		var errs []error
		for _, rr := range ids {
			if err := o.d.client.DeleteRecord(ctx, rr); err != nil && !regfish.IsNotFound(err) {
				errs = append(errs, err)
			}
		}
		delete(o.created, id)
		return errors.Join(errs...)
	}
	tokens := slices.Clone(o.tokens[id])
	if c, err := o.d.client.GetCertificate(ctx, id); err == nil {
		tokens = append(tokens, orderTokens(c)...)
	}
	mine := func(r regfish.Record) bool {
		if a, ok := parseDCVAnnotation(r.Annotation); ok {
			return a.CertificateID == id || slices.Contains(o.aliases[id], a.CertificateID)
		}
		return strings.TrimSpace(r.Annotation) == "" && strings.EqualFold(r.Type, "CNAME") &&
			strings.HasPrefix(regfish.Hostname(r.Name), dcvRecordPrefix) && slices.Contains(tokens, regfish.Hostname(r.Data))
	}
	seen := map[string]bool{}
	var errs []error
	for _, n := range names {
		zone, err := o.d.zoneFor(ctx, strings.TrimPrefix(n, "*."))
		if errors.Is(err, errNoZone) || seen[zone] {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seen[zone] = true
		recs, err := o.d.client.ListRecords(ctx, zone)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range recs {
			if mine(r) {
				if err := o.d.client.DeleteRecord(ctx, int64(r.ID)); err != nil && !regfish.IsNotFound(err) {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// ----- external DCV: records another DNS provider publishes -------------

// The certificate's dcv_publisher: who publishes the _dnsauth records.
const (
	// dcvPublisherRegfish: this provider publishes them in regfish DNS and
	// removes them after issuance; Create blocks until issuance.
	dcvPublisherRegfish = "regfish"
	// dcvPublisherExternal: this provider neither publishes nor removes
	// them; the certificate exports them (dcv_records) for any DNS
	// resource, and regfish_tls_certificate_validation waits for issuance.
	dcvPublisherExternal = "external"
)

// The provider's dcv_scope: where the CA expects the _dnsauth records of an
// order (CONTRACT.md §2.2: assumed), which sets the keys of
// dcv_records at plan time.
const (
	// dcvScopeRegistrable: one _dnsauth.<registrable domain> per distinct
	// registrable domain of the names (the regfish recipe).
	dcvScopeRegistrable = "registrable_domain"
	// dcvScopePerName: one _dnsauth.<name> per distinct name.
	dcvScopePerName = "per_name"
)

var (
	dcvPublishers = []string{dcvPublisherRegfish, dcvPublisherExternal}
	dcvScopes     = []string{dcvScopeRegistrable, dcvScopePerName}
)

// dcvRecordPrefix is the label every DCV record name starts with.
const dcvRecordPrefix = "_dnsauth."

// dcvBase is the name whose _dnsauth record validates name under scope:
// the name itself (a leading "*." stripped) or its registrable domain.
func dcvBase(name, scope string) (string, error) {
	h := strings.TrimPrefix(regfish.Hostname(name), "*.")
	if scope == dcvScopePerName {
		return h, nil
	}
	suffix := icannPublicSuffix(h)
	rest, ok := strings.CutSuffix(h, "."+suffix)
	if !ok || rest == "" {
		return "", fmt.Errorf("%s is itself a public suffix and has no registrable domain, so dcv_scope = %q cannot name its DCV record; use dcv_scope = %q",
			h, dcvScopeRegistrable, dcvScopePerName)
	}
	return rest[strings.LastIndexByte(rest, '.')+1:] + "." + suffix, nil
}

// icannPublicSuffix is the public suffix of h by the ICANN section of the
// public suffix list alone — how the CA/Browser Forum Baseline
// Requirements define a base domain, so "a.b.github.io" has the suffix
// "io" (golang.org/x/net's EffectiveTLDPlusOne would also honour the
// PRIVATE section and say "b.github.io"). A top-level label the list does
// not know is its own suffix.
func icannPublicSuffix(h string) string {
	suffix, icann := publicsuffix.PublicSuffix(h)
	for !icann {
		_, parent, found := strings.Cut(suffix, ".")
		if !found {
			break
		}
		suffix, icann = publicsuffix.PublicSuffix(parent)
	}
	return suffix
}

// predictDCVNames returns the names of the DCV records an order for names
// needs under scope: sorted, lower case, without a trailing dot. They are
// the keys of dcv_records, known at plan time.
func predictDCVNames(names []string, scope string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		b, err := dcvBase(n, scope)
		if err != nil {
			return nil, err
		}
		if k := dcvRecordPrefix + b; !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// activeDCVRecords returns the DCV records the order waits for now: those
// of a reissue in progress, else those of a pending order. nil when it
// waits for none (issued and no reissue running, staged, e-mail).
func activeDCVRecords(c *regfish.Certificate) []regfish.ValidationRecord {
	if c == nil {
		return nil
	}
	if r := c.Reissue; r.Active() {
		if r.Validation != nil && len(r.Validation.DNSRecords) > 0 {
			return r.Validation.DNSRecords
		}
		return nil
	}
	if c.Pending() && !c.ActionRequired && c.Validation != nil {
		return c.Validation.DNSRecords
	}
	return nil
}

// dcvRecordSet maps the CNAME records of recs by name to their targets
// (both lower case, without trailing dot). A wildcard and its apex share
// one record.
func dcvRecordSet(recs []regfish.ValidationRecord) map[string]string {
	out := map[string]string{}
	for _, v := range recs {
		if v.Type != "" && !strings.EqualFold(v.Type, "CNAME") {
			continue
		}
		out[regfish.Hostname(v.Name)] = regfish.Hostname(v.Value)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// dcvScopeMismatch is the error when the API asks for other DCV records
// than dcv_scope predicted: it names both sets and the setting to change.
type dcvScopeMismatch struct {
	ID        string
	Scope     string
	Predicted []string
	Actual    []string
	Names     []string
}

func (e *dcvScopeMismatch) Error() string {
	fix := fmt.Sprintf("Set dcv_scope in the provider configuration to the scope regfish uses (%s)", strings.Join(dcvScopes, " or "))
	for _, s := range dcvScopes {
		if p, err := predictDCVNames(e.Names, s); err == nil && s != e.Scope && slices.Equal(p, e.Actual) {
			fix = fmt.Sprintf("regfish uses dcv_scope = %q for these names: set it in the provider configuration", s)
		}
	}
	return fmt.Sprintf("the regfish API asks for the DCV records %s for certificate %s, but dcv_records was planned from the provider's dcv_scope = %q as %s. "+
		"%s, then run terraform apply again. Certificate order %s is kept: no order is placed or cancelled",
		strings.Join(e.Actual, ", "), e.ID, e.Scope, strings.Join(e.Predicted, ", "), fix, e.ID)
}

// dcvRecordsValue builds dcv_records for keys from what order c asks for.
// While the order waits for DCV (activeDCVRecords), the values are its
// records; otherwise the values the state held (prev) are kept, or taken
// from the validation the order still shows. When the API's record names
// differ from keys, it returns the API's records and a *dcvScopeMismatch;
// missing lists keys whose value nothing tells.
func dcvRecordsValue(c *regfish.Certificate, keys []string, prev map[string]string) (m types.Map, missing []string, mismatch bool) {
	active := activeDCVRecords(c)
	shown := active
	if shown == nil && c.Validation != nil {
		shown = c.Validation.DNSRecords
	}
	got := dcvRecordSet(shown)
	if len(got) > 0 && !slices.Equal(sortedKeys(got), keys) {
		return dcvRecordsMap(got), nil, true
	}
	vals := map[string]string{}
	for _, k := range keys {
		v, ok := got[k]
		if active == nil {
			if p, kept := prev[k]; kept && p != "" {
				v, ok = p, true
			}
		}
		if !ok {
			missing = append(missing, k)
			continue
		}
		vals[k] = v
	}
	return dcvRecordsMap(vals), missing, false
}

// dcvRecordsMap turns name -> target into the dcv_records value.
func dcvRecordsMap(vals map[string]string) types.Map {
	entries := make(map[string]attr.Value, len(vals))
	for k, v := range vals {
		entries[k] = dcvRecordObject(k, types.StringValue(v))
	}
	return types.MapValueMust(validationRecordType, entries)
}

func dcvRecordObject(name string, value types.String) attr.Value {
	return types.ObjectValueMust(validationRecordType.AttrTypes, map[string]attr.Value{
		"name": types.StringValue(name), "type": types.StringValue("CNAME"), "value": value})
}

// dcvValues returns the known values of a dcv_records map by key.
func dcvValues(m types.Map) map[string]string {
	out := map[string]string{}
	if m.IsNull() || m.IsUnknown() {
		return out
	}
	for k, v := range m.Elements() {
		o, ok := v.(types.Object)
		if !ok || o.IsNull() || o.IsUnknown() {
			continue
		}
		if s, ok := o.Attributes()["value"].(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out[k] = s.ValueString()
		}
	}
	return out
}

// dcvRecordsComplete reports whether every value of a dcv_records map is
// known.
func dcvRecordsComplete(m types.Map) bool {
	if m.IsUnknown() {
		return false
	}
	return m.IsNull() || len(dcvValues(m)) == len(m.Elements())
}

// knownDCVRecords drops the entries whose value is not known (a partial
// state after an interrupted apply).
func knownDCVRecords(m types.Map) types.Map {
	if m.IsNull() || m.IsUnknown() {
		return types.MapValueMust(validationRecordType, map[string]attr.Value{})
	}
	if dcvRecordsComplete(m) {
		return m
	}
	return dcvRecordsMap(dcvValues(m))
}

// setDCVRecords sets dcv_records after an apply step from order c (the
// last answer): with external DCV the predicted keys with the values c asks
// for, else none. prev holds the values the state had. When the API's
// records are not the predicted ones, dcv_records holds the API's and an
// error says which dcv_scope to set; the order is kept either way.
func (r *certificateResource) setDCVRecords(ctx context.Context, m *certificateModel, c *regfish.Certificate, prev types.Map, diags *diag.Diagnostics) {
	if !m.external() {
		m.DCVRecords = types.MapValueMust(validationRecordType, map[string]attr.Value{})
		return
	}
	m.DCVRecords = knownDCVRecords(m.DCVRecords)
	if c == nil {
		return
	}
	names := regfish.NameSet(m.CommonName.ValueString(), setStrings(ctx, m.DNSNames))
	keys, err := predictDCVNames(names, r.data.dcvScope)
	if err != nil {
		diags.AddAttributeError(path.Root("dns_names"), "DCV Records Cannot Be Named", err.Error()+".")
		return
	}
	v, missing, mismatch := dcvRecordsValue(c, keys, dcvValues(prev))
	m.DCVRecords = v
	switch {
	case mismatch:
		diags.AddError("DCV Records of Certificate "+c.ID+" Differ From dcv_scope",
			(&dcvScopeMismatch{ID: c.ID, Scope: r.data.dcvScope, Predicted: keys, Actual: sortedKeys(dcvValues(v)), Names: names}).Error()+".")
	case len(missing) > 0:
		diags.AddError("DCV Records of Certificate "+c.ID+" Not Known",
			fmt.Sprintf("The regfish API shows no DCV record %s for certificate %s (status %s), so dcv_records cannot give its value. "+
				"Certificate %s is kept; run terraform apply again once the order shows its validation records.", strings.Join(missing, ", "), c.ID, c.Status, c.ID))
	default:
		r.data.noteExternalDCV(c.ID, m.CommonName.ValueString(), dcvValues(v), diags)
	}
}

// noteExternalDCV records the DCV records external-mode order id needs in
// this process, and warns when another order of the run needs one of the
// same names with another value: a CNAME holds one value, so whichever
// the DNS resources publish, the other order cannot be validated by it
// (a merge() of both dcv_records keeps one silently).
func (d *providerData) noteExternalDCV(id, cn string, vals map[string]string, diags *diag.Diagnostics) {
	d.extDCVMu.Lock()
	defer d.extDCVMu.Unlock()
	if d.extDCV == nil {
		d.extDCV = map[string][]extDCVUse{}
	}
	for _, name := range sortedKeys(vals) {
		v := vals[name]
		if v == "" {
			continue
		}
		uses := slices.DeleteFunc(d.extDCV[name], func(u extDCVUse) bool { return u.ID == id })
		for _, o := range uses {
			if strings.EqualFold(o.Value, v) {
				continue
			}
			diags.AddWarning("Certificates "+o.ID+" and "+id+" Need One DCV Record",
				fmt.Sprintf("Certificate %s (%s) and certificate %s (%s) both need the DCV record %s, with different values: %s and %s. "+
					"A CNAME holds one value, and a merge() of both dcv_records keeps one of them without a word: the other order is "+
					"validated only if the CA reuses the domain validation the published record gives (as DigiCert does for the "+
					"account's later orders of a validated domain); otherwise its regfish_tls_certificate_validation times out, naming "+
					"the record it finds. Put these names into one certificate, or let one certificate be issued before the other is "+
					"ordered. See the guide Validating through another DNS provider.",
					o.ID, o.CommonName, id, cn, name, o.Value, v))
		}
		d.extDCV[name] = append(uses, extDCVUse{ID: id, CommonName: cn, Value: v})
	}
}

// recordDCVRecords fills dcv_records for an apply that changes no order
// (dcv_publisher or dcv_scope changed): the state's values where it has
// them, else what the order shows.
func (r *certificateResource) recordDCVRecords(ctx context.Context, plan, state *certificateModel, private privateSetter, diags *diag.Diagnostics) {
	if !plan.external() {
		plan.DCVRecords = types.MapValueMust(validationRecordType, map[string]attr.Value{})
		return
	}
	keys, err := predictDCVNames(regfish.NameSet(plan.CommonName.ValueString(), setStrings(ctx, plan.DNSNames)), r.data.dcvScope)
	if err != nil {
		diags.AddAttributeError(path.Root("dns_names"), "DCV Records Cannot Be Named", err.Error()+".")
		return
	}
	prev := dcvValues(state.DCVRecords)
	vals := map[string]string{}
	for _, k := range keys {
		if v, ok := prev[k]; ok {
			vals[k] = v
		}
	}
	if len(vals) == len(keys) {
		plan.DCVRecords = dcvRecordsMap(vals)
		return
	}
	id := plan.ID.ValueString()
	c, err := r.data.client.GetCertificate(ctx, id)
	if err != nil {
		if !r.data.apiKeyProblem(err, diags) {
			diags.AddError("Unable to Read Certificate", fmt.Sprintf("Reading certificate %s for its DCV records: %v. Nothing was changed; run terraform apply again.", id, err))
		}
		plan.DCVRecords = knownDCVRecords(state.DCVRecords)
		return
	}
	r.setDCVRecords(ctx, plan, c, state.DCVRecords, diags)
	diags.Append(r.stampRefresh(ctx, private, c)...)
}
