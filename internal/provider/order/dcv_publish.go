package order

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Publishing DCV records: the _dnsauth CNAMEs this provider publishes in
// regfish DNS for an order or a reissue (removed by CleanUpDCV once the
// certificate is issued), and what a name that is taken already means.

// publishDCV creates the DCV CNAMEs of order id. It creates each record
// directly and remembers the ids for the cleanup. A refused create (an
// identical record, a CNAME beside another record: regfish's status for
// the latter is not documented, so any refusal counts) is followed by a
// read of the name, and what is there decides: this order's CNAME is
// published already; a stale record is removed and the create repeated; a
// live pending order's record is waited for. API failures are returned
// wrapped, so that the waiter rides out transient ones.
func (o *Orderer) publishDCV(ctx context.Context, id string, recs []regfish.ValidationRecord) error {
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
		zone, err := o.d.ZoneFor(ctx, v.Name)
		if errors.Is(err, ErrNoZone) {
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
func (o *Orderer) publishOverRefusal(ctx context.Context, id, zone string, v regfish.ValidationRecord, refusal error) error {
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
func (o *Orderer) adoptPublished(id string, recs []regfish.Record, v regfish.ValidationRecord) bool {
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
func (o *Orderer) rememberToken(id, target string) {
	if o.tokens == nil {
		o.tokens = map[string][]string{}
	}
	if t := regfish.Hostname(target); !slices.Contains(o.tokens[id], t) {
		o.tokens[id] = append(o.tokens[id], t)
	}
}

func (o *Orderer) rememberCreated(id string, rr int64) {
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
func (o *Orderer) dcvOwner(ctx context.Context, r regfish.Record) (string, error) {
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
func (o *Orderer) clearDCVName(ctx context.Context, id string, recs []regfish.Record, v regfish.ValidationRecord) error {
	for _, r := range recs {
		if regfish.Fqdn(r.Name) != regfish.Fqdn(v.Name) {
			continue
		}
		if strings.EqualFold(r.Type, "CNAME") && regfish.Fqdn(r.Data) == regfish.Fqdn(v.Value) {
			continue // ours, published meanwhile
		}
		owner := ""
		if a, ours := ParseDCVAnnotation(r.Annotation); ours {
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
		if owner != id && !o.Own[owner] && !slices.Contains(o.aliases[id], owner) {
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
func (o *Orderer) orderPending(ctx context.Context, id string) (bool, string, error) {
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
func (o *Orderer) placedHere(id string) {
	if o.fresh == nil {
		o.fresh = map[string]bool{}
	}
	o.fresh[id] = true
}

// createDCV creates one DCV CNAME of order id and remembers its record id.
func (o *Orderer) createDCV(ctx context.Context, id, name, target string) error {
	delete(o.fresh, id) // from here on a record may exist, whatever the answer
	rec, err := o.d.client.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: name, Data: target, TTL: 60,
		Annotation: DCVAnnotation{CertificateID: id, Key: o.KeyFP, KeyVersion: o.keyVersion()}.String()})
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
func (o *Orderer) publishOnce(ctx context.Context, id string, v *regfish.Validation, published *string) (bool, error) {
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
func (o *Orderer) publishStep(ctx context.Context, id string, v *regfish.Validation, published *string, st *WaitState) error {
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
