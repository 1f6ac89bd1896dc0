package provider

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// This file drives one certificate order from placement to a downloaded
// certificate. It is used by Create (new or adopted order), Update
// (resume, reissue, renewal) and Delete (hand-over, cancel, revoke).
//
// The rules that keep an order from being lost or duplicated:
//
//  1. The order id is in the state from the moment the order exists: every
//     return path after placement writes the state.
//  2. A wait that ends before issuance (timeout, Ctrl-C, failed DNS call) is
//     an error, so the apply fails and nothing that depends on the
//     certificate runs. Terraform then marks the object tainted and plans a
//     replacement. Its Delete half does not cancel the pending order but
//     hands it over (in this provider process) to the Create half, which
//     resumes the same order. The plan says so in a warning.
//  3. Update never taints: an interrupted resume, reissue or renewal keeps
//     its progress in the state and the next apply continues it.
//  4. Placing an order is never retried once the request may have reached
//     the API; the provider looks the order up instead.
//  5. An order left behind with no state at all (the terraform process was
//     killed between placing it and writing the state) is found again by
//     product, names, organization, DCV method and validity, among pending
//     orders no resource of this run holds; the DCV records the provider
//     publishes carry the CSR's key fingerprint, which tells our orphan from
//     another workspace's order. One unambiguous candidate is adopted; with
//     several, none is, and the plan lists them.

// dcvAnnotationPrefix marks the DCV records this provider publishes.
const dcvAnnotationPrefix = "managed by terraform-provider-regfish"

// orderSpec is what a configuration asks for.
type orderSpec struct {
	Product      string
	CommonName   string
	DNSNames     []string // without duplicates, as configured
	CSR          string
	OrgID        string
	DCVMethod    string
	DCVEmails    []string
	ValidityDays int // 0 = API default
}

// names is {CN} ∪ dns_names as sorted hostnames.
func (s orderSpec) names() []string { return regfish.NameSet(s.CommonName, s.DNSNames) }

// fingerprint identifies a configuration (not its CSR) across the two
// halves of a replacement.
func (s orderSpec) fingerprint() string {
	h := sha256.Sum256([]byte(strings.Join([]string{strings.ToLower(s.Product), strings.Join(s.names(), ","),
		s.OrgID, s.DCVMethod, fmt.Sprint(s.ValidityDays)}, "|")))
	return hex.EncodeToString(h[:8])
}

func (s orderSpec) request() regfish.CertificateRequest {
	var sans []string
	for _, n := range s.DNSNames {
		if regfish.Hostname(n) != regfish.Hostname(s.CommonName) {
			sans = append(sans, regfish.Hostname(n))
		}
	}
	return regfish.CertificateRequest{
		SKU: s.Product, CommonName: regfish.Hostname(s.CommonName), DNSNames: sans, CSR: s.CSR,
		DCVMethod: s.DCVMethod, DCVEmails: s.DCVEmails, OrgID: s.OrgID, ValidityDays: s.ValidityDays,
	}
}

// matches reports whether an existing order was placed for spec.
func (s orderSpec) matches(c *regfish.Certificate) bool {
	if !strings.EqualFold(c.Product, s.Product) || !regfish.SameNames(c.Names(), s.names()) {
		return false
	}
	if s.ValidityDays != 0 && c.ValidityDays != 0 && c.ValidityDays != s.ValidityDays {
		return false
	}
	if c.Validation != nil && c.Validation.Method != "" && !strings.EqualFold(c.Validation.Method, s.DCVMethod) {
		return false
	}
	if s.OrgID != "" && c.OrganizationID != "" && string(c.OrganizationID) != s.OrgID {
		return false
	}
	return true
}

// issuedCert is a downloaded certificate.
type issuedCert struct {
	LeafPEM, ChainPEM, FullChainPEM string
	Leaf                            *x509.Certificate
	SHA256                          string
}

