package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// woCert is a certificate whose key comes from the test's ephemeral key
// (testkeys_private_key: a new key every time Terraform opens it, in plan
// and apply alike, as hashicorp/tls's ephemeral tls_private_key).
func woCert(cn string, sans []string, version, extra string) string {
	q := make([]string, len(sans))
	for i, s := range sans {
		q[i] = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf(`
ephemeral "testkeys_private_key" "k" {}

resource "regfish_tls_certificate" "www" {
  product                = "RapidSSL"
  common_name            = %q
  dns_names              = [%s]
  private_key_wo         = ephemeral.testkeys_private_key.k.private_key_pem
  private_key_wo_version = %s
%s
}
`, cn, strings.Join(q, ", "), version, extra)
}

// leafKey checks that the certificate in the state carries the key its
// public_key_sha256 names and that the key is one the test's ephemeral
// resource made. A step with leafKey can thus compare the leaf's key with
// other steps' through public_key_sha256 (statecheck.CompareValue).
func (e *accEnv) leafKey(s *terraform.State) error {
	pemText, _ := stateAttr(s, certAddr, "certificate_pem")
	ic, err := order.ParseChain("", []byte(pemText))
	if err != nil {
		return fmt.Errorf("certificate_pem: %w", err)
	}
	got := publicKeySHA256(ic.Leaf.PublicKey)
	if want, _ := stateAttr(s, certAddr, "public_key_sha256"); got != want {
		return fmt.Errorf("the certificate carries key %s, public_key_sha256 says %s", got, want)
	}
	if csr, _ := stateAttr(s, certAddr, "csr"); csrPublicKeySHA256(csr) != got {
		return fmt.Errorf("the recorded csr has key %s, the certificate %s", csrPublicKeySHA256(csr), got)
	}
	if !slices.Contains(e.keys.all(), got) {
		return fmt.Errorf("the certificate carries key %s, which no ephemeral key of the test had", got)
	}
	return nil
}

// noKeyInState fails when any attribute of any resource in the state holds
// a private key.
func noKeyInState(s *terraform.State) error {
	for addr, rs := range s.RootModule().Resources {
		for k, v := range rs.Primary.Attributes {
			if strings.Contains(v, "PRIVATE KEY") {
				return fmt.Errorf("the state of %s holds a private key in %s", addr, k)
			}
		}
	}
	return nil
}

// noKeyInPlan fails when the plan, as `terraform show -json` gives it,
// holds a private key anywhere (sensitive values included).
type noKeyInPlan struct{}

func (noKeyInPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	b, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	if strings.Contains(string(b), "PRIVATE KEY") {
		resp.Error = fmt.Errorf("the plan JSON holds a private key")
	}
}

// Create from a write-only key; the next plan, with another ephemeral key
// and the same version, is empty; a new version reissues on the same order
// with the new key; a renewal keeps the key of the last version.
func TestAccCertificate_WriteOnlyKey(t *testing.T) {
	e := newAccEnv(t, simulator.Options{ContractDays: 365})
	v := func(n string) string { return e.config(woCert("www.example.org", nil, n, "  validity_days = 90")) }
	var id, key2 string
	sameID := statecheck.CompareValue(compare.ValuesSame())
	newKey := statecheck.CompareValue(compare.ValuesDiffer())    // version 1, then 2
	sameKey := statecheck.CompareValue(compare.ValuesSame())     // version 2, then the renewal
	newSerial := statecheck.CompareValue(compare.ValuesDiffer()) // version 2, then the renewal
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:           v("1"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{noKeyInPlan{}}},
			Check:            resource.ComposeAggregateTestCheckFunc(capture(&id, "id"), e.leafKey, noKeyInState, e.orderCount(1)),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{
			Config:           v("1"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan(), noKeyInPlan{}}},
		},
		{
			Config: v("2"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(certAddr, tfjsonpath.New("public_key_sha256")),
				expectPlanned("id", &id),
				noKeyInPlan{},
			}},
			Check: resource.ComposeAggregateTestCheckFunc(e.leafKey, capture(&key2, "public_key_sha256"), noKeyInState, e.orderCount(1),
				resource.TestCheckResourceAttrSet(certAddr, "serial_number")),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
				sameKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
				newSerial.AddStateValue(certAddr, tfjsonpath.New("serial_number")),
			},
		},
		{
			PreConfig: func() { e.advance(61 * day) },
			Config:    v("2"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				expectPlanned("public_key_sha256", &key2),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrSet(certAddr, "serial_number"), e.leafKey, noKeyInState),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				sameKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
				newSerial.AddStateValue(certAddr, tfjsonpath.New("serial_number")),
			},
		},
		{Config: v("2"), PlanOnly: true},
	}})
}

