// Package provider implements the regfish Terraform provider: its
// configuration, resources and data sources. Every API call goes through
// the one client in internal/regfish.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Environment variables read by the provider.
const (
	EnvAPIKey  = "REGFISH_API_KEY"
	EnvBaseURL = "REGFISH_BASE_URL"
	// EnvClockOffset (a Go duration, for tests against the simulator only)
	// moves the provider's clock, which decides renewal windows, like the
	// simulator's clock control.
	EnvClockOffset = "REGFISH_TEST_CLOCK_OFFSET"
)

// Defaults of the provider configuration.
const (
	defaultPollInterval    = time.Second
	defaultMaxPollInterval = time.Minute
	// minRequestTimeout is the shortest request_timeout accepted.
	minRequestTimeout = 100 * time.Millisecond
)

var (
	_ provider.Provider                   = (*regfishProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*regfishProvider)(nil)
	_ provider.ProviderWithListResources  = (*regfishProvider)(nil)
	_ provider.ProviderWithActions        = (*regfishProvider)(nil)
)

type regfishProvider struct {
	version string
	// now is the provider's clock; tests replace it (renewal windows).
	now func() time.Time
}

// New returns a constructor of the provider for the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &regfishProvider{version: version, now: envClock()} }
}

// envClock is the wall clock, moved by EnvClockOffset when set.
func envClock() func() time.Time {
	off, err := time.ParseDuration(os.Getenv(EnvClockOffset))
	if err != nil || off == 0 {
		return time.Now
	}
	return func() time.Time { return time.Now().Add(off) }
}

// providerModel is the provider configuration.
type providerModel struct {
	APIKey          types.String         `tfsdk:"api_key"`
	BaseURL         types.String         `tfsdk:"base_url"`
	MaxRetries      types.Int64          `tfsdk:"max_retries"`
	RetryWaitMin    timetypes.GoDuration `tfsdk:"retry_wait_min"`
	RetryWaitMax    timetypes.GoDuration `tfsdk:"retry_wait_max"`
	PollInterval    timetypes.GoDuration `tfsdk:"poll_interval"`
	MaxPollInterval timetypes.GoDuration `tfsdk:"max_poll_interval"`
	RequestTimeout  timetypes.GoDuration `tfsdk:"request_timeout"`
	AllowInsecure   types.Bool           `tfsdk:"allow_insecure_http"`
	DCVScope        types.String         `tfsdk:"dcv_scope"`
	DCVResolvers    types.List           `tfsdk:"dcv_resolvers"`
}

func (p *regfishProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "regfish"
	resp.Version = p.version
}

