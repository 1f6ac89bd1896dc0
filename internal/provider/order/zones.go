package order

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The one zone lookup: the account's DNS zones are listed once per provider
// process (one plan, one apply) and shared by every resource.

// AccountZones returns the account's zone names (lower case, no trailing
// dot), listed once per provider process. A failed listing is not cached.
func (d *Engine) AccountZones(ctx context.Context) ([]string, error) {
	d.zonesMu.Lock()
	defer d.zonesMu.Unlock()
	if d.zones != nil {
		return d.zones, nil
	}
	zs, err := d.client.ListZones(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(zs))
	for _, z := range zs {
		if h := regfish.Hostname(z.Domain); h != "" {
			names = append(names, h)
		}
	}
	d.zones = names
	return names, nil
}

// ZoneFor returns the longest account zone that holds name. A name in no
// zone is an error matching ErrNoZone; a failed listing is returned as is.
func (d *Engine) ZoneFor(ctx context.Context, name string) (string, error) {
	zones, err := d.AccountZones(ctx)
	if err != nil {
		return "", err
	}
	best := ""
	for _, z := range zones {
		if regfish.InZone(name, z) && len(z) > len(best) {
			best = z
		}
	}
	if best == "" {
		return "", fmt.Errorf("%s is %w (zones: %s)", regfish.Hostname(name), ErrNoZone, strings.Join(zones, ", "))
	}
	return best, nil
}

// ErrNoZone is a name that no DNS zone of the account holds.
var ErrNoZone = errors.New("not in any DNS zone of the regfish account")
