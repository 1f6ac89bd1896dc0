package provider

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// Every example under examples/ — what the docs show — applied verbatim:
// the file copied byte for byte into an empty directory, the third-party
// providers it declares served by the test stand-ins (testDNSProvider,
// testTLSProvider, testLocalProvider, under hashicorp/dns, hashicorp/tls and
// hashicorp/local), the regfish provider pointed at a fresh simulator
// through REGFISH_BASE_URL and REGFISH_API_KEY, only the example's declared
// variables given, then `terraform apply` and `terraform destroy`. The
// examples are found by walking examples/, so a new one is either run here
// or exempted with a reason: one that is neither fails the test.

// exampleRun is one example's world.
type exampleRun struct {
	t    *testing.T
	e    *accEnv
	w    *tfWorkspace
	ext  *testutil.DNSServer // the DNS server of example.net, for examples that publish there
	vars []string            // -var arguments for apply and destroy
	// secrets are what the kubernetes stand-in holds
	secrets testSecrets
	// aws is what the aws stand-in holds
	aws testAWSCloud
}

func (x *exampleRun) client() *regfish.Client { return x.e.sim.Client(x.t) }

func (x *exampleRun) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	x.t.Cleanup(cancel)
	return ctx
}

// orders returns the simulator's orders.
func (x *exampleRun) orders() []simulator.OrderInfo { return x.e.sim.Orders() }

// issued fails unless the simulator holds exactly one order, issued, for cn.
func (x *exampleRun) issued(cn string) simulator.OrderInfo {
	x.t.Helper()
	o := x.orders()
	if len(o) != 1 || o[0].CommonName != cn || o[0].Status != "issued" {
		x.t.Fatalf("the simulator holds %+v, want one issued order for %s", o, cn)
	}
	return o[0]
}

// record fails unless regfish DNS holds the record (names compared
// without the trailing dot the simulator keeps).
func (x *exampleRun) record(name, typ, data string) {
	x.t.Helper()
	for _, r := range x.e.sim.Records() {
		if strings.TrimSuffix(r.Name, ".") == name && r.Type == typ && strings.TrimSuffix(r.Data, ".") == data {
			return
		}
	}
	x.t.Fatalf("regfish DNS has no %s %s %s: %+v", name, typ, data, x.e.sim.Records())
}

// extIssued checks an example that published its DCV records in the
// example.net server: the certificate issued through resolution, the
// CNAMEs there, nothing in regfish DNS.
func (x *exampleRun) extIssued(cn string) {
	x.t.Helper()
	x.issued(cn)
	recs := x.ext.Records()
	if len(recs) == 0 || !strings.Contains(recs[0], "_dnsauth.") || !strings.Contains(recs[0], "CNAME") {
		x.t.Fatalf("the DNS server of example.net holds %v, want the DCV CNAMEs", recs)
	}
	for _, r := range x.e.sim.Records() {
		if strings.HasPrefix(r.Name, "_dnsauth.") {
			x.t.Fatalf("a DCV record was published in regfish DNS: %+v", r)
		}
	}
}

// keyInNoState checks the keys-in-no-state example's world: the
// Kubernetes secret holds the certificate's chain and the key Secrets
// Manager holds, which is the certificate's key, and no private key is in
// the state. It returns the key.
func (x *exampleRun) keyInNoState() string {
	x.t.Helper()
	d, ok := x.secrets.get("default/www-tls")
	if !ok {
		x.t.Fatal("no secret default/www-tls")
	}
	stored, _ := x.aws.secret("arn:aws:secretsmanager:eu-central-1:123456789012:secret:tls/www.example.com/key", "")
	crt := cliState(x.w.stateIDs()).get("regfish_tls_certificate.www", "certificate_pem")
	if stored.Value == "" || d["tls.key"] != stored.Value || !strings.HasPrefix(d["tls.crt"], crt) || strings.Count(d["tls.crt"], "BEGIN CERTIFICATE") < 2 {
		x.t.Fatalf("the secret default/www-tls holds %v; Secrets Manager %q; want the chain of %q and the stored key", d, stored.Value, crt)
	}
	if err := keyMatchesCert(stored.Value, crt); err != nil {
		x.t.Fatal(err)
	}
	if st := x.w.readFile("terraform.tfstate"); strings.Contains(st, "PRIVATE KEY") {
		x.t.Fatal("a private key is in the state")
	}
	return stored.Value
}