func (p *regfishProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	positive := []validator.String{durationAtLeast(time.Millisecond)}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The regfish provider orders and manages TLS certificates, the TLS organizations OV/EV orders " +
			"are bound to, and DNS records through the [regfish API](https://regfish.com/docs).",
		Attributes: map[string]schema.Attribute{
			"api_key": schema.StringAttribute{
				MarkdownDescription: "regfish API key (sent as `x-api-key`). Needs access to the TLS and DNS endpoints. " +
					"May also be set with the `" + EnvAPIKey + "` environment variable. Never logged.",
				Optional:  true,
				Sensitive: true,
			},
			"base_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the API (default: `" + regfish.DefaultBaseURL + "`). May also be set with the `" +
					EnvBaseURL + "` environment variable. Point it at the regfish API simulator for tests. A plain `http://` URL is " +
					"only accepted for this machine (`localhost`, `127.0.0.0/8`, `::1`) unless `allow_insecure_http` is set. The API key " +
					"is only ever sent to this URL's scheme, host and port: a redirect elsewhere fails the request.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(httpURL, "must be an absolute http:// or https:// URL")},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How often a failed API request is retried: 5xx answers, unusable answers to reads, "+
					"timeouts and connection errors, with jittered exponential backoff, within `%s` per request in all (at least one "+
					"`request_timeout`). 429 answers are retried on their own allowance, honouring `Retry-After`, and requests are paced "+
					"by the API's `RateLimit` headers so that several runs sharing a key slow down instead of failing. Placing an order, "+
					"an organization or a DNS record is only retried when the request provably did not reach the API. `0` disables "+
					"retries (default: `%d`).", regfish.DefaultMaxRetryDuration, regfish.DefaultMaxRetries),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 20)},
			},
			"retry_wait_min": schema.StringAttribute{
				CustomType:          timetypes.GoDurationType{},
				MarkdownDescription: "Shortest wait before a retry, a Go duration such as `500ms` (default: `500ms`).",
				Optional:            true,
				Validators:          positive,
			},
			"retry_wait_max": schema.StringAttribute{
				CustomType:          timetypes.GoDurationType{},
				MarkdownDescription: "Longest wait before a retry (default: `30s`).",
				Optional:            true,
				Validators:          positive,
			},
			"poll_interval": schema.StringAttribute{
				CustomType: timetypes.GoDurationType{},
				MarkdownDescription: "First wait between two status checks while a certificate order, completion or reissue is " +
					"pending; later waits double (±20% jitter) up to `max_poll_interval`. The first check follows the publication " +
					"of the DCV records at once. With the defaults a five-minute issuance costs about a dozen status checks " +
					"(default: `1s`).",
				Optional:   true,
				Validators: positive,
			},
			"max_poll_interval": schema.StringAttribute{
				CustomType:          timetypes.GoDurationType{},
				MarkdownDescription: "Longest wait between two status checks (default: `1m`).",
				Optional:            true,
				Validators:          positive,
			},
			"request_timeout": schema.StringAttribute{
				CustomType: timetypes.GoDurationType{},
				MarkdownDescription: fmt.Sprintf("Longest wait for one API request - connecting, sending and reading the answer - "+
					"before it counts as unanswered and is retried, a Go duration of at least `%s` (default: `%s`). An API that "+
					"accepts connections but never answers fails a request, naming `base_url`, after `%s` in all (or one "+
					"`request_timeout`, when that is longer); further requests of the same run then fail at once for as long.",
					minRequestTimeout, regfish.DefaultRequestTimeout, regfish.DefaultMaxRetryDuration),
				Optional:   true,
				Validators: []validator.String{durationAtLeast(minRequestTimeout)},
			},
			"allow_insecure_http": schema.BoolAttribute{
				MarkdownDescription: "Allow a plain `http://` `base_url` to a host other than this machine. Off by default: the " +
					"API key would cross the network unencrypted. Plain `http://` to `localhost`, `127.0.0.0/8` or `::1` (the API " +
					"simulator) is always allowed.",
				Optional: true,
			},
			"dcv_scope": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Where the CA expects the DCV records of an order, which names the keys of "+
					"`regfish_tls_certificate.dcv_records` at plan time (with `dcv_publisher = \"%s\"`): `%s` (default; one "+
					"`_dnsauth.<registrable domain>` per registrable domain of the names, as in the regfish recipe: "+
					"`_dnsauth.example.com` for `www.example.com` and `api.example.com`) or `%s` (one `_dnsauth.<name>` per name). "+
					"A leading `*.` is ignored either way. When regfish asks for other records than predicted, the apply fails "+
					"naming both and the scope to set; the order is kept. See the guide [Validating through another DNS provider](guides/external-dns-validation.md).",
					dcvPublisherExternal, order.ScopeRegistrableDomain, order.ScopePerName),
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(order.DCVScopes...)},
			},
			"dcv_resolvers": schema.ListAttribute{
				MarkdownDescription: "DNS servers (`host` or `host:port`, port 53 by default) that the wait of " +
					"`regfish_tls_certificate_validation` asks for the `_dnsauth` records, to report what DNS shows — per name: " +
					"missing, another value (and whose token it is, when known) or right — in its progress log and in its timeout " +
					"error. Unset: the authoritative servers of each record's zone, found through NS lookups. Set it for " +
					"split-horizon DNS, or to your test DNS server when testing against the API simulator. The report only informs: " +
					"the CA alone decides when the certificate is issued, and a DNS failure never fails or ends a wait. Each " +
					"query gives up after 2 seconds, a whole report after 5.",
				ElementType: types.StringType,
				Optional:    true,
			},
		},
	}
}

// insecureBaseURL is the detail of the error for a plain http:// base URL
// to another host; from names where the URL came from.
func insecureBaseURL(baseURL, from string) string {
	return fmt.Sprintf("%s %q uses plain http:// to a host other than this machine: the API key would cross the network "+
		"unencrypted. Use https://, or set allow_insecure_http = true in the provider configuration if the network path "+
		"is trusted. Plain http:// to localhost, 127.0.0.0/8 and ::1 is always allowed.", from, baseURL)
}

// ValidateConfig checks base_url against allow_insecure_http at plan time.
func (p *regfishProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.BaseURL.IsNull() || cfg.BaseURL.IsUnknown() || cfg.AllowInsecure.IsUnknown() {
		return
	}
	base := strings.TrimSpace(cfg.BaseURL.ValueString())
	if err := regfish.CheckBaseURL(base, cfg.AllowInsecure.ValueBool()); errors.Is(err, regfish.ErrInsecureBaseURL) {
		resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Insecure regfish base_url", insecureBaseURL(base, "base_url"))
	}
}