// A key rotation's reissue is bounded by timeouts.update, not by create
// or the product's default (30 minutes for DV): with the CA holding the
// reissue, the apply stops after the configured update timeout, says which
// setting ran out, keeps the order, and the next apply resumes it.
func TestAccCertificate_RotationHonoursUpdateTimeout(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	// a new key through a new CSR: the same reissue is resumed by the next
	// apply whatever the simulator's variants (an ephemeral key would be
	// another key in every run)
	csr1, key1 := csrHCL(t, "www.example.org")
	csr2, key2 := csrHCL(t, "www.example.org")
	v := func(csr string) string {
		return e.config(certConfig("RapidSSL", "www.example.org", nil, csr, "  timeouts {\n    create = \"1m\"\n    update = \"2s\"\n  }"))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:            v(csr1),
			Check:             resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrSet(certAddr, "id"), e.checkChain(certAddr, key1, "www.example.org")),
			ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(certAddr, tfjsonpath.New("id"))},
		},
		{
			PreConfig:   func() { e.sim.SetIssueDelay(time.Hour) },
			Config:      v(csr2),
			ExpectError: errRe(`(?s)Certificate [0-9A-Z]+ Not Issued.*timed out after 2s \(timeouts\.update; a larger\s+value waits longer\)`),
		},
		{
			PreConfig:         func() { e.sim.SetIssueDelay(0) },
			Config:            v(csr2),
			Check:             resource.ComposeAggregateTestCheckFunc(e.checkChain(certAddr, key2, "www.example.org"), e.orderCount(1)),
			ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(certAddr, tfjsonpath.New("id"))},
		},
	}})
}

// Switching from csr to a write-only key is a reissue on the same order,
// and back again too; names that change with an unchanged version fail at
// plan time (the run's key is not that version's), and with a new version
// place the new order.
func TestAccCertificate_WriteOnlyKeySwitch(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "www.example.org")
	withCSR := e.config(certConfig("RapidSSL", "www.example.org", nil, csr, ""))
	var id string
	sameID := statecheck.CompareValue(compare.ValuesSame())       // csr, key version 1, csr, version 5
	newOrder := statecheck.CompareValue(compare.ValuesDiffer())   // csr, version 6 with new names
	toWOKey := statecheck.CompareValue(compare.ValuesDiffer())    // csr, key version 1
	backToCSRKey := statecheck.CompareValue(compare.ValuesSame()) // csr, csr again
	newWOKey := statecheck.CompareValue(compare.ValuesDiffer())   // version 5, version 6
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config: withCSR,
			Check:  resource.ComposeAggregateTestCheckFunc(capture(&id, "id"), resource.TestCheckResourceAttrSet(certAddr, "public_key_sha256")),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newOrder.AddStateValue(certAddr, tfjsonpath.New("id")),
				toWOKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
				backToCSRKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{
			Config: e.config(woCert("www.example.org", nil, "1", "")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				expectPlanned("id", &id),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(e.leafKey, e.orderCount(1)),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				toWOKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{
			Config: withCSR,
			Check:  resource.ComposeAggregateTestCheckFunc(checkLeafKeyIsCSR, e.orderCount(1)),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				backToCSRKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{
			Config: e.config(woCert("www.example.org", nil, "5", "")),
			Check:  e.leafKey,
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newWOKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{
			Config:      e.config(woCert("www.example.org", []string{"api.example.org"}, "5", "")),
			PlanOnly:    true,
			ExpectError: errRe(`(?s)New Key Needs a New private_key_wo_version.*private_key_wo_version stays 5`),
		},
		{
			Config: e.config(woCert("www.example.org", []string{"api.example.org"}, "6", "")),
			Check:  resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrSet(certAddr, "id"), e.leafKey, e.orderCount(2)),
			ConfigStateChecks: []statecheck.StateCheck{
				newOrder.AddStateValue(certAddr, tfjsonpath.New("id")),
				newWOKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
	}})
}

func checkLeafKeyIsCSR(s *terraform.State) error {
	pemText, _ := stateAttr(s, certAddr, "certificate_pem")
	csr, _ := stateAttr(s, certAddr, "csr")
	ic, err := order.ParseChain("", []byte(pemText))
	if err != nil {
		return err
	}
	if publicKeySHA256(ic.Leaf.PublicKey) != csrPublicKeySHA256(csr) {
		return fmt.Errorf("the certificate does not carry the csr's key")
	}
	return nil
}

// A version unknown at plan time (here from terraform_data) plans without
// "inconsistent final plan", at create and at a change.
func TestAccCertificate_WriteOnlyKeyVersionUnknown(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cfg := func(n string) string {
		return e.config(`
resource "terraform_data" "v" {
  input = ` + n + `
}
` + woCert("www.example.org", nil, "terraform_data.v.output", ""))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	newKey := statecheck.CompareValue(compare.ValuesDiffer())
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config: cfg("1"),
			Check:  resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrSet(certAddr, "id"), e.leafKey),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{Config: cfg("1"), PlanOnly: true},
		{
			Config: cfg("2"),
			Check:  resource.ComposeAggregateTestCheckFunc(e.leafKey, e.orderCount(1)),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
	}})
}

