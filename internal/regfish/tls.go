package regfish

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
)

// ListProducts returns the product catalog (GET /tls/products). Every
// product has a SKU.
func (c *Client) ListProducts(ctx context.Context) ([]Product, error) {
	var out []Product
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/tls/products", out: &out, collection: true, check: func() string {
		for i, p := range out {
			if strings.TrimSpace(p.SKU) == "" {
				return fmt.Sprintf("product %d of %d has no sku", i+1, len(out))
			}
		}
		return ""
	}})
	return out, err
}

// FindProduct returns the product whose SKU equals sku case-insensitively.
func FindProduct(products []Product, sku string) (Product, bool) {
	for _, p := range products {
		if strings.EqualFold(p.SKU, sku) {
			return p, true
		}
	}
	return Product{}, false
}

// ListOrganizations returns the account's TLS organizations, each with an id.
func (c *Client) ListOrganizations(ctx context.Context) ([]Organization, error) {
	var out []Organization
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/tls/organization", out: &out, collection: true, check: func() string {
		for i, o := range out {
			if !validOrgID(o.ID) {
				return fmt.Sprintf("organization %d of %d has no id", i+1, len(out))
			}
		}
		return ""
	}})
	return out, err
}

// GetOrganization finds one organization by its public id. The API has no
// single-organization endpoint, so this lists and filters; a missing id is
// an *APIError matching ErrNotFound.
func (c *Client) GetOrganization(ctx context.Context, id string) (*Organization, error) {
	orgs, err := c.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	for i := range orgs {
		if string(orgs[i].ID) == id {
			return &orgs[i], nil
		}
	}
	return nil, &APIError{Method: http.MethodGet, Path: "/tls/organization", StatusCode: http.StatusNotFound, Message: "TLS organization " + id + " not found"}
}