func (p *regfishProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	unknown := func(attr, env string) {
		resp.Diagnostics.AddAttributeError(path.Root(attr), "Unknown regfish provider "+attr,
			"The provider cannot create the regfish API client because "+attr+" is not known until apply. "+
				"Set it to a value known at plan time, or leave it unset and use the "+env+" environment variable.")
	}
	if cfg.APIKey.IsUnknown() {
		unknown("api_key", EnvAPIKey)
	}
	if cfg.BaseURL.IsUnknown() {
		unknown("base_url", EnvBaseURL)
	}
	for attr, v := range map[string]timetypes.GoDuration{"retry_wait_min": cfg.RetryWaitMin, "retry_wait_max": cfg.RetryWaitMax,
		"poll_interval": cfg.PollInterval, "max_poll_interval": cfg.MaxPollInterval, "request_timeout": cfg.RequestTimeout} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(attr), "Unknown regfish provider "+attr, attr+" must be known at plan time.")
		}
	}
	if cfg.DCVScope.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("dcv_scope"), "Unknown regfish provider dcv_scope",
			"dcv_scope must be known at plan time: it names the keys of dcv_records in the plan.")
	}
	if cfg.DCVResolvers.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("dcv_resolvers"), "Unknown regfish provider dcv_resolvers", "dcv_resolvers must be known at plan time.")
	}
	if cfg.MaxRetries.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("max_retries"), "Unknown regfish provider max_retries", "max_retries must be known at plan time.")
	}
	if cfg.AllowInsecure.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("allow_insecure_http"), "Unknown regfish provider allow_insecure_http",
			"allow_insecure_http must be known at plan time.")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	apiKey, keySource := os.Getenv(EnvAPIKey), "the "+EnvAPIKey+" environment variable"
	if !cfg.APIKey.IsNull() {
		apiKey, keySource = cfg.APIKey.ValueString(), "the provider's api_key attribute"
	}
	baseURL, baseFrom := os.Getenv(EnvBaseURL), EnvBaseURL
	if !cfg.BaseURL.IsNull() {
		baseURL, baseFrom = cfg.BaseURL.ValueString(), "base_url"
	}
	if baseURL == "" {
		baseURL = regfish.DefaultBaseURL
	}
	if apiKey == "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Missing regfish API key",
			"The provider needs an API key for the regfish API. Set api_key in the provider configuration or the "+
				EnvAPIKey+" environment variable. Keys are created in the regfish Console under Settings → Security → API keys.")
		return
	}
	ctx = tflog.SetField(ctx, "regfish_base_url", baseURL)
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "api_key")
	ctx = tflog.MaskMessageStrings(ctx, apiKey)

	dur := func(v timetypes.GoDuration, def time.Duration) time.Duration {
		if v.IsNull() {
			return def
		}
		d, _ := v.ValueGoDuration()
		return d
	}
	ccfg := regfish.Config{
		BaseURL:      baseURL,
		APIKey:       apiKey,
		UserAgent:    fmt.Sprintf("terraform-provider-regfish/%s (+https://registry.terraform.io/providers/regfish/regfish) Terraform/%s", p.version, req.TerraformVersion),
		RetryWaitMin: dur(cfg.RetryWaitMin, regfish.DefaultRetryWaitMin),
		RetryWaitMax: dur(cfg.RetryWaitMax, regfish.DefaultRetryWaitMax),
		// RequestTimeout: the client's default when unset (dur returns 0).
		RequestTimeout:    dur(cfg.RequestTimeout, 0),
		AllowInsecureHTTP: cfg.AllowInsecure.ValueBool(),
		Logger:            tflogLogger{apiKey: apiKey},
	}
	if !cfg.MaxRetries.IsNull() {
		ccfg.MaxRetries = int(cfg.MaxRetries.ValueInt64())
		if ccfg.MaxRetries == 0 {
			ccfg.MaxRetries = -1
		}
	}
	if ccfg.RetryWaitMax < ccfg.RetryWaitMin {
		resp.Diagnostics.AddAttributeError(path.Root("retry_wait_max"), "Invalid regfish provider retry_wait_max",
			"retry_wait_max must not be shorter than retry_wait_min.")
		return
	}
	client, err := regfish.New(ccfg)
	if errors.Is(err, regfish.ErrInsecureBaseURL) {
		resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Insecure regfish base_url", insecureBaseURL(strings.TrimSpace(baseURL), baseFrom))
		return
	}
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Unable to create the regfish API client", err.Error())
		return
	}
	engine := order.NewEngine(client)
	engine.PollMin = dur(cfg.PollInterval, defaultPollInterval)
	engine.PollMax = dur(cfg.MaxPollInterval, defaultMaxPollInterval)
	data := &providerData{Engine: engine, client: client, now: p.now, keySource: keySource}
	if !cfg.DCVScope.IsNull() {
		data.DCVScope = cfg.DCVScope.ValueString()
	}
	var resolvers []string
	if !cfg.DCVResolvers.IsNull() {
		resp.Diagnostics.Append(cfg.DCVResolvers.ElementsAs(ctx, &resolvers, false)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	data.Probe = order.NewDNSProbe(resolvers)
	if data.PollMax < data.PollMin {
		resp.Diagnostics.AddAttributeError(path.Root("max_poll_interval"), "Invalid regfish provider max_poll_interval",
			"max_poll_interval must not be shorter than poll_interval.")
		return
	}
	tflog.Debug(ctx, "configured regfish API client", map[string]any{"max_retries": ccfg.MaxRetries, "request_timeout": ccfg.RequestTimeout.String()})
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

func (p *regfishProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewCertificateResource, NewCertificateValidationResource, NewOrganizationResource, NewDNSRecordResource, NewDNSSECResource}
}

func (p *regfishProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewProductsDataSource, NewOrganizationDataSource, NewCertificateDataSource, NewDNSZoneDataSource}
}

func (p *regfishProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{NewCertificateListResource, NewDNSRecordListResource}
}

func (p *regfishProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{NewCertificateRevokeAction, NewCertificateReissueAction}
}
