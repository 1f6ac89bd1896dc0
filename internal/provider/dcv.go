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
		rec, err := o.d.client.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: name, Data: target, TTL: 60,
			Annotation: dcvAnnotation{CertificateID: id, Key: o.keyFP}.String()})
		switch {
		case err == nil:
			if o.created == nil {
				o.created = map[string][]int64{}
			}
			o.created[id] = append(o.created[id], int64(rec.ID))
		case errors.Is(err, regfish.ErrDuplicate):
			o.listCleanup = true // published by an earlier run
			continue
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