// CreateOrganization creates a TLS organization. Not idempotent: it is never
// retried after the request may have reached the server, and an answer
// without the new organization's id matches ErrMaybeProcessed (and
// ErrInvalidResponse): the caller must look the organization up.
func (c *Client) CreateOrganization(ctx context.Context, req OrganizationRequest) (*Organization, error) {
	var out Organization
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/tls/organization", body: req, out: &out, nonIdempotent: true,
		check: func() string {
			if !validOrgID(out.ID) {
				return "the created organization has no id"
			}
			return ""
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateOrganization edits organization id (PATCH /tls/organization/{id}):
// the fields of req that are set, and req.EditMode. The answer's
// organization may carry another id than id (edit_mode
// "create_replacement" may hand back a replacement, and what regfish does
// without it is assumed); the caller must take the id from the answer.
// Since any edit may create an organization, the call is never retried once
// the request may have reached the API (ErrMaybeProcessed: look it up).
func (c *Client) UpdateOrganization(ctx context.Context, id string, req OrganizationUpdate) (*Organization, error) {
	var out Organization
	_, err := c.do(ctx, call{method: http.MethodPatch, path: "/tls/organization/" + pathEscape(id), body: req, out: &out,
		nonIdempotent: true,
		check: func() string {
			if !validOrgID(out.ID) {
				return "the organization has no id"
			}
			return ""
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// validOrgID: not empty, and not the number 0 (legacy numeric ids start at 1).
func validOrgID(id FlexString) bool {
	s := strings.TrimSpace(string(id))
	return s != "" && s != "0"
}

// certCheck validates a certificate answer: it has an id, and when want is
// set, that id.
func certCheck(out *Certificate, want string) func() string {
	return func() string {
		if strings.TrimSpace(out.ID) == "" {
			return "the certificate has no id"
		}
		if want != "" && !strings.EqualFold(out.ID, want) {
			return fmt.Sprintf("the answer is about certificate %q, not %q", out.ID, want)
		}
		return ""
	}
}

// ListCertificates returns all certificate orders of the account, each with
// an id.
func (c *Client) ListCertificates(ctx context.Context) ([]Certificate, error) {
	var out []Certificate
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/tls/certificate", out: &out, collection: true, stream: true, check: func() string {
		for i, o := range out {
			if strings.TrimSpace(o.ID) == "" {
				return fmt.Sprintf("certificate %d of %d has no id", i+1, len(out))
			}
		}
		return ""
	}})
	return out, err
}

// GetCertificate returns one order; ErrNotFound when the id is unknown. The
// answer carries the id asked for (else ErrInvalidResponse, after retries).
func (c *Client) GetCertificate(ctx context.Context, id string) (*Certificate, error) {
	var out Certificate
	if err := c.get(ctx, "/tls/certificate/"+pathEscape(id), &out, certCheck(&out, id)); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateCertificate places an order (or a renewal order). Not idempotent: a
// failure that may have reached the server matches ErrMaybeProcessed - so
// does an answer without an order id, a context cancelled while the request
// was in flight - and the caller must look the order up (ListCertificates)
// before trying again. A returned certificate always has an id.
func (c *Client) CreateCertificate(ctx context.Context, req CertificateRequest) (*Certificate, error) {
	var out Certificate
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/tls/certificate", body: req, out: &out, nonIdempotent: true, check: certCheck(&out, "")})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// certAction POSTs an action on certificate id; the answer must be that
// certificate. An invalid 2xx answer matches ErrInvalidResponse and
// ErrMaybeProcessed (the action was carried out; read the certificate).
func (c *Client) certAction(ctx context.Context, id, action string, body any) (*Certificate, error) {
	var out Certificate
	if err := c.send(ctx, http.MethodPost, "/tls/certificate/"+pathEscape(id)+"/"+action, body, &out, certCheck(&out, id)); err != nil {
		return nil, err
	}
	return &out, nil
}

// CompleteCertificate binds a usable organization to a staged order. A
// repeated call answers ErrConflict (the order is no longer staged).
func (c *Client) CompleteCertificate(ctx context.Context, id, orgID string) (*Certificate, error) {
	return c.certAction(ctx, id, "complete", map[string]string{"org_id": orgID})
}

// ReissueCertificate starts a reissue on the same order. A repeated call
// answers ErrConflict while the first reissue is active.
func (c *Client) ReissueCertificate(ctx context.Context, id string, req ReissueRequest) (*Certificate, error) {
	return c.certAction(ctx, id, "reissue", req)
}

// RevokeCertificate revokes the certificate (see RevokeRequest).
func (c *Client) RevokeCertificate(ctx context.Context, id string, req RevokeRequest) (*Certificate, error) {
	return c.certAction(ctx, id, "revoke", req)
}

// CancelCertificate cancels the order.
func (c *Client) CancelCertificate(ctx context.Context, id string) (*Certificate, error) {
	return c.certAction(ctx, id, "cancel", nil)
}

// DownloadCertificate returns the raw download (format "pem" or "zip").
// Before the certificate is ready the API answers 409 (ErrConflict). A
// "pem" answer must hold a CERTIFICATE block and a "zip" answer must be a
// ZIP archive, else ErrInvalidResponse (after retries).
func (c *Client) DownloadCertificate(ctx context.Context, id, format string) ([]byte, error) {
	return c.do(ctx, call{method: http.MethodGet, path: "/tls/certificate/" + pathEscape(id) + "/download/" + pathEscape(format), raw: true,
		rawCheck: func(b []byte) string {
			switch {
			case len(bytes.TrimSpace(b)) == 0:
				return "the download is empty"
			case strings.EqualFold(format, "pem") && !bytes.Contains(b, []byte("-----BEGIN CERTIFICATE-----")):
				return "the PEM download holds no CERTIFICATE block"
			case strings.EqualFold(format, "zip") && !bytes.HasPrefix(b, []byte("PK\x03\x04")):
				return "the ZIP download is not a ZIP archive"
			}
			return ""
		}})
}
