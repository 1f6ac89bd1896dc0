package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var httpURL = regexp.MustCompile(`^https?://[^\s/]+`)

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	client  *regfish.Client
	pollMin time.Duration
	pollMax time.Duration
	now     func() time.Time
	orders  *orderRegistry
	// keySource says where the API key came from, for error messages.
	keySource string
	// dcvScope is the provider's dcv_scope: where the CA expects the DCV
	// records (the keys of dcv_records).
	dcvScope string
	// dcvProbe says what DNS shows of DCV records while a wait runs
	// (dcv_resolvers); nil: no report.
	dcvProbe *dcvProbe

	catalogMu sync.Mutex
	catalog   []regfish.Product

	zonesMu sync.Mutex
	zones   []string

	ordersMu sync.Mutex
	orders0  []regfish.Certificate // the account's orders, listed once per process
	// listFailed: the listing failed once; refreshes read orders singly.
	listFailed bool

	// dcvNames: the DCV record names an order of this process publishes
	// (name -> certificate id), see holdDCVName.
	dcvMu    sync.Mutex
	dcvNames map[string]*dcvHold
	// dcvProved: DCV record names whose records this process published for
	// an order that was then issued: the CA has just seen the domain
	// proved (guarded by dcvMu).
	dcvProved map[string]bool

	// extDCV: the DCV records of the external-mode orders of this
	// process (record name -> order and value), see noteExternalDCV.
	extDCVMu sync.Mutex
	extDCV   map[string][]extDCVUse
}

// extDCVUse is one external-mode order's need of a DCV record name.
type extDCVUse struct {
	ID, CommonName, Value string
}

// dcvHold is one DCV record name held by an order of this process; done is
// closed when it is released.
type dcvHold struct {
	id   string
	done chan struct{}
}

// products returns the product catalog, fetched once per provider process.
func (d *providerData) products(ctx context.Context) ([]regfish.Product, error) {
	d.catalogMu.Lock()
	defer d.catalogMu.Unlock()
	if d.catalog != nil {
		return d.catalog, nil
	}
	ps, err := d.client.ListProducts(ctx)
	if err != nil {
		return nil, err
	}
	d.catalog = ps
	return ps, nil
}

// orderRegistry remembers, for one provider process (one plan or apply),
// which certificate orders a resource has claimed and which ones a replaced
// object handed over, so that a replacement resumes the same order.
type orderRegistry struct {
	mu      sync.Mutex
	claimed map[string]bool
	handed  map[string]string // config fingerprint -> order id handed over by Delete
	placed  map[string]string // config fingerprint -> order id a Create already holds
}

func newOrderRegistry() *orderRegistry {
	return &orderRegistry{claimed: map[string]bool{}, handed: map[string]string{}, placed: map[string]string{}}
}

// claim marks id as held by a resource of this process; false if another
// resource already holds it.
func (r *orderRegistry) claim(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.claimed[id] {
		return false
	}
	r.claimed[id] = true
	return true
}

func (r *orderRegistry) isClaimed(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.claimed[id]
}

// tflogLogger sends the client's log lines to tflog, masking the key.
type tflogLogger struct{ apiKey string }

func (l tflogLogger) mask(ctx context.Context) context.Context {
	if l.apiKey != "" {
		ctx = tflog.MaskMessageStrings(ctx, l.apiKey)
		ctx = tflog.MaskAllFieldValuesStrings(ctx, l.apiKey)
	}
	return ctx
}

func (l tflogLogger) Debug(ctx context.Context, msg string, f map[string]any) {
	tflog.Debug(l.mask(ctx), msg, f)
}

func (l tflogLogger) Warn(ctx context.Context, msg string, f map[string]any) {
	tflog.Warn(l.mask(ctx), msg, f)
}

// configureData extracts providerData in a resource or data source Configure.
func configureData(pd any, diags *diag.Diagnostics) *providerData {
	if pd == nil {
		return nil // provider not configured yet (validation)
	}
	d, ok := pd.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data Type",
			fmt.Sprintf("Expected *providerData, got %T. This is always a bug in the provider; please report it to the provider developers.", pd))
		return nil
	}
	return d
}

// durationAtLeast validates a Go duration string of at least min.
func durationAtLeast(minimum time.Duration) validator.String { return durationValidator{min: minimum} }

type durationValidator struct{ min time.Duration }

func (v durationValidator) Description(context.Context) string {
	return fmt.Sprintf("a Go duration of at least %s", v.min)
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil {
		return // timetypes.GoDuration reports the parse error
	}
	if d < v.min {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Duration", fmt.Sprintf("%s must be at least %s, got %s.", req.Path, v.min, d))
	}
}

func joinQuoted(vals []string) string { return "`" + strings.Join(vals, "`, `") + "`" }

func (r *orderRegistry) handOver(fp, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handed[fp] = id
}

// takeHandedOver returns (and forgets) the order handed over for fp.
func (r *orderRegistry) takeHandedOver(fp string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.handed[fp]
	delete(r.handed, fp)
	return id
}

func (r *orderRegistry) setPlaced(fp, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.placed[fp] = id
}

func (r *orderRegistry) placedFor(fp string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.placed[fp]
}