// parseChain splits a PEM download into leaf and chain.
func parseChain(id string, data []byte) (*issuedCert, error) {
	var blocks []*pem.Block
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("certificate %s: the PEM download holds no certificate", id)
	}
	leaf, err := x509.ParseCertificate(blocks[0].Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: the downloaded leaf does not parse: %w", id, err)
	}
	out := &issuedCert{Leaf: leaf, LeafPEM: string(pem.EncodeToMemory(blocks[0]))}
	for _, b := range blocks[1:] {
		out.ChainPEM += string(pem.EncodeToMemory(b))
	}
	out.FullChainPEM = out.LeafPEM + out.ChainPEM
	sum := sha256.Sum256(leaf.Raw)
	out.SHA256 = hex.EncodeToString(sum[:])
	return out, nil
}

// keyFingerprint is the first 16 hex digits of the SHA-256 of a public key.
func keyFingerprint(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// csrKeyFingerprint returns the key fingerprint of a PEM CSR ("" if it does
// not parse).
func csrKeyFingerprint(csrPEM string) string {
	csr, err := parseCSRPEM(csrPEM)
	if err != nil {
		return ""
	}
	return keyFingerprint(csr.PublicKey)
}

func parseCSRPEM(s string) (*x509.CertificateRequest, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if b == nil {
		return nil, errors.New("not a PEM block")
	}
	if b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("PEM block is %q, not CERTIFICATE REQUEST", b.Type)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, err
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return csr, nil
}

// orderer drives orders for one resource operation.
type orderer struct {
	d     *providerData
	spec  orderSpec
	keyFP string
	zones []regfish.Zone
}

func (d *providerData) orderer(spec orderSpec) *orderer {
	return &orderer{d: d, spec: spec, keyFP: csrKeyFingerprint(spec.CSR)}
}

func (o *orderer) annotation(id string) string {
	a := dcvAnnotationPrefix + "; certificate_id=" + id
	if o.keyFP != "" {
		a += "; key=" + o.keyFP
	}
	return a
}

// place places a new order. When the answer is lost after the request may
// have reached the API, it looks for the order instead of placing another.
func (o *orderer) place(ctx context.Context) (*regfish.Certificate, error) {
	c, err := o.d.client.CreateCertificate(ctx, o.spec.request())
	if err == nil {
		tflog.Info(ctx, "regfish: placed certificate order "+c.ID, map[string]any{"certificate_id": c.ID, "status": c.Status, "order_state": c.OrderState})
		return c, nil
	}
	if !errors.Is(err, regfish.ErrMaybeProcessed) {
		return nil, err
	}
	tflog.Warn(ctx, "regfish: the answer to the order request was lost; looking the order up instead of ordering again", map[string]any{"error": err.Error()})
	// The API may take a moment to list the order: look a few times.
	for attempt := 0; attempt < 3; attempt++ {
		cand, _, lerr := o.findOrphans(ctx)
		if lerr == nil && cand != nil {
			tflog.Info(ctx, "regfish: found the order placed by the lost request: "+cand.ID, map[string]any{"certificate_id": cand.ID})
			return cand, nil
		}
		if sleepCtx(ctx, time.Duration(attempt+1)*time.Second) != nil {
			break
		}
	}
	return nil, fmt.Errorf("placing the order failed and no order was found afterwards, so none was placed: %w", err)
}

// findOrphans returns the one order that was placed for this configuration
// by an interrupted run and that no resource of this run holds (nil when
// there is none or it is ambiguous), and the ids of all candidates.
//
// Candidates match product, names, organization, DCV method and validity.
// A pending candidate whose DCV records carry this CSR's key fingerprint
// is ours for sure; one without DCV records may be ours. An issued
// candidate is only ours when its DCV records, which a finished run
// removes, still carry this key.
func (o *orderer) findOrphans(ctx context.Context) (*regfish.Certificate, []string, error) {
	certs, err := o.d.client.ListCertificates(ctx)
	if err != nil {
		return nil, nil, err
	}
	var strong, weak []*regfish.Certificate
	var ids []string
	for i := range certs {
		c := &certs[i]
		if (!c.Pending() && !c.Ready()) || !o.spec.matches(c) || o.d.orders.isClaimed(c.ID) {
			continue
		}
		switch key := o.dcvKeyOf(ctx, c); {
		case key != "" && key == o.keyFP:
			strong = append(strong, c)
		case key == "" && c.Pending():
			weak = append(weak, c)
		default:
			continue // another configuration's order, or a finished one
		}
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	switch {
	case len(strong) == 1:
		return strong[0], ids, nil
	case len(strong) == 0 && len(weak) == 1:
		return weak[0], ids, nil
	}
	return nil, ids, nil
}

// dcvKeyOf returns the CSR key fingerprint this provider wrote into the
// DCV records of order c ("" when there are none).
func (o *orderer) dcvKeyOf(ctx context.Context, c *regfish.Certificate) string {
	if c.Validation == nil || len(c.Validation.DNSRecords) == 0 {
		return ""
	}
	name := c.Validation.DNSRecords[0].Name
	zone, err := o.zoneFor(ctx, name)
	if err != nil {
		return ""
	}
	recs, err := o.d.client.ListRecords(ctx, zone)
	if err != nil {
		return ""
	}
	for _, r := range recs {
		if r.Name == regfish.Fqdn(name) && strings.Contains(r.Annotation, "certificate_id="+c.ID) {
			for _, part := range strings.Split(r.Annotation, ";") {
				if k, ok := strings.CutPrefix(strings.TrimSpace(part), "key="); ok {
					return k
				}
			}
		}
	}
	return ""
}

func (o *orderer) zoneFor(ctx context.Context, name string) (string, error) {
	if o.zones == nil {
		zs, err := o.d.client.ListZones(ctx)
		if err != nil {
			return "", err
		}
		o.zones = zs
	}
	best := ""
	for _, z := range o.zones {
		d := regfish.Hostname(z.Domain)
		if regfish.InZone(name, d) && len(d) > len(best) {
			best = d
		}
	}
	if best == "" {
		var names []string
		for _, z := range o.zones {
			names = append(names, regfish.Hostname(z.Domain))
		}
		return "", fmt.Errorf("%s is not in any DNS zone of the regfish account (zones: %s)", regfish.Hostname(name), strings.Join(names, ", "))
	}
	return best, nil
}

// publishDCV creates the DCV CNAMEs that do not exist yet.
func (o *orderer) publishDCV(ctx context.Context, id string, recs []regfish.ValidationRecord) error {
	byZone := map[string][]regfish.Record{}
	for _, v := range recs {
		if !strings.EqualFold(v.Type, "CNAME") && v.Type != "" {
			continue
		}
		zone, err := o.zoneFor(ctx, v.Name)
		if err != nil {
			return fmt.Errorf("certificate %s: cannot publish DCV record %s: %v. Add the zone to regfish DNS or use dcv_method = \"email\"", id, v.Name, err)
		}
		existing, ok := byZone[zone]
		if !ok {
			if existing, err = o.d.client.ListRecords(ctx, zone); err != nil {
				return fmt.Errorf("certificate %s: listing DNS zone %s: %w", id, zone, err)
			}
			byZone[zone] = existing
		}
		if hasCNAME(existing, v) {
			continue
		}
		_, err = o.d.client.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: regfish.Fqdn(v.Name), Data: regfish.Fqdn(v.Value), TTL: 60, Annotation: o.annotation(id)})
		if err != nil && !errors.Is(err, regfish.ErrDuplicate) {
			if errors.Is(err, regfish.ErrMaybeProcessed) {
				if again, lerr := o.d.client.ListRecords(ctx, zone); lerr == nil && hasCNAME(again, v) {
					continue
				}
			}
			return fmt.Errorf("certificate %s: publishing DCV record %s: %w", id, v.Name, err)
		}
		tflog.Info(ctx, "regfish: published DCV record "+regfish.Fqdn(v.Name), map[string]any{"certificate_id": id, "zone": zone})
	}
	return nil
}