// exampleCase says how one example is run.
type exampleCase struct {
	// providers are the stand-ins to serve, by hashicorp/<name>.
	providers []string
	// extDNS starts a DNS server for extZone (default example.net) taking
	// RFC 2136 updates, the simulator's CA resolving there (its
	// DNSUpstream).
	extDNS  bool
	extZone string
	// zones, when set, are the simulator's DNS zones (instead of
	// example.com and example.org).
	zones []string
	// minTerraform is the oldest Terraform that applies it ({1, 14}: action
	// blocks; OpenTofu has none).
	minTerraform []int
	// setup prepares the account and sets the variables.
	setup func(x *exampleRun)
	// applied checks the world after the apply.
	applied func(x *exampleRun, out string)
	// destroyed checks it after the destroy.
	destroyed func(x *exampleRun)
}

// exampleCases are the examples that are applied, by path below examples/.
var exampleCases = map[string]exampleCase{
	"provider/provider.tf": {
		applied: func(x *exampleRun, out string) {
			if !strings.Contains(out, "Apply complete! Resources: 0 added") {
				x.t.Fatalf("the provider example manages nothing:\n%s", out)
			}
		},
	},
	"resources/regfish_dns_record/resource.tf": {
		applied: func(x *exampleRun, _ string) {
			x.record("www.example.com", "CNAME", "lb.example.net")
			x.record("example.com", "MX", "10 mx1.example.com")
			x.record("example.com", "CAA", `0 issue "digicert.com"`)
		},
		destroyed: func(x *exampleRun) {
			for _, r := range x.e.sim.Records() {
				if r.Name == "www.example.com." || r.Type == "MX" || r.Type == "CAA" {
					x.t.Fatalf("destroy left %+v", r)
				}
			}
		},
	},
	"resources/regfish_dns_zone_dnssec/resource.tf": {
		applied: func(x *exampleRun, _ string) {
			if d := x.e.sim.DNSSEC("example.com"); d.Mode != "regfish" || d.LiveState != d.DesiredState {
				x.t.Fatalf("example.com: DNSSEC %+v, want regfish's, live", d)
			}
			if d := x.e.sim.DNSSEC("example.org"); d.Mode != "external" || d.DesiredRecords != 1 {
				x.t.Fatalf("example.org: DNSSEC %+v, want external with one DS record", d)
			}
		},
	},
	"resources/regfish_tls_certificate/resource.tf": {
		providers: []string{"tls"},
		applied: func(x *exampleRun, _ string) {
			if o := x.issued("www.example.com"); !slices.Contains(o.DNSNames, "api.example.com") {
				x.t.Fatalf("the order has the names %v, want api.example.com among them", o.DNSNames)
			}
		},
	},
	"resources/regfish_tls_certificate_validation/resource.tf": {
		providers: []string{"tls", "dns"},
		extDNS:    true,
		applied:   func(x *exampleRun, _ string) { x.extIssued("www.example.net") },
		destroyed: func(x *exampleRun) {
			if recs := x.ext.Records(); len(recs) != 0 {
				x.t.Fatalf("destroy left %v in the DNS server", recs)
			}
		},
	},
	"resources/regfish_tls_organization/resource.tf": {
		applied: func(x *exampleRun, _ string) {
			orgs, err := x.client().ListOrganizations(x.ctx())
			if err != nil || len(orgs) != 1 || orgs[0].Organization != "Example GmbH" {
				x.t.Fatalf("the account's organizations: %+v, %v; want Example GmbH", orgs, err)
			}
		},
	},
	"data-sources/regfish_dns_zone/data-source.tf": {
		applied: func(x *exampleRun, out string) {
			if !strings.Contains(out, "soa_serial = ") || strings.Contains(out, "Warning: Check block assertion failed") {
				x.t.Fatalf("no SOA serial, or the delegation check failed:\n%s", out)
			}
		},
	},
	"data-sources/regfish_tls_certificate/data-source.tf": {
		providers: []string{"local"},
		setup: func(x *exampleRun) {
			// an order placed elsewhere, issued: its DCV record published
			// in regfish DNS by hand
			csr := testutil.NewCSR(x.t, "shop.example.com")
			c, err := x.client().CreateCertificate(x.ctx(), regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "shop.example.com", CSR: csr.PEM, DCVMethod: "dns-cname-token"})
			if err != nil {
				x.t.Fatal(err)
			}
			if err := x.e.sim.ForceValidate(c.ID); err != nil {
				x.t.Fatal(err)
			}
			x.vars = append(x.vars, "-var=certificate_id="+c.ID)
		},
		applied: func(x *exampleRun, out string) {
			b, err := os.ReadFile(filepath.Join(x.w.dir, "shop-fullchain.pem"))
			if err != nil || !strings.Contains(string(b), "BEGIN CERTIFICATE") || !strings.Contains(out, `"status" = "issued"`) {
				x.t.Fatalf("shop-fullchain.pem: %v\n%s\nterraform apply:\n%s", err, b, out)
			}
		},
		destroyed: func(x *exampleRun) {
			if _, err := os.Stat(filepath.Join(x.w.dir, "shop-fullchain.pem")); err == nil {
				x.t.Fatal("destroy left shop-fullchain.pem")
			}
		},
	},
	"data-sources/regfish_tls_organization/data-source.tf": {
		providers: []string{"tls"},
		setup: func(x *exampleRun) {
			o, err := x.client().CreateOrganization(x.ctx(), regfish.OrganizationRequest{Organization: "Example GmbH", FirstName: "Ada", LastName: "Admin",
				Address: "Musterstrasse 1", PostalCode: "10115", City: "Berlin", CountryCode: "DE", Phone: "+49 30 1234567", Email: "admin@example.com"})
			if err != nil {
				x.t.Fatal(err)
			}
			x.vars = append(x.vars, "-var=organization_id="+string(o.ID))
		},
		applied: func(x *exampleRun, out string) {
			if o := x.issued("www.example.com"); o.OrgID == "" || o.Product != "SecureSite" || !strings.Contains(out, "vetting_status = ") {
				x.t.Fatalf("order %+v, want a SecureSite order of the organization; terraform apply:\n%s", o, out)
			}
		},
	},
	"data-sources/regfish_tls_products/data-source.tf": {
		applied: func(x *exampleRun, out string) {
			if !strings.Contains(out, `"SecureSite"`) || !strings.Contains(out, "dv_wildcard_products = {") {
				x.t.Fatalf("the outputs name no OV SKU or no DV wildcard products:\n%s", out)
			}
		},
	},
	"actions/regfish_tls_certificate_reissue/action.tf": {
		providers:    []string{"tls"},
		minTerraform: []int{1, 14},
		applied: func(x *exampleRun, _ string) {
			before := x.issued("www.example.com")
			x.w.mustRun(append([]string{"apply", "-auto-approve", "-no-color", "-invoke=action.regfish_tls_certificate_reissue.rotate"}, x.vars...)...)
			after := x.issued("www.example.com")
			if after.ID != before.ID || after.Serial == before.Serial || after.ReissueStatus != "issued" {
				x.t.Fatalf("the rotate action did not reissue order %s: before %+v, after %+v", before.ID, before, after)
			}
		},
	},
	"actions/regfish_tls_certificate_revoke/action.tf": {
		providers:    []string{"tls"},
		minTerraform: []int{1, 14},
		applied: func(x *exampleRun, _ string) {
			id := x.issued("www.example.com").ID
			x.w.mustRun(append([]string{"apply", "-auto-approve", "-no-color", "-invoke=action.regfish_tls_certificate_revoke.www"}, x.vars...)...)
			if o, _ := x.e.sim.Order(id); o.Status != "revoked" {
				x.t.Fatalf("after the revoke action order %s is %+v", id, o)
			}
		},
	},
	"external-dcv-rfc2136/main.tf": {
		providers: []string{"tls", "dns"},
		extDNS:    true,
		applied:   func(x *exampleRun, _ string) { x.extIssued("www.example.net") },
		destroyed: func(x *exampleRun) {
			if recs := x.ext.Records(); len(recs) != 0 {
				x.t.Fatalf("destroy left %v in the DNS server", recs)
			}
		},
	},
	"external-dcv-route53/main.tf": {
		providers: []string{"tls", "aws"},
		extDNS:    true,
		extZone:   "example.com", // the hosted zone; not a regfish zone here
		zones:     []string{"example.org"},
		applied: func(x *exampleRun, _ string) {
			x.extIssued("www.example.com")
			certs := x.aws.certs
			if len(certs) != 1 {
				x.t.Fatalf("ACM holds %d certificates, want the one issued", len(certs))
			}
			pem := cliState(x.w.stateIDs()).get("regfish_tls_certificate_validation.www", "certificate_pem")
			for _, c := range certs {
				if c.Body != pem || !strings.Contains(c.Chain, "BEGIN CERTIFICATE") {
					x.t.Fatalf("ACM holds %+v, want the issued certificate and its chain", c)
				}
			}
		},
		destroyed: func(x *exampleRun) {
			if recs := x.ext.Records(); len(recs) != 0 || len(x.aws.certs) != 0 {
				x.t.Fatalf("destroy left %v in Route 53 and %d certificates in ACM", recs, len(x.aws.certs))
			}
		},
	},
	"keys-in-no-state/main.tf": {
		providers: []string{"tls", "aws", "kubernetes"},
		applied: func(x *exampleRun, _ string) {
			id := x.issued("www.example.com").ID
			first := x.keyInNoState()
			// the key rotation the example describes: the same order,
			// reissued with the key of that apply, which is stored
			x.vars = append(x.vars, "-var=key_version=2")
			x.w.mustRun(append([]string{"apply", "-auto-approve", "-no-color"}, x.vars...)...)
			if o := x.issued("www.example.com"); o.ID != id || o.ReissueStatus != "issued" {
				x.t.Fatalf("after key_version 2 the simulator holds %+v, want order %s reissued", o, id)
			}
			if second := x.keyInNoState(); second == first {
				x.t.Fatal("key_version 2 kept the key of version 1")
			}
		},
		destroyed: func(x *exampleRun) {
			if _, ok := x.secrets.get("default/www-tls"); ok || len(x.aws.secrets) != 0 {
				x.t.Fatalf("destroy left the secret default/www-tls or secrets in Secrets Manager: %v", x.aws.secrets)
			}
		},
	},
	"full-ov-certificate/main.tf": {
		providers: []string{"tls", "kubernetes"},
		applied: func(x *exampleRun, _ string) {
			if o := x.issued("www.example.com"); o.Product != "SecureSite" || o.OrgID == "" {
				x.t.Fatalf("order %+v, want a SecureSite order of the organization", o)
			}
			d, ok := x.secrets.get("default/www-tls")
			if !ok || strings.Count(d["tls.crt"], "BEGIN CERTIFICATE") < 2 || !strings.Contains(d["tls.key"], "BEGIN RSA PRIVATE KEY") {
				x.t.Fatalf("the secret default/www-tls: %v, want the chain and the key", d)
			}
		},
		destroyed: func(x *exampleRun) {
			if _, ok := x.secrets.get("default/www-tls"); ok {
				x.t.Fatal("destroy left the secret default/www-tls")
			}
		},
	},
	"quick-start/main.tf": {
		setup: func(x *exampleRun) {
			ov, dv := testutil.NewCSR(x.t, "www.example.com", "api.example.com"), testutil.NewCSR(x.t, "shop.example.org")
			x.vars = append(x.vars, "-var=ov_csr="+ov.PEM, "-var=dv_csr="+dv.PEM)
		},
		applied: func(x *exampleRun, _ string) {
			byCN := map[string]simulator.OrderInfo{}
			for _, o := range x.orders() {
				byCN[o.CommonName] = o
			}
			if ov := byCN["www.example.com"]; len(byCN) != 2 || ov.Status != "issued" || ov.Product != "SecureSite" || ov.OrgID == "" {
				x.t.Fatalf("the simulator holds %+v, want an issued SecureSite order of the organization for www.example.com", byCN)
			}
			if dv := byCN["shop.example.org"]; dv.Status != "issued" || dv.Product != "RapidSSL" {
				x.t.Fatalf("the simulator holds %+v, want an issued RapidSSL order for shop.example.org", byCN)
			}
			for _, r := range x.e.sim.Records() {
				if strings.HasPrefix(r.Name, "_dnsauth.") {
					x.t.Fatalf("a DCV record is left in regfish DNS after issuance: %+v", r)
				}
			}
		},
	},
	"module-testing/main.tf": {
		setup: func(x *exampleRun) {
			csr := testutil.NewCSR(x.t, "www.example.com")
			x.vars = append(x.vars, "-var=name=www", "-var=zone=example.com", "-var=target=lb.example.net", "-var=csr="+csr.PEM)
		},
		applied: func(x *exampleRun, _ string) {
			x.issued("www.example.com")
			x.record("www.example.com", "CNAME", "lb.example.net")
		},
	},
	"zone-records-and-dnssec/main.tf": {
		applied: func(x *exampleRun, out string) {
			x.record("example.com", "A", "192.0.2.10")
			x.record("www.example.com", "CNAME", "example.com")
			if d := x.e.sim.DNSSEC("example.com"); d.Mode != "regfish" || d.LiveState != d.DesiredState || !strings.Contains(out, "example.com. IN DS ") {
				x.t.Fatalf("example.com: DNSSEC %+v, want regfish's, live, and its DS records in the output:\n%s", d, out)
			}
		},
	},
}

