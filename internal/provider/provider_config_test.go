package provider

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
)

func TestAccProvider_configurationErrors(t *testing.T) {
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

// Long waits log progress lines with the certificate id, status and
// pending_reason; the API key never appears in the logs; requests carry a
// User-Agent with the provider version.
func TestAccProvider_logsAndUserAgent(t *testing.T) {
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