func hasCNAME(recs []regfish.Record, v regfish.ValidationRecord) bool {
	for _, r := range recs {
		if strings.EqualFold(r.Type, "CNAME") && r.Name == regfish.Fqdn(v.Name) && regfish.Fqdn(r.Data) == regfish.Fqdn(v.Value) {
			return true
		}
	}
	return false
}

// cleanupDCV removes the DCV records this provider published for id.
func (o *orderer) cleanupDCV(ctx context.Context, id string, names []string) error {
	seen := map[string]bool{}
	var errs []error
	for _, n := range names {
		zone, err := o.zoneFor(ctx, strings.TrimPrefix(n, "*."))
		if err != nil || seen[zone] {
			continue
		}
		seen[zone] = true
		recs, err := o.d.client.ListRecords(ctx, zone)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range recs {
			if strings.HasPrefix(r.Annotation, dcvAnnotationPrefix) && strings.Contains(r.Annotation, "certificate_id="+id+";") ||
				strings.HasPrefix(r.Annotation, dcvAnnotationPrefix) && strings.HasSuffix(r.Annotation, "certificate_id="+id) {
				if err := o.d.client.DeleteRecord(ctx, int64(r.ID)); err != nil && !regfish.IsNotFound(err) {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// publishOnce publishes the CNAME records of v unless the records of this
// token were published already during this wait.
func (o *orderer) publishOnce(ctx context.Context, id string, v *regfish.Validation, published *string) error {
	if v == nil || v.Method != regfish.DCVMethodCNAME || len(v.DNSRecords) == 0 || *published == v.DNSRecords[0].Value {
		return nil
	}
	if err := o.publishDCV(ctx, id, v.DNSRecords); err != nil {
		return err
	}
	*published = v.DNSRecords[0].Value
	return nil
}

// download fetches and parses the PEM chain; (nil, nil) while the API
// answers 409 (not ready yet).
func (o *orderer) download(ctx context.Context, id string) (*issuedCert, error) {
	data, err := o.d.client.DownloadCertificate(ctx, id, "pem")
	if errors.Is(err, regfish.ErrConflict) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("downloading certificate %s: %w", id, err)
	}
	return parseChain(id, data)
}

// terminalError describes an order that can never be issued.
func terminalError(c *regfish.Certificate) error {
	reason := c.PendingMessage
	if reason == "" {
		reason = c.PendingReason
	}
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Errorf("certificate order %s ended with status %q (order_state %s): %s", c.ID, c.Status, orDash(c.OrderState), reason)
}

// driveResult is where an order got to.
type driveResult struct {
	Cert   *regfish.Certificate // last answer
	Issued *issuedCert          // set when downloaded
}

// drive takes order id to a downloaded certificate: it completes a staged
// order with org_id (or waits for the Console completion), publishes the
// DCV records, waits for issuance and downloads. On error, res holds the
// last known order.
func (o *orderer) drive(ctx context.Context, id string) (res driveResult, err error) {
	orgNotUsable := false
	published := ""
	_, err = o.d.waiter().wait(ctx, "issuance", id, func(ctx context.Context) (waitState, error) {
		c, err := o.d.client.GetCertificate(ctx, id)
		if err != nil {
			if regfish.IsNotFound(err) {
				return waitState{}, fmt.Errorf("certificate order %s no longer exists in the regfish account", id)
			}
			return waitState{}, err
		}
		res.Cert = c
		st := waitState{Status: c.Status, OrderState: c.OrderState, PendingReason: c.PendingReason}
		if c.Terminal() || strings.EqualFold(c.Status, regfish.StatusRevoked) {
			return st, terminalError(c)
		}
		if c.ActionRequired && o.spec.OrgID != "" {
			done, cerr := o.d.client.CompleteCertificate(ctx, id, o.spec.OrgID)
			switch {
			case cerr == nil:
				tflog.Info(ctx, "regfish: completed staged order "+id+" with organization "+o.spec.OrgID, map[string]any{"certificate_id": id})
				c, res.Cert = done, done
				st = waitState{Status: c.Status, OrderState: c.OrderState, PendingReason: c.PendingReason}
			case errors.Is(cerr, regfish.ErrConflict):
				// completed meanwhile (Console, or a lost answer): read again next time
			case errors.Is(cerr, regfish.ErrValidation):
				// the organization is not usable yet: keep trying while waiting
				if !orgNotUsable {
					tflog.Warn(ctx, "regfish: organization "+o.spec.OrgID+" cannot complete order "+id+" yet; waiting", map[string]any{"error": cerr.Error()})
				}
				orgNotUsable = true
				st.Detail = "organization not usable yet: " + cerr.Error()
				return st, nil
			default:
				return st, fmt.Errorf("completing staged certificate order %s with org_id %s: %w", id, o.spec.OrgID, cerr)
			}
		}
		if c.ActionRequired {
			st.Detail = "completion: " + c.CompletionURL
			return st, nil
		}
		if err := o.publishOnce(ctx, id, c.Validation, &published); err != nil {
			return st, err
		}
		if !c.Ready() {
			return st, nil
		}
		ic, derr := o.download(ctx, id)
		if derr != nil || ic == nil {
			st.Detail = "PEM not available yet"
			return st, derr
		}
		res.Issued = ic
		st.Done = true
		return st, nil
	})
	return res, err
}

// reissue starts (or resumes) a reissue of id with the spec's CSR and waits
// until the new certificate is downloaded.
func (o *orderer) reissue(ctx context.Context, id, why string) (res driveResult, err error) {
	c, err := o.d.client.ReissueCertificate(ctx, id, regfish.ReissueRequest{CSR: o.spec.CSR, DCVMethod: o.spec.DCVMethod, Comments: "terraform-provider-regfish: " + why})
	switch {
	case err == nil:
		tflog.Info(ctx, "regfish: reissue of certificate "+id+" accepted ("+why+")", map[string]any{"certificate_id": id})
	case errors.Is(err, regfish.ErrConflict):
		// a reissue is already running (an earlier apply started it): wait for it
		if c, err = o.d.client.GetCertificate(ctx, id); err != nil {
			return res, err
		}
		if !c.Reissue.Active() {
			return driveResult{Cert: c}, fmt.Errorf("certificate %s cannot be reissued now (status %s, reissue_supported %t)", id, c.Status, c.ReissueSupported)
		}
	default:
		return res, fmt.Errorf("reissuing certificate %s: %w", id, err)
	}
	res.Cert = c
	var reissueID regfish.FlexInt
	if c.Reissue != nil {
		reissueID = c.Reissue.ID
	}
	published := ""
	_, err = o.d.waiter().wait(ctx, "reissue", id, func(ctx context.Context) (waitState, error) {
		c, err := o.d.client.GetCertificate(ctx, id)
		if err != nil {
			return waitState{}, err
		}
		res.Cert = c
		r := c.Reissue
		if r == nil || (reissueID != 0 && r.ID != reissueID) {
			return waitState{Status: c.Status}, fmt.Errorf("certificate %s shows no reissue %d", id, reissueID)
		}
		st := waitState{Status: c.Status, OrderState: r.OrderState, PendingReason: "reissue " + r.Status}
		if r.Failed() {
			return st, fmt.Errorf("reissue %d of certificate %s ended with status %q", r.ID, id, r.Status)
		}
		if r.Active() {
			if err := o.publishOnce(ctx, id, r.Validation, &published); err != nil {
				return st, err
			}
		}
		if r.Active() || !c.Ready() {
			return st, nil
		}
		ic, derr := o.download(ctx, id)
		if derr != nil || ic == nil {
			return st, derr
		}
		if o.keyFP != "" && keyFingerprint(ic.Leaf.PublicKey) != o.keyFP {
			st.Detail = "reissued certificate not served yet"
			return st, nil
		}
		res.Issued = ic
		st.Done = true
		return st, nil
	})
	return res, err
}

// finish makes sure the downloaded certificate carries the spec's key,
// reissuing once when it does not (an adopted order placed with another
// CSR, or a CSR changed while the order was pending).
func (o *orderer) finish(ctx context.Context, id string, res driveResult) (driveResult, error) {
	if res.Issued == nil || o.keyFP == "" || keyFingerprint(res.Issued.Leaf.PublicKey) == o.keyFP {
		return res, nil
	}
	tflog.Info(ctx, "regfish: certificate "+id+" was issued for another key than the configured CSR; reissuing it for the CSR", map[string]any{"certificate_id": id})
	return o.reissue(ctx, id, "CSR changed")
}
