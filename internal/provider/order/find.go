package order

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Finding and placing orders. The rules that keep an order from being lost
// or doubled are in DESIGN.md ("Order safety"); in short: an order that
// may exist is looked up, never placed again on a guess, and a lookup that
// fails is an error, never a decision.

// Orderer finds, places, waits for and cleans up after the orders of one
// resource operation.
type Orderer struct {
	d     *Engine
	Spec  Spec
	KeyFP string // key fingerprint of spec.CSR ("" when unknown)

	// DCV records this operation created, by certificate id, so that they
	// are removed by id; ListCleanup asks for a removal by listing the zones
	// instead (records an earlier run may have left).
	created     map[string][]int64
	ListCleanup bool
	// reissuedAgain: a reissue found running carried another key, and
	// this operation reissued once more (never twice).
	reissuedAgain bool
	// own holds the other orders of this resource (the certificate in the
	// state, a pending renewal order): their stale DCV records are ours to
	// replace.
	Own map[string]bool
	// aliases holds, by certificate id, the unknown ids an unusable order
	// answer named for it: DCV records published under them are its own.
	aliases map[string][]string
	// held: the certificate ids whose DCV record names this operation
	// holds in the process (holdDCVName); released when it ends.
	held map[string]bool
	// rechecked: orders whose status was read once after another order
	// of the run released their DCV record name (takeDCVTurn).
	rechecked map[string]bool
	// fresh: orders this operation placed whose DCV records it has not
	// tried to publish (yet): nothing of theirs is in DNS to clean up.
	fresh map[string]bool
	// publishedNames: the DCV record names each order published in this
	// operation (publishDCV).
	publishedNames map[string][]string
	// tokens: the DCV token targets (lower case, no trailing dot) each
	// order asked for during this operation. A record pointing to one is
	// that order's, whether or not regfish kept its annotation.
	tokens map[string][]string
	// completeRetried: a /complete refused while the organization reads
	// usable was sent once more (completeRefused).
	completeRetried bool
}

// accountOrders returns the account's orders. They are listed once per
// provider process (one plan, one apply) and shared by every resource:
// an orphan of an earlier run is in that list, and orders this process
// places are claimed in the registry. fresh lists again (after a lost
// answer to an order request, when the new order must be in the list).
func (d *Engine) accountOrders(ctx context.Context, fresh bool) ([]regfish.Certificate, error) {
	d.ordersMu.Lock()
	defer d.ordersMu.Unlock()
	if d.listedOrders != nil && !fresh {
		return d.listedOrders, nil
	}
	certs, err := d.client.ListCertificates(ctx)
	if err != nil {
		return nil, err
	}
	if certs == nil {
		certs = []regfish.Certificate{}
	}
	d.listedOrders = certs
	return certs, nil
}

// ListedForRefresh returns order id as the account's listing shows it,
// for a refresh: the listing is read once per provider process (the
// orphan lookups share it), so a plan of N certificates costs one request
// instead of N. nil when the listing does not show the order, cannot be
// read (the refresh then reads the order singly, and a failed listing is
// not tried again in this process), or shows it in a state in which the
// order's own answer may say more than a listing entry (anything but an
// issued order without a running reissue): the refresh reads it singly
// then, so that a listing with fewer fields than the order's own answer
// (CONTRACT.md §5) never hides a validation or a reissue.
func (d *Engine) ListedForRefresh(ctx context.Context, id string) *regfish.Certificate {
	d.ordersMu.Lock()
	failed := d.listFailed
	d.ordersMu.Unlock()
	if failed {
		return nil
	}
	certs, err := d.accountOrders(ctx, false)
	if err != nil {
		d.ordersMu.Lock()
		d.listFailed = true
		d.ordersMu.Unlock()
		tflog.Debug(ctx, "regfish: the account's order listing could not be read; refreshing certificates one by one", map[string]any{"error": err.Error()})
		return nil
	}
	for i := range certs {
		c := &certs[i]
		if c.ID != id {
			continue
		}
		if c.Status != regfish.StatusIssued || !c.Ready() || c.Reissue.Active() {
			return nil
		}
		cc := *c // the listing is shared
		return &cc
	}
	return nil
}

