package simulator

import (
	"slices"
	"strings"
	"time"
)

// The TLS product catalog (GET /tls/products).

// product is one catalog entry (UNKNOWN choice 9).
type product struct {
	SKU                  string `json:"sku"`
	Name                 string `json:"name"`
	Type                 string `json:"type"`
	CA                   string `json:"ca"`
	Recommended          bool   `json:"recommended,omitempty"`
	ValidationLevel      string `json:"validation_level"`
	OrganizationRequired bool   `json:"organization_required"`
	Wildcard             bool   `json:"wildcard"`
	MaxValidityDays      int    `json:"max_validity_days"`
}

var products = []product{
	{SKU: "RapidSSL", Name: "RapidSSL", Type: "dv", CA: "digicert", Recommended: true, ValidationLevel: "dv", MaxValidityDays: maxValidityDays},
	{SKU: "RapidSSLWildcard", Name: "RapidSSL Wildcard", Type: "dv", CA: "digicert", ValidationLevel: "dv", Wildcard: true, MaxValidityDays: maxValidityDays},
	{SKU: "QuickSSLPremium", Name: "GeoTrust QuickSSL Premium", Type: "dv", CA: "digicert", ValidationLevel: "dv", MaxValidityDays: maxValidityDays},
	{SKU: "SSL123", Name: "Thawte SSL 123", Type: "dv", CA: "digicert", ValidationLevel: "dv", MaxValidityDays: maxValidityDays},
	{SKU: "TrueBusinessID", Name: "GeoTrust True BusinessID", Type: "ov", CA: "digicert", ValidationLevel: "ov", OrganizationRequired: true, MaxValidityDays: maxValidityDays},
	{SKU: "SecureSite", Name: "DigiCert Secure Site", Type: "ov", CA: "digicert", ValidationLevel: "ov", OrganizationRequired: true, MaxValidityDays: maxValidityDays},
	{SKU: "SSLWebServer", Name: "Thawte SSL Web Server", Type: "ov", CA: "digicert", ValidationLevel: "ov", OrganizationRequired: true, MaxValidityDays: maxValidityDays},
}

const (
	maxValidityDays      = 199
	maxLifetimeDays      = 397
	cancelWindow         = 30 * 24 * time.Hour
	dcvSuffix            = ".dcv.digicert.com."
	completionURLPattern = "https://dash.regfish.com/my/certs/%s/complete"
)

func findProduct(sku string) (product, bool) {
	for _, p := range products {
		if strings.EqualFold(p.SKU, sku) {
			return p, true
		}
	}
	return product{}, false
}

// productsView is the catalog with type and validation_level in the case of
// Variants.ProductType.
func (s *Simulator) productsView() []product {
	out := slices.Clone(products)
	if s.opts.Variants.ProductType == "upper" {
		for i := range out {
			out[i].Type, out[i].ValidationLevel = strings.ToUpper(out[i].Type), strings.ToUpper(out[i].ValidationLevel)
		}
	}
	return out
}

func productList() string {
	var s []string
	for _, p := range products {
		s = append(s, p.SKU)
	}
	return strings.Join(s, ", ")
}