// Each way to get the key arguments wrong fails at plan time, naming the
// argument.
func TestAccCertificate_WriteOnlyKeyPlanErrors(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "www.example.org")
	withAlg := func(alg string) string {
		return e.config(strings.Replace(woCert("www.example.org", nil, "1", ""), `ephemeral "testkeys_private_key" "k" {}`,
			`ephemeral "testkeys_private_key" "k" {
  algorithm = "`+alg+`"
}`, 1))
	}
	plain := func(args string) string {
		return e.config(`
ephemeral "testkeys_private_key" "k" {}

resource "regfish_tls_certificate" "www" {
  product     = "RapidSSL"
  common_name = "www.example.org"
` + args + `
}
`)
	}
	steps := []struct{ cfg, err string }{
		{plain(`  csr = ` + csr + "\n  private_key_wo = ephemeral.testkeys_private_key.k.private_key_pem\n  private_key_wo_version = 1"), `(?s)private_key_wo.*cannot be configured together|(?s)Invalid Attribute Combination.*csr`},
		{plain(`  private_key_wo = ephemeral.testkeys_private_key.k.private_key_pem`), `(?s)private_key_wo_version.*must be specified`},
		{plain(`  private_key_wo_version = 1`), `(?s)private_key_wo.*must be specified`},
		{plain(`  private_key_wo = ephemeral.testkeys_private_key.k.private_key_pem
  private_key_wo_version = 0`), `(?s)private_key_wo_version.*at least 1`},
		{plain(``), `(?s)Missing csr.*private_key_wo`},
		{withAlg("RSA1024"), `(?s)Unusable Private Key.*RSA key of 1024 bits`},
		{withAlg("ED25519"), `(?s)Unusable Private Key.*an Ed25519 key; accepted are RSA`},
		{withAlg("ECDSA-P521"), `(?s)Unusable Private Key.*P-521`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		ts = append(ts, resource.TestStep{Config: s.cfg, PlanOnly: true, ExpectError: errRe(s.err)})
	}
	// PKCS #8 (ECDSA P-384) is accepted
	ts = append(ts, resource.TestStep{Config: withAlg("PKCS8"), Check: e.orderCount(1)})
	e.test(resource.TestCase{Steps: ts})
}

// A Terraform without write-only arguments (before 1.11) gets an error
// naming private_key_wo at validation, before anything is planned.
func TestCertificate_WriteOnlyKeyNeedsClientSupport(t *testing.T) {
	srv, err := (&accEnv{t: t}).factories()["regfish"]()
	if err != nil {
		t.Fatal(err)
	}
	schemaResp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	typ := schemaResp.ResourceSchemas["regfish_tls_certificate"].ValueType().(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	vals["product"] = tftypes.NewValue(tftypes.String, "RapidSSL")
	vals["common_name"] = tftypes.NewValue(tftypes.String, "www.example.org")
	vals["private_key_wo"] = tftypes.NewValue(tftypes.String, "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n")
	vals["private_key_wo_version"] = tftypes.NewValue(tftypes.Number, 1)
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	for _, allowed := range []bool{false, true} {
		resp, err := srv.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{
			TypeName: "regfish_tls_certificate", Config: &dv,
			ClientCapabilities: &tfprotov6.ValidateResourceConfigClientCapabilities{WriteOnlyAttributesAllowed: allowed},
		})
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, d := range resp.Diagnostics {
			found = found || (d.Summary == "WriteOnly Attribute Not Allowed" && strings.Contains(d.Detail, "private_key_wo"))
		}
		if found == allowed {
			t.Errorf("write-only allowed %t: the error about the Terraform version is there: %t (%+v)", allowed, found, resp.Diagnostics)
		}
	}
}

