package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

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
}

func (a dcvAnnotation) String() string {
	s := dcvAnnotationPrefix + "; certificate_id=" + a.CertificateID
	if a.Key != "" {
		s += "; key=" + a.Key
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
		}
	}
	return a, a.CertificateID != ""
}

// errNoZone is a name that no DNS zone of the account holds.
var errNoZone = errors.New("not in any DNS zone of the regfish account")

// publishDCV creates the DCV CNAMEs of order id. It creates each record
// directly (an identical record that exists already is fine) and remembers
// the ids for the cleanup. API failures are returned wrapped, so that the
// waiter rides out transient ones.
func (o *orderer) publishDCV(ctx context.Context, id string, recs []regfish.ValidationRecord) error {
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
		case errors.Is(err, regfish.ErrDuplicate):
			o.listCleanup = true // published by an earlier run
			continue
		case errors.Is(err, regfish.ErrConflict):
			// The name holds another record: a CNAME must be alone.
			if err := o.clearDCVName(ctx, id, zone, v); err != nil {
				return err
			}
			if err := o.createDCV(ctx, id, name, target); err != nil && !errors.Is(err, regfish.ErrDuplicate) {
				return fmt.Errorf("certificate %s: publishing DCV record %s in zone %s after removing a stale one: %w", id, v.Name, zone, err)
			}
		case errors.Is(err, regfish.ErrMaybeProcessed):
			again, lerr := o.d.client.ListRecords(ctx, zone)
			if lerr != nil || !hasCNAME(again, v) {
				return fmt.Errorf("certificate %s: publishing DCV record %s: %w", id, v.Name, err)
			}
			o.listCleanup = true
		default:
			return fmt.Errorf("certificate %s: publishing DCV record %s in zone %s: %w", id, v.Name, zone, err)
		}
		tflog.Info(ctx, "regfish: published DCV record "+name, map[string]any{"certificate_id": id, "zone": zone})
	}
	return nil
}

// dcvHeldError is a DCV record name in use by another pending order: a
// CNAME holds one token at a time, and under the registrable-domain scope
// every certificate of a domain needs the same name. It is a reason to
// wait, not to fail: the holder finishes (and removes its record) or the
// domain is validated for the account meanwhile.
type dcvHeldError struct {
	Name, Holder, Annotation string
	RecordID                 int64
}

func (e *dcvHeldError) Error() string {
	return fmt.Sprintf("DCV record %s is in use by the pending order %s (record %d, annotation %q); waiting for it to finish, or cancel that order",
		e.Name, e.Holder, e.RecordID, e.Annotation)
}

// clearDCVName removes what keeps the DCV CNAME v of order id from being
// published, when that is a stale record this provider published: one for
// an earlier token of the same order or another order of this resource,
// or for any order that is no longer pending (issued, cancelled, gone),
// which no longer needs it. A record of another live pending order is
// never touched (a *dcvHeldError: the caller waits); a record this
// provider did not publish is never touched either (the error names it
// and says what to do).
func (o *orderer) clearDCVName(ctx context.Context, id, zone string, v regfish.ValidationRecord) error {
	recs, err := o.d.client.ListRecords(ctx, zone)
	if err != nil {
		return fmt.Errorf("certificate %s: DCV record %s could not be published, and listing zone %s to see why failed: %w", id, v.Name, zone, err)
	}
	for _, r := range recs {
		if regfish.Fqdn(r.Name) != regfish.Fqdn(v.Name) {
			continue
		}
		if strings.EqualFold(r.Type, "CNAME") && regfish.Fqdn(r.Data) == regfish.Fqdn(v.Value) {
			continue // ours, published meanwhile
		}
		a, ours := parseDCVAnnotation(r.Annotation)
		if !ours {
			return fmt.Errorf("certificate %s: DCV record %s cannot be published: the name holds a %s record (id %d, annotation %q) that this provider did not publish, and a CNAME must be the only record at its name. "+
				"Remove that record, or use dcv_method = \"email\"; then run terraform apply again (the order is kept)", id, v.Name, r.Type, r.ID, r.Annotation)
		}
		if a.CertificateID != id && !o.own[a.CertificateID] {
			pending, _, err := o.orderPending(ctx, a.CertificateID)
			if err != nil {
				return fmt.Errorf("certificate %s: DCV record %s holds the record of order %s, whose status could not be read, so it was left alone: %w", id, v.Name, a.CertificateID, err)
			}
			if pending {
				return &dcvHeldError{Name: regfish.Fqdn(v.Name), Holder: a.CertificateID, Annotation: r.Annotation, RecordID: int64(r.ID)}
			}
		}
		if err := o.d.client.DeleteRecord(ctx, int64(r.ID)); err != nil && !regfish.IsNotFound(err) {
			return fmt.Errorf("certificate %s: removing the stale DCV record %d at %s: %w", id, r.ID, v.Name, err)
		}
		tflog.Info(ctx, "regfish: removed a stale DCV record", map[string]any{"certificate_id": id, "record_id": int64(r.ID), "record": regfish.Fqdn(r.Name), "annotation": r.Annotation})
	}
	return nil
}

// orderPending reports whether order id is still pending (false when it
// no longer exists).
func (o *orderer) orderPending(ctx context.Context, id string) (bool, string, error) {
	c, err := o.d.client.GetCertificate(ctx, id)
	if regfish.IsNotFound(err) {
		return false, "gone", nil
	}
	if err != nil {
		return false, "", err
	}
	return c.Pending(), c.Status, nil
}

// createDCV creates one DCV CNAME of order id and remembers its record id.
func (o *orderer) createDCV(ctx context.Context, id, name, target string) error {
	rec, err := o.d.client.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: name, Data: target, TTL: 60,
		Annotation: dcvAnnotation{CertificateID: id, Key: o.keyFP}.String()})
	if err != nil {
		return err
	}
	if o.created == nil {
		o.created = map[string][]int64{}
	}
	o.created[id] = append(o.created[id], int64(rec.ID))
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

// cleanupDCV removes the DCV records this provider published for id: by
// id when this operation published them all, else by listing the zones of
// names.
func (o *orderer) cleanupDCV(ctx context.Context, id string, names []string) error {
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
			if a, ok := parseDCVAnnotation(r.Annotation); ok && a.CertificateID == id {
				if err := o.d.client.DeleteRecord(ctx, int64(r.ID)); err != nil && !regfish.IsNotFound(err) {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}