// exampleExemptions are the examples that are not applied here, with the
// reason.
var exampleExemptions = map[string]string{}

// exampleStandIns are the test stand-ins for third-party providers, by
// hashicorp/<name>.
var exampleStandIns = map[string]func(x *exampleRun) provider.Provider{
	"dns":        func(*exampleRun) provider.Provider { return &testDNSProvider{} },
	"tls":        func(*exampleRun) provider.Provider { return &testTLSProvider{} },
	"local":      func(x *exampleRun) provider.Provider { return &testLocalProvider{dir: x.w.dir} },
	"kubernetes": func(x *exampleRun) provider.Provider { return &testKubernetesProvider{secrets: &x.secrets} },
	"aws": func(x *exampleRun) provider.Provider {
		p := &testAWSProvider{cloud: &x.aws}
		if x.ext != nil {
			p.dns = x.ext.Addr()
		}
		return p
	},
}

// exampleFiles are the configurations under examples/, by path relative to
// it: every .tf file except the import-by-identity.tf fragments (import
// blocks the docs show beside a resource, not a configuration of their
// own).
func exampleFiles(t *testing.T) (string, []string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "examples")
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tf") || d.Name() == "import-by-identity.tf" {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return root, files
}

// Every example is run or exempted, and every entry of the tables names
// an example that exists.
func TestExamples_Complete(t *testing.T) {
	_, files := exampleFiles(t)
	for _, f := range files {
		_, run := exampleCases[f]
		_, exempt := exampleExemptions[f]
		switch {
		case run && exempt:
			t.Errorf("examples/%s is both applied and exempted", f)
		case !run && !exempt:
			t.Errorf("examples/%s is neither applied by TestAccExamples_ApplyVerbatim nor exempted with a reason (exampleCases, exampleExemptions)", f)
		}
	}
	for f := range exampleCases {
		if !slices.Contains(files, f) {
			t.Errorf("exampleCases names examples/%s, which does not exist", f)
		}
	}
	for f := range exampleExemptions {
		if !slices.Contains(files, f) {
			t.Errorf("exampleExemptions names examples/%s, which does not exist", f)
		}
	}
}

