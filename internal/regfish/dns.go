package regfish

import (
	"context"
	"net/http"
	"sort"
	"strconv"
)

// ListZones returns the account's DNS zones.
func (c *Client) ListZones(ctx context.Context) ([]Zone, error) {
	var out []Zone
	return out, c.get(ctx, "/dns/zones", &out)
}

// GetZone returns one zone with its details.
func (c *Client) GetZone(ctx context.Context, domain string) (*Zone, error) {
	var out Zone
	if err := c.get(ctx, "/dns/zones/"+pathEscape(Hostname(domain)), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ZoneFor returns the account zone that holds name (the longest matching
// suffix), or an error matching ErrNotFound.
func (c *Client) ZoneFor(ctx context.Context, name string) (string, error) {
	zones, err := c.ListZones(ctx)
	if err != nil {
		return "", err
	}
	return zoneFor(zones, name)
}

func zoneFor(zones []Zone, name string) (string, error) {
	best := ""
	for _, z := range zones {
		d := Hostname(z.Domain)
		if InZone(name, d) && len(d) > len(best) {
			best = d
		}
	}
	if best == "" {
		return "", &APIError{Method: http.MethodGet, Path: "/dns/zones", StatusCode: http.StatusNotFound, Message: "no DNS zone of the account holds " + Hostname(name)}
	}
	return best, nil
}

// ListRecords returns all records of a zone; ErrNotFound when domain is not
// a zone of the account.
func (c *Client) ListRecords(ctx context.Context, domain string) ([]Record, error) {
	var out []Record
	if err := c.get(ctx, "/dns/"+pathEscape(Hostname(domain))+"/rr", &out); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// GetRecord returns one record by id.
func (c *Client) GetRecord(ctx context.Context, id int64) (*Record, error) {
	var out Record
	if err := c.get(ctx, "/dns/rr/"+strconv.FormatInt(id, 10), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateRecord creates a record; the API finds the zone from the name. An
// identical record answers ErrDuplicate. Not idempotent.
func (c *Client) CreateRecord(ctx context.Context, req RecordRequest) (*Record, error) {
	var out Record
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/dns/rr", body: req, out: &out, nonIdempotent: true})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateRecordByNameType updates the record matched by name and type
// (PATCH /dns/rr); ErrNotFound when none matches.
func (c *Client) UpdateRecordByNameType(ctx context.Context, req RecordRequest) (*Record, error) {
	var out Record
	if err := c.send(ctx, http.MethodPatch, "/dns/rr", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateRecord updates a record by id.
func (c *Client) UpdateRecord(ctx context.Context, id int64, req RecordRequest) (*Record, error) {
	var out Record
	if err := c.send(ctx, http.MethodPatch, "/dns/rr/"+strconv.FormatInt(id, 10), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteRecord deletes a record by id.
func (c *Client) DeleteRecord(ctx context.Context, id int64) error {
	return c.send(ctx, http.MethodDelete, "/dns/rr/"+strconv.FormatInt(id, 10), nil, nil)
}
