package provider

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func TestAccProvider_ConfigurationErrors(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	t.Setenv(EnvAPIKey, "")
	t.Setenv(EnvBaseURL, "")
	ds := `
data "regfish_tls_products" "all" {}
`
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      `provider "regfish" {}` + ds,
			ExpectError: errRe(`Missing regfish API key.*REGFISH_API_KEY`),
		},
		{
			Config:      "provider \"regfish\" {\napi_key = \"k\"\nbase_url = \"ftp://x\"\n}" + ds,
			ExpectError: errRe(`base_url.*absolute http:// or https:// URL`),
		},
		{
			Config:      "provider \"regfish\" {\napi_key = \"k\"\npoll_interval = \"soon\"\n}" + ds,
			ExpectError: errRe(`poll_interval`),
		},
		{
			Config:      "provider \"regfish\" {\napi_key = \"k\"\nmax_retries = 99\n}" + ds,
			ExpectError: errRe(`max_retries.*between 0 and 20`),
		},
		{
			Config:      "provider \"regfish\" {\napi_key = \"k\"\npoll_interval = \"2m\"\n}" + ds,
			ExpectError: errRe(`max_poll_interval must not be shorter than poll_interval`),
		},
		{
			// a wrong key: the API's 401 is reported as such
			Config:      "provider \"regfish\" {\nbase_url = \"" + e.sim.URL + "\"\napi_key = \"wrong\"\n}" + ds,
			ExpectError: errRe(`HTTP 401: Unauthorized`),
		},
		{
			// the environment variables are enough
			PreConfig: func() {
				t.Setenv(EnvAPIKey, e.sim.APIKey())
				t.Setenv(EnvBaseURL, e.sim.URL)
			},
			Config: `provider "regfish" {}` + ds,
			Check:  resource.TestCheckResourceAttr("data.regfish_tls_products.all", "skus.#", "7"),
		},
	}})
}

// The transport settings: plain http only to this machine unless
// allow_insecure_http, checked at plan time naming the field (or the
// environment variable); request_timeout bounds a request to an API that
// never answers, and the error names base_url.
func TestAccProvider_TransportSettings(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	t.Setenv(EnvAPIKey, "")
	t.Setenv(EnvBaseURL, "")
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	ds := `
data "regfish_tls_products" "all" {}
`
	provider := func(lines ...string) string {
		return "provider \"regfish\" {\napi_key = \"k\"\n" + strings.Join(lines, "\n") + "\n}\n" + ds
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      provider(`base_url = "http://api.example.com"`),
			ExpectError: errRe(`Insecure regfish base_url.*base_url "http://api.example.com" uses plain http://.*allow_insecure_http = true`),
		},
		{
			Config:      provider(`base_url = "http://192.0.2.1:9"`, `allow_insecure_http = false`),
			ExpectError: errRe(`Insecure regfish base_url`),
		},
		{
			// allowed: the request is made (and fails: nothing listens there)
			Config:      provider(`base_url = "http://192.0.2.1:9"`, `allow_insecure_http = true`, `request_timeout = "300ms"`, `max_retries = 0`),
			ExpectError: errRe(`Unable to Read TLS Products.*regfish API GET /tls/products: `),
		},
		{
			Config:      provider(`request_timeout = "soon"`),
			ExpectError: errRe(`request_timeout`),
		},
		{
			Config:      provider(`request_timeout = "10ms"`),
			ExpectError: errRe(`request_timeout must be at least 100ms`),
		},
		{
			Config:      provider(`base_url = "`+hang.URL+`"`, `request_timeout = "300ms"`, `max_retries = 0`),
			ExpectError: errRe(`regfish API GET /tls/products: the API at ` + hang.URL + ` did not answer within 300ms`),
		},
		{
			// the environment variable is checked too, and named
			PreConfig:   func() { t.Setenv(EnvBaseURL, "http://api.example.com") },
			Config:      provider(),
			ExpectError: errRe(`Insecure regfish base_url.*REGFISH_BASE_URL "http://api.example.com"`),
		},
		{
			PreConfig: func() { t.Setenv(EnvBaseURL, "") },
			Config:    "provider \"regfish\" {\nbase_url = \"" + e.sim.URL + "\"\napi_key = \"" + e.sim.APIKey() + "\"\nrequest_timeout = \"5s\"\n}\n" + ds,
			Check:     resource.TestCheckResourceAttr("data.regfish_tls_products.all", "skus.#", "7"),
		},
	}})
}