// expectPlanned checks that the plan shows the certificate's attr known
// and equal to *want, read when the check runs (a value an earlier step
// captured).
func expectPlanned(attr string, want *string) plancheck.PlanCheck { return plannedValue{attr, want} }

type plannedValue struct {
	attr string
	want *string
}

func (c plannedValue) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != certAddr {
			continue
		}
		after, _ := rc.Change.After.(map[string]any)
		if got, ok := after[c.attr].(string); !ok || got != *c.want {
			resp.Error = fmt.Errorf("%s is planned as %v, want %q", c.attr, after[c.attr], *c.want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s not in the plan", certAddr)
}

// A reissue found running when this apply reissues (an apply killed after
// its reissue request, for a key no one holds any more) is waited for;
// when it is served with that other key, the certificate is reissued once
// more on the same order for this apply's key: never a wait until the
// timeout for a key that cannot come. And a certificate that carries
// another key than the CSR recorded for its private_key_wo_version (the
// same interrupted reissue, now done, and the old version applied again)
// is reissued with the recorded CSR: the state never holds a certificate
// whose key is not the version's.
func TestAccCertificate_WriteOnlyKeyForeignReissue(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	cfg := func(version string) string {
		return e.config(woCert("www.example.org", nil, version, "  timeouts {\n    update = \"20s\"\n  }"))
	}
	var id string
	sameID := statecheck.CompareValue(compare.ValuesSame())
	newKey := statecheck.CompareValue(compare.ValuesDiffer()) // version 1, then 2
	sameKey := statecheck.CompareValue(compare.ValuesSame())  // version 2, then 2 again after the foreign reissue
	foreign := func() {
		c := testutil.NewCSR(t, "www.example.org")
		if _, err := e.sim.Client(t).ReissueCertificate(context.Background(), id, regfish.ReissueRequest{CSR: c.PEM, DCVMethod: "dns-cname-token"}); err != nil {
			t.Fatal(err)
		}
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config: cfg("1"),
			Check:  resource.ComposeAggregateTestCheckFunc(capture(&id, "id"), e.leafKey),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{
			// version 2 while a foreign reissue runs: held until this
			// apply's reissue request was refused (409) and the order read
			// after it (the answer after the 409), then done (a CA that
			// reuses the validation issues it at once)
			PreConfig: func() {
				mustSim(t, e.sim.Hold(id, true))
				foreign()
				if o, _ := e.sim.Order(id); o.ReissueStatus != "pending" {
					t.Fatalf("the foreign reissue is %q, want pending", o.ReissueStatus)
				}
				conflicts := e.sim.Stats().Status[409]
				go func() {
					defer func() { _ = e.sim.Hold(id, false) }()
					var oks int
					for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
						st := e.sim.Stats().Status
						switch {
						case oks == 0 && st[409] > conflicts:
							oks = st[200]
						case oks > 0 && st[200] > oks:
							return
						}
					}
				}()
			},
			Config: cfg("2"),
			Check:  resource.ComposeAggregateTestCheckFunc(e.leafKey, e.orderCount(1)),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				newKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
				sameKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{
			// a foreign reissue done outside; version 2 again: reissued with
			// the recorded CSR, back to key2
			PreConfig: func() { foreign(); mustSim(t, e.sim.ForceValidate(id)) },
			Config:    cfg("2"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(e.leafKey, e.orderCount(1)),
			ConfigStateChecks: []statecheck.StateCheck{
				sameID.AddStateValue(certAddr, tfjsonpath.New("id")),
				sameKey.AddStateValue(certAddr, tfjsonpath.New("public_key_sha256")),
			},
		},
		{Config: cfg("2"), PlanOnly: true},
	}})
}