func (d *Engine) Orderer(spec Spec) *Orderer {
	return &Orderer{d: d, Spec: spec, KeyFP: CSRKeyFingerprint(spec.CSR)}
}

// OrderGone confirms with a fresh list of the account's orders that order
// id does not exist; an error when the list cannot be read.
func (d *Engine) OrderGone(ctx context.Context, id string) (bool, error) {
	certs, err := d.accountOrders(ctx, true)
	if err != nil {
		return false, err
	}
	for _, c := range certs {
		if c.ID == id {
			return false, nil
		}
	}
	return true, nil
}

// Source says where the order a new object works on came from.
type Source string

const (
	SourcePlaced     Source = "placed"
	SourceHandedOver Source = "handed over by the replaced object of this resource"
	SourceAdopted    Source = "an order for this configuration that no state held (left by an interrupted or failed apply, or given up by the object a forced replacement replaces)"
)

// OrphanLookup says which orders FindOrphans considers.
type OrphanLookup struct {
	// fresh lists the account's orders again (after a lost answer to an
	// order request the new order must be in the list).
	fresh bool
	// endsAfter, when set, admits only issued orders whose certificate
	// ends after it: a renewal of the certificate in the state, not one
	// of its predecessors.
	endsAfter time.Time
}

var (
	ForNewObject   = OrphanLookup{}            // an order an interrupted create left
	AfterLostOrder = OrphanLookup{fresh: true} // the order a lost answer may hide
)

// ForRenewal looks for a renewal order of a certificate ending at notAfter
// that an interrupted apply left (pending, or issued already when the CA
// reused a validation); afterLost lists afresh.
func ForRenewal(notAfter time.Time, afterLost bool) OrphanLookup {
	if notAfter.IsZero() {
		notAfter = time.Unix(0, 0)
	}
	return OrphanLookup{fresh: afterLost, endsAfter: notAfter}
}

// FindOrphans returns the one order that was placed for this configuration
// by an interrupted run and that no resource of this process holds (nil
// when there is none or it is ambiguous), and the ids of all orders for
// the same product and names (also those with another key).
// An error means the lookup could not be made: the caller must not place
// an order then.
//
// Candidates match product, names, organization, DCV method and validity.
// An issued candidate is ours only when its certificate carries the CSR's
// key. A pending candidate is ours when any of its DCV records carries the
// CSR's key fingerprint in its annotation; one with no such record yet may
// be ours (the run was killed before publishing) and is adopted only when
// it is the only candidate. A pending candidate whose DCV records carry no
// annotation at all (regfish may not keep annotations: CONTRACT.md §5)
// cannot be told apart from another configuration's order: with
// regfish-published DCV the lookup then fails (an *UnknownOwnerError)
// instead of adopting it or ordering beside it, which would only wait for
// its record; with external DCV, whose records never carry this provider's
// annotation, it counts as having no records.
func (o *Orderer) FindOrphans(ctx context.Context, which OrphanLookup) (*regfish.Certificate, []string, error) {
	certs, err := o.d.accountOrders(ctx, which.fresh)
	if err != nil {
		return nil, nil, fmt.Errorf("listing the account's certificate orders: %w", err)
	}
	var strong, weak, unknown []*regfish.Certificate
	var ids []string
	for i := range certs {
		c := &certs[i]
		if !o.Spec.matches(c) || o.d.Registry.isClaimed(c.ID) {
			continue
		}
		switch {
		case c.Pending():
			a, found, err := o.dcvKeyOf(ctx, c)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case found == dcvAnnotated && o.ownsAnnotation(a):
				strong = append(strong, c)
			case found == dcvNone, found == dcvBare && o.Spec.External:
				weak = append(weak, c)
			case found == dcvBare:
				unknown = append(unknown, c)
			}
			// with another key, or another client's annotation: another
			// configuration's order, or one left before this
			// configuration's key changed — listed only
		case c.Ready() && c.Status == regfish.StatusIssued && o.keyVersion() != "" && (which.endsAfter.IsZero() || c.ValidUntil.After(which.endsAfter)):
			// A write-only key is new on every run: the annotation's
			// version, while its DCV records are still there, tells.
			// Without them it is listed only (as an issued order with
			// another key is): reissuing another configuration's
			// certificate for this run's key would break it.
			a, found, err := o.dcvKeyOf(ctx, c)
			if err != nil {
				return nil, nil, err
			}
			if found == dcvAnnotated && a.KeyVersion == o.keyVersion() {
				strong = append(strong, c)
			}
		case c.Ready() && c.Status == regfish.StatusIssued && o.KeyFP != "" && (which.endsAfter.IsZero() || c.ValidUntil.After(which.endsAfter)):
			ic, err := o.Download(ctx, c.ID)
			if err != nil {
				return nil, nil, err
			}
			if ic != nil && KeyFingerprint(ic.Leaf.PublicKey) == o.KeyFP {
				strong = append(strong, c)
			}
		default:
			continue
		}
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	switch {
	case len(strong) == 1:
		return strong[0], ids, nil
	case len(strong) == 0 && len(unknown) > 0:
		e := &UnknownOwnerError{Names: o.Spec.Names()}
		for _, c := range unknown {
			e.IDs = append(e.IDs, c.ID)
		}
		sort.Strings(e.IDs)
		return nil, ids, e
	case len(strong) == 0 && len(weak) == 1:
		return weak[0], ids, nil
	}
	return nil, ids, nil
}

