package regfish

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
)

// ListZones returns the account's DNS zones, each with its domain.
func (c *Client) ListZones(ctx context.Context) ([]Zone, error) {
	var out []Zone
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/dns/zones", out: &out, collection: true, check: func() string {
		for i, z := range out {
			if Hostname(z.Domain) == "" {
				return fmt.Sprintf("zone %d of %d has no domain", i+1, len(out))
			}
		}
		return ""
	}})
	return out, err
}

// GetZone returns one zone with its details; the answer must be that zone.
func (c *Client) GetZone(ctx context.Context, domain string) (*Zone, error) {
	var out Zone
	want := Hostname(domain)
	err := c.get(ctx, "/dns/zones/"+pathEscape(want), &out, func() string {
		switch got := Hostname(out.Domain); {
		case got == "":
			return "the zone has no domain"
		case got != want:
			return fmt.Sprintf("the answer is about zone %q, not %q", got, want)
		}
		return recordsCheck(out.Records)
	})
	if err != nil {
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

func recordsCheck(rs []Record) string {
	for i, r := range rs {
		if r.ID <= 0 {
			return fmt.Sprintf("record %d of %d has no id", i+1, len(rs))
		}
	}
	return ""
}

// recordCheck validates a record answer: a positive id, and when want is
// set, that id.
func recordCheck(out *Record, want int64) func() string {
	return func() string {
		if out.ID <= 0 {
			return "the DNS record has no id"
		}
		if want != 0 && int64(out.ID) != want {
			return fmt.Sprintf("the answer is about DNS record %d, not %d", out.ID, want)
		}
		return ""
	}
}

// ListRecords returns all records of a zone, each with an id; ErrNotFound
// when domain is not a zone of the account.
func (c *Client) ListRecords(ctx context.Context, domain string) ([]Record, error) {
	var out []Record
	if err := c.get(ctx, "/dns/"+pathEscape(Hostname(domain))+"/rr", &out, func() string { return recordsCheck(out) }); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// GetRecord returns one record by id; the answer must be that record.
func (c *Client) GetRecord(ctx context.Context, id int64) (*Record, error) {
	var out Record
	if err := c.get(ctx, "/dns/rr/"+strconv.FormatInt(id, 10), &out, recordCheck(&out, id)); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateRecord creates a record; the API finds the zone from the name. An
// identical record answers ErrDuplicate. Not idempotent: an answer without
// the new record's id matches ErrMaybeProcessed (and ErrInvalidResponse).
// A returned record always has an id.
func (c *Client) CreateRecord(ctx context.Context, req RecordRequest) (*Record, error) {
	var out Record
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/dns/rr", body: req, out: &out, nonIdempotent: true, check: recordCheck(&out, 0)})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateRecordByNameType updates the record matched by name and type
// (PATCH /dns/rr); ErrNotFound when none matches. The answer must carry
// the record's id.
func (c *Client) UpdateRecordByNameType(ctx context.Context, req RecordRequest) (*Record, error) {
	var out Record
	if err := c.send(ctx, http.MethodPatch, "/dns/rr", req, &out, recordCheck(&out, 0)); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateRecord updates a record by id. The answer must carry an id; the
// contract does not say whether it stays the same, so another one is
// accepted and returned.
func (c *Client) UpdateRecord(ctx context.Context, id int64, req RecordRequest) (*Record, error) {
	var out Record
	if err := c.send(ctx, http.MethodPatch, "/dns/rr/"+strconv.FormatInt(id, 10), req, &out, recordCheck(&out, 0)); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteRecord deletes a record by id.
func (c *Client) DeleteRecord(ctx context.Context, id int64) error {
	return c.send(ctx, http.MethodDelete, "/dns/rr/"+strconv.FormatInt(id, 10), nil, nil, nil)
}

// SetDNSSEC asks for a zone's DNSSEC configuration (PUT
// /dns/{domain}/dnssec). regfish carries it out asynchronously: the answer
// may name a pending job, and the zone detail's dnssec object says when the
// change is live (CONTRACT.md §3.1). The status of a refusal is not
// documented: a caller reads the zone afterwards and decides from what it
// reads, never from the status.
func (c *Client) SetDNSSEC(ctx context.Context, domain string, req DNSSECRequest) (*DNSSECAnswer, error) {
	var out DNSSECAnswer
	// Never sent twice: whether a repeated request starts a second job is
	// not documented, so an answer lost after the request may have arrived
	// is ErrMaybeProcessed, and the caller reads the zone (CONTRACT.md §3.1).
	if _, err := c.do(ctx, call{method: http.MethodPut, path: "/dns/" + pathEscape(Hostname(domain)) + "/dnssec", body: req, out: &out, nonIdempotent: true}); err != nil {
		return nil, err
	}
	return &out, nil
}
