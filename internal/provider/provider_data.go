package provider

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

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
