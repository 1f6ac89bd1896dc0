package provider

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// accEnv is one acceptance test's world: an in-process simulator and a
// provider pointed at it, with a clock the test can move.
type accEnv struct {
	t   *testing.T
	sim *testutil.Sim

	mu      sync.Mutex
	off     time.Duration // provider clock offset
	baseURL string        // what the provider talks to: the simulator, or a proxy in front of it
	keys    testKeys      // what the testkeys provider made
	// resolvers are further DNS servers of dcv_resolvers, after the
	// simulator's (a test DNS server for zones outside regfish DNS).
	resolvers []string
}

func newAccEnv(t *testing.T, opts simulator.Options) *accEnv {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		// as resource.Test does: `make unit` runs everything else, without terraform
		t.Skip("acceptance test: needs TF_ACC=1 and a terraform binary (TF_ACC_TERRAFORM_PATH); `make test` and `make testacc` set them")
	}
	if opts.DNSListen == "" {
		opts.DNSListen = "127.0.0.1:0" // the waits' DNS report asks it (dcv_resolvers)
	}
	return &accEnv{t: t, sim: testutil.StartSim(t, opts)}
}

// dcvRecordCount is how many DCV records the simulator lists for an order
// with these names under its DCV scope (one per name, or one per
// registrable domain; wildcards stripped).
func (e *accEnv) dcvRecordCount(names ...string) int {
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimPrefix(n, "*.")
		if e.sim.DCVScope() == simulator.DCVScopeRegistrableDomain {
			labels := strings.Split(n, ".")
			n = strings.Join(labels[len(labels)-2:], ".") // the test zones' names are under example.com / example.org
		}
		seen[n] = true
	}
	return len(seen)
}

// url is the base URL the provider is configured with.
func (e *accEnv) url() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.baseURL != "" {
		return e.baseURL
	}
	return e.sim.URL
}

// now is the provider's clock: wall time plus the test's offset.
func (e *accEnv) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Now().Add(e.off)
}

// advance moves both the simulator's and the provider's clock.
func (e *accEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.off += d
	e.mu.Unlock()
	e.sim.Clock().Advance(d)
}

func (e *accEnv) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"regfish": func() (tfprotov6.ProviderServer, error) {
			return NewProtocol6Server(&regfishProvider{version: "test", now: e.now})(), nil
		},
		"testkeys": providerserver.NewProtocol6WithError(&testKeysProvider{keys: &e.keys}),
		"dns":      providerserver.NewProtocol6WithError(&testDNSProvider{}),
	}
}

// annotationsDropped reports a simulator that keeps no record annotations
// (the variant annotation=dropped, e.g. from REGFISH_SIM_VARIANTS): the
// tests whose expectations depend on it say what they expect then.
func (e *accEnv) annotationsDropped() bool { return e.sim.Variants().Annotation == "dropped" }

// config prefixes cfg with a provider block for the simulator.
func (e *accEnv) config(cfg string) string {
	return fmt.Sprintf(`
provider "regfish" {
  base_url          = %q
  api_key           = %q
  poll_interval     = "20ms"
  max_poll_interval = "150ms"
  retry_wait_min    = "5ms"
  retry_wait_max    = "50ms"
  dcv_resolvers     = [%s]
}
`, e.url(), e.sim.APIKey(), e.resolverList()) + cfg
}

// resolverList is dcv_resolvers in HCL: the simulator's DNS server and
// e.resolvers, local all of them (the tests never ask the internet).
func (e *accEnv) resolverList() string {
	var q []string
	for _, r := range append([]string{e.sim.DNSAddr()}, e.resolvers...) {
		q = append(q, fmt.Sprintf("%q", r))
	}
	return strings.Join(q, ", ")
}

func (e *accEnv) test(tc resource.TestCase) {
	tc.ProtoV6ProviderFactories = e.factories()
	resource.Test(e.t, tc)
}

// csrHCL returns a CSR for cn + sans as an HCL string literal.
func csrHCL(t *testing.T, cn string, sans ...string) (string, testutil.CSR) {
	c := testutil.NewCSR(t, cn, sans...)
	return fmt.Sprintf("%q", c.PEM), c
}

// attr returns an attribute of a resource in the state.
func stateAttr(s *terraform.State, name, key string) (string, error) {
	rs, ok := s.RootModule().Resources[name]
	if !ok {
		return "", fmt.Errorf("%s not in state", name)
	}
	return rs.Primary.Attributes[key], nil
}

// checkChain verifies full_chain_pem against the simulator's root, for the
// names and the CSR key.
func (e *accEnv) checkChain(name string, csr testutil.CSR, names ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		full, err := stateAttr(s, name, "full_chain_pem")
		if err != nil {
			return err
		}
		var certs []*x509.Certificate
		for rest := []byte(full); ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return err
			}
			certs = append(certs, c)
		}
		if len(certs) != 2 {
			return fmt.Errorf("full_chain_pem holds %d certificates, want leaf + intermediate", len(certs))
		}
		inter := x509.NewCertPool()
		inter.AddCert(certs[1])
		if _, err := certs[0].Verify(x509.VerifyOptions{Roots: e.sim.RootPool(), Intermediates: inter, CurrentTime: e.sim.Clock().Now(), DNSName: names[0]}); err != nil {
			return fmt.Errorf("chain does not verify against the simulator root: %w", err)
		}
		if order.KeyFingerprint(certs[0].PublicKey) != order.KeyFingerprint(csr.Key.Public()) {
			return fmt.Errorf("leaf key is not the CSR key")
		}
		got := strings.Join(regfish.NameSet("", certs[0].DNSNames), ",")
		if want := strings.Join(regfish.NameSet("", names), ","); got != want {
			return fmt.Errorf("SANs %s, want %s", got, want)
		}
		leaf, _ := stateAttr(s, name, "certificate_pem")
		chain, _ := stateAttr(s, name, "chain_pem")
		if leaf+chain != full {
			return fmt.Errorf("full_chain_pem is not certificate_pem + chain_pem")
		}
		return nil
	}
}

// orderCount checks how many orders the simulator holds.
func (e *accEnv) orderCount(want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if n := len(e.sim.Orders()); n != want {
			return fmt.Errorf("simulator holds %d orders, want %d: %+v", n, want, e.sim.Orders())
		}
		return nil
	}
}

// whenOrder runs fn once an order exists in the simulator (in the
// background, while terraform applies), e.g. to complete it in the Console.
// It gives up silently when the test ends first.
func (e *accEnv) whenOrder(match func(simulator.OrderInfo) bool, fn func(id string) error) {
	stop := make(chan struct{})
	e.t.Cleanup(func() { close(stop) })
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for _, o := range e.sim.Orders() {
				if match(o) {
					if err := fn(o.ID); err != nil {
						e.t.Errorf("background action on order %s: %v", o.ID, err)
					}
					return
				}
			}
		}
	}()
}

var ctxBG = context.Background()

func recordReq(name, typ, data string) regfish.RecordRequest {
	return regfish.RecordRequest{Name: name, Type: typ, Data: data, TTL: 300}
}

func rsaCSR(t *testing.T, bits int, cn string) string {
	return testutil.NewRSACSR(t, bits, cn).PEM
}

// errRe matches an error message whose words terraform may have wrapped:
// every space matches any whitespace.
func errRe(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}