// Long waits log progress lines with the certificate id, status and
// pending_reason; the API key never appears in the logs; requests carry a
// User-Agent with the provider version.
func TestAccProvider_LogsAndUserAgent(t *testing.T) {
	e := newAccEnv(t, simulator.Options{APIKey: "s3cr3t.k3y=do-not-log", ApprovalDelay: 400 * 1e6})
	logPath := filepath.Join(t.TempDir(), "tf.log")
	t.Setenv("TF_LOG", "DEBUG")
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	csr, _ := csrHCL(t, "www.example.com")
	var agents []string
	e.sim.OnRequest(func(h map[string][]string) {
		agents = append(agents, strings.Join(h["User-Agent"], ""))
	})
	// The key comes from the environment, as recommended, so that only the
	// provider ever sees it (the test harness logs the configuration).
	t.Setenv(EnvAPIKey, e.sim.APIKey())
	cfg := strings.Replace(e.config(""), `api_key           = "`+e.sim.APIKey()+`"`, "", 1)
	if strings.Contains(cfg, "s3cr3t") {
		t.Fatal("config still holds the key")
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: cfg + orgConfig() + certConfig("SecureSite", "www.example.com", nil, csr, `  org_id = regfish_tls_organization.acme.id`),
		Check:  resource.TestCheckResourceAttr(certAddr, "status", "issued"),
	}}})
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "s3cr3t.k3y") {
			t.Fatalf("the API key appears in the log: %s", l)
		}
	}
	found := false
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, "regfish: waiting for issuance of certificate") && strings.Contains(l, "pending_reason") && strings.Contains(l, "certificate_id") {
			found = true
		}
	}
	if !found {
		t.Fatal("no progress line with certificate_id and pending_reason in the log")
	}
	if len(agents) == 0 {
		t.Fatal("no requests seen")
	}
	for _, a := range agents {
		if !strings.HasPrefix(a, "terraform-provider-regfish/test ") || !strings.Contains(a, "Terraform/") {
			t.Fatalf("User-Agent %q", a)
		}
	}
}

// ValidateConfig (also run by `terraform validate`, without Configure)
// refuses plain http to another host unless allow_insecure_http.
func TestProviderValidateConfigChecksPlainHTTP(t *testing.T) {
	ctx := t.Context()
	p := New("test")()
	var sr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sr)
	config := func(base string, allow *bool) tfsdk.Config {
		vals := map[string]tftypes.Value{}
		for name, attr := range sr.Schema.Attributes {
			vals[name] = tftypes.NewValue(attr.GetType().TerraformType(ctx), nil)
		}
		vals["base_url"] = tftypes.NewValue(tftypes.String, base)
		if allow != nil {
			vals["allow_insecure_http"] = tftypes.NewValue(tftypes.Bool, *allow)
		}
		return tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), vals)}
	}
	yes, no := true, false
	for _, tc := range []struct {
		base    string
		allow   *bool
		refused bool
	}{
		{"http://api.example.com", nil, true},
		{"http://api.example.com/", &no, true},
		{"http://api.example.com", &yes, false},
		{"https://api.example.com", nil, false},
		{"http://127.0.0.1:8080", nil, false},
		{"http://localhost:8080", &no, false},
	} {
		var resp provider.ValidateConfigResponse
		p.(provider.ProviderWithValidateConfig).ValidateConfig(ctx, provider.ValidateConfigRequest{Config: config(tc.base, tc.allow)}, &resp)
		refused := false
		for _, d := range resp.Diagnostics.Errors() {
			if dp, ok := d.(diag.DiagnosticWithPath); ok && dp.Path().Equal(path.Root("base_url")) && strings.Contains(d.Detail(), "allow_insecure_http") {
				refused = true
			}
		}
		if refused != tc.refused || (!tc.refused && resp.Diagnostics.HasError()) {
			allow := "unset"
			if tc.allow != nil {
				allow = fmt.Sprint(*tc.allow)
			}
			t.Errorf("%s (allow_insecure_http %s): refused %v, want %v: %v", tc.base, allow, refused, tc.refused, resp.Diagnostics)
		}
	}
}