func TestAccExamples_ApplyVerbatim(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: needs TF_ACC=1 and a terraform binary (TF_ACC_TERRAFORM_PATH)")
	}
	root, files := exampleFiles(t)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			if why, ok := exampleExemptions[f]; ok {
				t.Skipf("exempt: %s", why)
			}
			tc, ok := exampleCases[f]
			if !ok {
				t.Fatalf("examples/%s is neither applied nor exempted (TestExamples_Complete)", f)
			}
			t.Parallel()
			runExample(t, filepath.Join(root, filepath.FromSlash(f)), tc)
		})
	}
}

func runExample(t *testing.T, path string, tc exampleCase) {
	opts := simulator.Options{}
	x := &exampleRun{t: t}
	if tc.extDNS {
		zone := tc.extZone
		if zone == "" {
			zone = "example.net"
		}
		x.ext = testutil.StartDNS(t, zone)
		opts.DNSUpstream = x.ext.Addr()
	}
	opts.Zones = tc.zones
	x.e = newAccEnv(t, opts)
	x.w = newWorkspace(t, x.e)
	if tc.minTerraform != nil {
		// actions: Terraform 1.14 and later; OpenTofu has none
		// (opentofu/opentofu#3309), so it skips there too
		x.w.skipBelowTerraform(tc.minTerraform[0], tc.minTerraform[1])
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(x.w.dir, filepath.Base(path)), b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range tc.providers {
		x.w.serveTestProvider(name, exampleStandIns[name](x))
	}
	x.w.env = append(x.w.env, EnvBaseURL+"="+x.e.sim.URL, EnvAPIKey+"="+x.e.sim.APIKey())
	if x.ext != nil && strings.Contains(string(b), `variable "dns_server"`) {
		host, port, _ := strings.Cut(x.ext.Addr(), ":")
		x.vars = append(x.vars, "-var=dns_server="+host, "-var=dns_port="+port)
	}
	if tc.setup != nil {
		tc.setup(x)
	}
	out, err := x.w.run(append([]string{"apply", "-auto-approve", "-no-color"}, x.vars...)...)
	if err != nil {
		t.Fatalf("terraform apply: %v\n%s", err, out)
	}
	if tc.applied != nil {
		tc.applied(x, out)
	}
	out, err = x.w.run(append([]string{"destroy", "-auto-approve", "-no-color"}, x.vars...)...)
	if err != nil {
		t.Fatalf("terraform destroy: %v\n%s", err, out)
	}
	if tc.destroyed != nil {
		tc.destroyed(x)
	}
	if ids := x.w.stateIDs(); len(ids) != 0 {
		t.Fatalf("destroy left %v in the state", ids)
	}
}
