package regfish

import (
	"context"
	"net/http"
	"strings"
)

// ListProducts returns the product catalog (GET /tls/products).
func (c *Client) ListProducts(ctx context.Context) ([]Product, error) {
	var out []Product
	return out, c.get(ctx, "/tls/products", &out)
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

// ListOrganizations returns the account's TLS organizations.
func (c *Client) ListOrganizations(ctx context.Context) ([]Organization, error) {
	var out []Organization
	return out, c.get(ctx, "/tls/organization", &out)
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
// retried after the request may have reached the server.
func (c *Client) CreateOrganization(ctx context.Context, req OrganizationRequest) (*Organization, error) {
	var out Organization
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/tls/organization", body: req, out: &out, nonIdempotent: true})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListCertificates returns all certificate orders of the account.
func (c *Client) ListCertificates(ctx context.Context) ([]Certificate, error) {
	var out []Certificate
	return out, c.get(ctx, "/tls/certificate", &out)
}

// GetCertificate returns one order; ErrNotFound when the id is unknown.
func (c *Client) GetCertificate(ctx context.Context, id string) (*Certificate, error) {
	var out Certificate
	if err := c.get(ctx, "/tls/certificate/"+pathEscape(id), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateCertificate places an order (or a renewal order). Not idempotent: a
// failure that may have reached the server matches ErrMaybeProcessed, and
// the caller must look the order up (ListCertificates) before trying again.
func (c *Client) CreateCertificate(ctx context.Context, req CertificateRequest) (*Certificate, error) {
	var out Certificate
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/tls/certificate", body: req, out: &out, nonIdempotent: true})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CompleteCertificate binds a usable organization to a staged order. A
// repeated call answers ErrConflict (the order is no longer staged).
func (c *Client) CompleteCertificate(ctx context.Context, id, orgID string) (*Certificate, error) {
	var out Certificate
	err := c.send(ctx, http.MethodPost, "/tls/certificate/"+pathEscape(id)+"/complete", map[string]string{"org_id": orgID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ReissueCertificate starts a reissue on the same order. A repeated call
// answers ErrConflict while the first reissue is active.
func (c *Client) ReissueCertificate(ctx context.Context, id string, req ReissueRequest) (*Certificate, error) {
	var out Certificate
	if err := c.send(ctx, http.MethodPost, "/tls/certificate/"+pathEscape(id)+"/reissue", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeCertificate revokes the certificate (see RevokeRequest).
func (c *Client) RevokeCertificate(ctx context.Context, id string, req RevokeRequest) (*Certificate, error) {
	var out Certificate
	if err := c.send(ctx, http.MethodPost, "/tls/certificate/"+pathEscape(id)+"/revoke", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelCertificate cancels the order.
func (c *Client) CancelCertificate(ctx context.Context, id string) (*Certificate, error) {
	var out Certificate
	if err := c.send(ctx, http.MethodPost, "/tls/certificate/"+pathEscape(id)+"/cancel", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DownloadCertificate returns the raw download (format "pem" or "zip").
// Before the certificate is ready the API answers 409 (ErrConflict).
func (c *Client) DownloadCertificate(ctx context.Context, id, format string) ([]byte, error) {
	return c.do(ctx, call{method: http.MethodGet, path: "/tls/certificate/" + pathEscape(id) + "/download/" + pathEscape(format), raw: true})
}