// An API that accepts connections and never answers fails the plan in a
// bounded time, naming base_url.
func TestAccProvider_UnresponsiveAPIFailsThePlan(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() }) // hold it open, say nothing
		}
	}()
	silent := "http://" + ln.Addr().String()
	csr, _ := csrHCL(t, "www.example.com")
	e.test(resource.TestCase{Steps: []resource.TestStep{{
		Config: fmt.Sprintf(`
provider "regfish" {
  base_url        = %q
  api_key         = "k"
  request_timeout = "500ms"
  retry_wait_min  = "10ms"
  retry_wait_max  = "50ms"
}
`, silent) + certConfig("RapidSSL", "www.example.com", nil, csr, ""),
		PlanOnly:    true,
		ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(ln.Addr().String()) + `.*did not answer`),
	}}})
}

// A wrong API key fails the plan, naming where the key came from: the
// provider's api_key attribute or the REGFISH_API_KEY environment variable.
func TestAccProvider_WrongKeyFailsThePlan(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "www.example.com")
	cert := certConfig("RapidSSL", "www.example.com", nil, csr, "")
	withKey := func(keyLine string) string {
		return fmt.Sprintf("provider \"regfish\" {\n  base_url = %q\n%s}\n", e.sim.URL, keyLine) + cert
	}
	t.Setenv(EnvAPIKey, "wrong-key-from-env")
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      withKey("  api_key = \"wrong-key\"\n"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)regfish API Key Rejected.*api_key\s+attribute.*HTTP 401`),
		},
		{
			Config:      withKey(""),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)regfish API Key Rejected.*REGFISH_API_KEY\s+environment\s+variable`),
		},
	}})
	if n := len(e.sim.Orders()); n != 0 {
		t.Fatalf("%d orders", n)
	}
}

// A key without the DNS role: the certificate's plan reads the catalog
// (TLS, accepted) and then the account's zones (DNS, refused). Whether
// regfish answers a missing role with 403 or with 401, the error says the
// key lacks the role for the DNS endpoints, never that it is wrong; and a
// key without the TLS role is told so for the TLS endpoints.
func TestAccProvider_KeyWithoutRole(t *testing.T) {
	for _, variant := range []string{"403", "401"} {
		t.Run(variant, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{Keys: map[string][]string{"tls-only": {"tls"}, "dns-only": {"dns"}},
				Variants: simulator.Variants{RoleDenied: variant}})
			csr, _ := csrHCL(t, "www.example.com")
			withKey := func(key, body string) string {
				return fmt.Sprintf("provider \"regfish\" {\n  base_url = %q\n  api_key = %q\n}\n", e.sim.URL, key) + body
			}
			steps := []resource.TestStep{{
				Config:      withKey("tls-only", certConfig("RapidSSL", "www.example.com", nil, csr, "")),
				PlanOnly:    true,
				ExpectError: errRe(`regfish API Key Lacks Access.*may not use the DNS endpoints of the regfish API.*HTTP ` + variant + ` on GET /dns/zones.*lacks the role`),
			}}
			if variant == "403" {
				// with 403 the part is named even before any call succeeded
				steps = append(steps, resource.TestStep{
					Config:      withKey("dns-only", `data "regfish_tls_products" "all" {}`),
					ExpectError: errRe(`HTTP 403.*the API key may lack the role for the TLS endpoints`),
				})
			}
			e.test(resource.TestCase{Steps: steps})
			if n := len(e.sim.Orders()); n != 0 {
				t.Fatalf("%d orders", n)
			}
		})
	}
}