// UnknownOwnerError: pending orders for the configuration's product and
// names whose DCV records carry no annotation, so whether one was left by
// an interrupted apply of this configuration or belongs to another cannot
// be told. Nothing is adopted and nothing is ordered.
type UnknownOwnerError struct {
	IDs   []string
	Names []string
}

func (e *UnknownOwnerError) Error() string {
	what, its, them, one := "orders "+strings.Join(e.IDs, ", ")+" are", "their", "them", "one"
	if len(e.IDs) == 1 {
		what, its, them, one = "order "+e.IDs[0]+" is", "its", "it", "it"
	}
	return fmt.Sprintf("pending %s for %s and %s DCV records are published, but the records carry no annotation "+
		"(regfish does not keep them), so whether an interrupted apply of this configuration left %s or another configuration holds %s cannot be told. "+
		"Nothing is adopted or ordered: a new order would only wait for the DCV record %s. If an interrupted apply of this configuration left %s, "+
		"import it (terraform import <address> <id>) and apply again; if another configuration holds it, apply again once it is issued or cancelled",
		what, strings.Join(e.Names, ", "), its, them, them, map[bool]string{true: "it holds", false: "they hold"}[len(e.IDs) == 1], one)
}

// What dcvKeyOf finds of a pending order's DCV records.
const (
	dcvNone      = iota // none of its records exists (yet)
	dcvAnnotated        // a record carries this provider's annotation
	dcvForeign          // a record carries another client's annotation
	dcvBare             // its records exist, without any annotation
)

