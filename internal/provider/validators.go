package provider

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Every name and id pattern of the provider. The DNS names are built on
// one label pattern: a letter or digit, then up to 61 letters, digits or
// hyphens, ending in a letter or digit (63 characters at most).

// dnsLabelOf is a DNS label made of chars (a character class body).
func dnsLabelOf(chars string) string {
	return "[" + chars + "]([" + chars + "-]{0,61}[" + chars + "])?"
}

var (
	// hostLabel is a host name label; ownerLabel also allows underscores,
	// as DNS owner names do (_dnsauth, _acme-challenge, _sip._tcp).
	hostLabel    = dnsLabelOf("a-z0-9")
	anyCaseLabel = dnsLabelOf("A-Za-z0-9")
	ownerLabel   = dnsLabelOf("a-z0-9_")

	// hostnameRe is a record target: one or more labels, any case, with or
	// without trailing dot.
	hostnameRe = regexp.MustCompile(`^(?i)(` + ownerLabel + `\.)*` + ownerLabel + `\.?$`)
	// recordNameRe is a record's absolute name (a wildcard too).
	recordNameRe = regexp.MustCompile(`^(?i)(\*\.)?(` + ownerLabel + `\.)+` + ownerLabel + `\.?$`)
	// zoneNameRe is a domain name in any case, with or without trailing dot.
	zoneNameRe = regexp.MustCompile(`^(` + anyCaseLabel + `\.)+` + anyCaseLabel + `\.?$`)
	// certNameRe is a certificate name: lower case, a wildcard too, no
	// trailing dot.
	certNameRe = regexp.MustCompile(`^(\*\.)?(` + hostLabel + `\.)+` + hostLabel + `$`)

	certIDRe    = regexp.MustCompile(`^[0-9A-Za-z_-]+$`)
	orgIDRe     = regexp.MustCompile(`^hdl_[0-9A-Z]+$`)
	countryRe   = regexp.MustCompile(`^[A-Z]{2}$`)
	emailRe     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phoneRe     = regexp.MustCompile(`^\+?[0-9][0-9 ()./-]{4,30}$`)
	srvDataRe   = regexp.MustCompile(`^\d{1,5}\s+\d{1,5}\s+\S+$`)
	caaDataRe   = regexp.MustCompile(`^\d{1,3}\s+(issue|issuewild|iodef)\s+"[^"]*"$`)
	hexDigestRe = regexp.MustCompile(`^[0-9A-Fa-f]+$`)
	httpURL     = regexp.MustCompile(`^https?://[^\s/]+`)
)

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
