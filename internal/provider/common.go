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

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var httpURL = regexp.MustCompile(`^https?://[^\s/]+`)

// providerData is what Configure hands to every resource and data source:
// the ordering engine (Engine) and what only the Terraform side needs.
type providerData struct {
	*order.Engine
	client *regfish.Client
	now    func() time.Time
	// keySource says where the API key came from, for error messages.
	keySource string

	catalogMu sync.Mutex
	catalog   []regfish.Product
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