// dcvKeyOf returns the CSR key fingerprint this provider wrote into the DCV
// records of pending order c, and what it found of them. A record is the
// order's when it is a CNAME at one of its DCV names pointing to its token
// (or, with this provider's annotation, names the order). Every record of
// the order is checked.
func (o *Orderer) dcvKeyOf(ctx context.Context, c *regfish.Certificate) (annotation DCVAnnotation, found int, err error) {
	if c.Validation == nil {
		return DCVAnnotation{}, dcvNone, nil
	}
	listed := map[string][]regfish.Record{}
	for _, v := range c.Validation.DNSRecords {
		zone, err := o.d.ZoneFor(ctx, v.Name)
		if errors.Is(err, ErrNoZone) {
			continue
		}
		if err != nil {
			return DCVAnnotation{}, dcvNone, fmt.Errorf("looking up the DCV records of order %s: %w", c.ID, err)
		}
		recs, ok := listed[zone]
		if !ok {
			if recs, err = o.d.client.ListRecords(ctx, zone); err != nil {
				return DCVAnnotation{}, dcvNone, fmt.Errorf("looking up the DCV records of order %s in zone %s: %w", c.ID, zone, err)
			}
			listed[zone] = recs
		}
		for _, r := range recs {
			a, ours := ParseDCVAnnotation(r.Annotation)
			own := hasCNAME([]regfish.Record{r}, v)
			switch {
			case ours && (a.CertificateID == c.ID || own):
				// the annotation names the order, or it is the order's own
				// CNAME published under an id an unusable answer named
				if a.Key != "" || a.KeyVersion != "" {
					return a, dcvAnnotated, nil
				}
				found = max(found, dcvAnnotated)
			case own && strings.TrimSpace(r.Annotation) != "":
				found = max(found, dcvForeign)
			case own && found == dcvNone:
				found = dcvBare
			}
		}
	}
	return DCVAnnotation{}, found, nil
}

// ownsAnnotation reports an annotation this configuration wrote: its key
// version with a write-only key (the key itself is new on every run), its
// CSR key with a csr.
func (o *Orderer) ownsAnnotation(a DCVAnnotation) bool {
	if v := o.keyVersion(); v != "" {
		return a.KeyVersion == v
	}
	return a.Key != "" && a.Key == o.KeyFP
}

// keyVersion is the spec's private_key_wo_version as the annotation
// spells it ("" with a csr).
func (o *Orderer) keyVersion() string {
	if o.Spec.KeyVersion == 0 {
		return ""
	}
	return strconv.FormatInt(o.Spec.KeyVersion, 10)
}

// place places a new order. When the answer is lost after the request may
// have reached the API, it looks the order up instead of placing another;
// when it cannot find out, it fails and places nothing.
func (o *Orderer) placeOrder(ctx context.Context) (*regfish.Certificate, error) {
	c, err := o.d.client.CreateCertificate(ctx, o.Spec.Request())
	if err == nil {
		tflog.Info(ctx, "regfish: placed certificate order "+c.ID, map[string]any{"certificate_id": c.ID, "status": c.Status, "order_state": c.OrderState})
		o.placedHere(c.ID)
		return c, nil
	}
	if !errors.Is(err, regfish.ErrMaybeProcessed) {
		return nil, err
	}
	tflog.Warn(ctx, "regfish: the answer to the order request was lost; looking the order up instead of ordering again", map[string]any{"error": err.Error()})
	// Look even when the apply is being interrupted: the order may exist.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	var lerr error
	var ids []string
	// The API may take a moment to list the order: look a few times.
	for attempt := 0; attempt < 3; attempt++ {
		var cand *regfish.Certificate
		cand, ids, lerr = o.FindOrphans(lctx, AfterLostOrder)
		if lerr == nil && cand != nil {
			tflog.Info(ctx, "regfish: found the order placed by the lost request: "+cand.ID, map[string]any{"certificate_id": cand.ID})
			return cand, nil
		}
		if len(ids) > 1 || regfish.Sleep(lctx, time.Duration(attempt+1)*time.Second) != nil {
			break
		}
	}
	switch {
	case lerr != nil:
		return nil, fmt.Errorf("the order request may have been placed (%v), and looking it up failed too (%v). Nothing else was ordered; the next apply looks for it again and resumes it", err, lerr)
	case len(ids) > 1:
		return nil, fmt.Errorf("the order request may have been placed (%v), and several pending orders match it (%s), so none was taken and nothing else was ordered. Import the right one (terraform import <address> <id>) or cancel the others", err, strings.Join(ids, ", "))
	}
	return nil, fmt.Errorf("the order request may have been placed (%v), but no such order is listed yet. Nothing else was ordered; the next apply looks for it again and resumes it if it appears", err)
}

// ErrNoneListed: an order id is unknown to regfish and no order of the
// configuration is listed in its place. Nothing was ordered.
var ErrNoneListed = errors.New("nothing was ordered")

// findOrderAfterUnknownID finds the order an order request placed when the id its answer
// named is unknown to regfish (404 at the first read): the account is
// listed afresh, the unknown id must not be in it, and the order is looked
// up as after a lost answer (by key; which also says whether a renewal is
// looked for). Anything else is an error that places and cancels nothing.
func (o *Orderer) findOrderAfterUnknownID(ctx context.Context, badID string, which OrphanLookup) (*regfish.Certificate, error) {
	gone, err := o.d.OrderGone(ctx, badID)
	switch {
	case err != nil:
		return nil, fmt.Errorf("regfish answered 404 for certificate order %s, and listing the account's orders to find out why failed (%w). Nothing was ordered or cancelled; the next apply checks again", badID, err)
	case !gone:
		return nil, fmt.Errorf("regfish answered 404 for certificate order %s but lists it. Nothing was ordered or cancelled; the next apply checks again", badID)
	}
	which.fresh = false // the list was just read
	cand, ids, err := o.FindOrphans(ctx, which)
	switch {
	case err != nil:
		return nil, fmt.Errorf("certificate order %s is unknown to regfish (404, and not in the account's list), and looking up the order placed under it failed (%w). Nothing else was ordered; the next apply looks for it again", badID, err)
	case cand == nil && len(ids) > 1:
		return nil, fmt.Errorf("certificate order %s is unknown to regfish (404, and not in the account's list), and several orders match this configuration (%s), so none was taken and nothing else was ordered. Import the right one (terraform import <address> <id>) or cancel the others", badID, strings.Join(ids, ", "))
	case cand == nil:
		return nil, fmt.Errorf("certificate order %s is unknown to regfish (404, and not in the account's list), and no other order for these names and this key is listed: %w", badID, ErrNoneListed)
	}
	o.d.Registry.Claim(cand.ID)
	o.d.Registry.SetPlaced(o.Spec.Fingerprint(), cand.ID)
	return cand, nil
}

// FindOrPlaceOrder finds the order a new object works on: one handed over by
// the replaced (tainted) object of this resource, an orphan, or a new one.
func (o *Orderer) FindOrPlaceOrder(ctx context.Context) (*regfish.Certificate, Source, error) {
	reg := o.d.Registry
	fp := o.Spec.Fingerprint()
	if id := reg.TakeHandedOver(fp); id != "" {
		c, err := o.d.client.GetCertificate(ctx, id)
		if err != nil && !regfish.IsNotFound(err) {
			return nil, "", fmt.Errorf("reading order %s, handed over by the replaced object: %w", id, err)
		}
		if err == nil && (c.Pending() || c.Ready()) && o.Spec.matches(c) && reg.Claim(id) {
			reg.SetPlaced(fp, id)
			o.ListCleanup = true
			return c, SourceHandedOver, nil
		}
		if err == nil && c.Pending() && !o.Spec.matches(c) && !o.Spec.KeepPending {
			// The configuration changed: the old order is not what is wanted.
			if _, cerr := o.d.CancelOrder(ctx, id); cerr != nil {
				return nil, "", fmt.Errorf("cancelling order %s of the replaced object, which no longer matches the configuration: %w", id, cerr)
			}
		}
	}
	c, _, err := o.FindOrphans(ctx, ForNewObject)
	var unknown *UnknownOwnerError
	if errors.As(err, &unknown) {
		return nil, "", err
	}
	if err != nil {
		return nil, "", fmt.Errorf("could not check whether an earlier apply left an order for these names, so none was placed: %w", err)
	}
	if c != nil && reg.Claim(c.ID) {
		reg.SetPlaced(fp, c.ID)
		o.ListCleanup = true
		return c, SourceAdopted, nil
	}
	c, err = o.placeOrder(ctx)
	if err != nil {
		return nil, "", err
	}
	reg.Claim(c.ID)
	reg.SetPlaced(fp, c.ID)
	return c, SourcePlaced, nil
}
