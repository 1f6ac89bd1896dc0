package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// snapshot is what a step leaves behind, for comparison with the next.
type snapshot struct {
	id, serial string
	orders     int
	reissues   int
}

func (e *accEnv) snap(dst *snapshot) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		dst.id, _ = stateAttr(s, certAddr, "id")
		dst.serial, _ = stateAttr(s, certAddr, "serial_number")
		dst.orders = len(e.sim.Orders())
		dst.reissues = e.sim.Stats().Requests["POST /tls/certificate/{id}/reissue"]
		return nil
	}
}

// Every argument may come from another resource and be unknown at plan
// time, on create and on update: the apply never fails with "inconsistent
// final plan", and settles within what the plan allowed (no order unless
// names or product really change).
func TestAccCertificate_UnknownArguments(t *testing.T) {
	keyA := testutil.NewCSR(t, "www.example.com")
	keyB := testutil.NewCSR(t, "www.example.com")
	keyAPI := testutil.NewCSR(t, "www.example.com", "api.example.com")
	keyAPIcn := testutil.NewCSRWithKey(t, keyAPI.Key, "api.example.com", "www.example.com") // same key and names, other subject
	type tcase struct {
		name           string
		input1, input2 string // terraform_data.in.input
		cert           string // the certificate's arguments
		check          func(t *testing.T, e *accEnv, before, after snapshot, s *terraform.State) error
	}
	const csrFromData = "  product     = \"RapidSSL\"\n  common_name = \"www.example.com\"\n  csr         = terraform_data.in.output.csr\n"
	sameOrder := func(reissues int) func(*testing.T, *accEnv, snapshot, snapshot, *terraform.State) error {
		return func(_ *testing.T, _ *accEnv, before, after snapshot, _ *terraform.State) error {
			if after.id != before.id || after.orders != before.orders {
				return fmt.Errorf("id %s -> %s, orders %d -> %d: want the same order", before.id, after.id, before.orders, after.orders)
			}
			if got := after.reissues - before.reissues; got != reissues {
				return fmt.Errorf("%d reissues, want %d", got, reissues)
			}
			return nil
		}
	}
	newOrder := func(_ *testing.T, _ *accEnv, before, after snapshot, _ *terraform.State) error {
		if after.id == before.id || after.orders != before.orders+1 {
			return fmt.Errorf("id %s -> %s, orders %d -> %d: want one new order", before.id, after.id, before.orders, after.orders)
		}
		return nil
	}
	cases := []tcase{
		{
			name:   "csr with a new key: reissue on the same order",
			input1: fmt.Sprintf("{ csr = %q }", keyA.PEM), input2: fmt.Sprintf("{ csr = %q }", keyB.PEM),
			cert: csrFromData,
			check: func(t *testing.T, e *accEnv, before, after snapshot, s *terraform.State) error {
				if err := sameOrder(1)(t, e, before, after, s); err != nil {
					return err
				}
				return e.checkChain(certAddr, keyB, "www.example.com")(s)
			},
		},
		{
			name:   "csr unknown but the same: nothing happens",
			input1: fmt.Sprintf("{ csr = %q, salt = 1 }", keyA.PEM), input2: fmt.Sprintf("{ csr = %q, salt = 2 }", keyA.PEM),
			cert: csrFromData, check: sameOrder(0),
		},
		{
			name:   "names and csr change: a new order",
			input1: fmt.Sprintf("{ names = [], csr = %q }", keyA.PEM), input2: fmt.Sprintf("{ names = [\"api.example.com\"], csr = %q }", keyAPI.PEM),
			cert:  "  product     = \"RapidSSL\"\n  common_name = \"www.example.com\"\n  dns_names   = terraform_data.in.output.names\n  csr         = terraform_data.in.output.csr\n",
			check: newOrder,
		},
		{
			name:   "common name unknown, swapped within the same names and key: a new order",
			input1: fmt.Sprintf("{ cn = \"www.example.com\", names = [\"api.example.com\"], csr = %q }", keyAPI.PEM),
			input2: fmt.Sprintf("{ cn = \"api.example.com\", names = [\"www.example.com\"], csr = %q }", keyAPIcn.PEM),
			cert:   "  product     = \"RapidSSL\"\n  common_name = terraform_data.in.output.cn\n  dns_names   = terraform_data.in.output.names\n  csr         = terraform_data.in.output.csr\n",
			check: func(t *testing.T, e *accEnv, before, after snapshot, s *terraform.State) error {
				if err := newOrder(t, e, before, after, s); err != nil {
					return err
				}
				return leafSubject(certAddr, "api.example.com")(s)
			},
		},
		{
			name:   "names unknown but the same: no new order",
			input1: fmt.Sprintf("{ names = [\"api.example.com\"], csr = %q, salt = 1 }", keyAPI.PEM), input2: fmt.Sprintf("{ names = [\"api.example.com\"], csr = %q, salt = 2 }", keyAPI.PEM),
			cert:  "  product     = \"RapidSSL\"\n  common_name = \"www.example.com\"\n  dns_names   = terraform_data.in.output.names\n  csr         = terraform_data.in.output.csr\n",
			check: sameOrder(0),
		},
		{
			name:   "product change: a new order",
			input1: `{ product = "RapidSSL" }`, input2: `{ product = "SSL123" }`,
			cert:  fmt.Sprintf("  product     = terraform_data.in.output.product\n  common_name = \"www.example.com\"\n  csr         = %q\n", keyA.PEM),
			check: newOrder,
		},
		{
			name:   "validity_days below 90 with the default renew_before_days: recorded",
			input1: `{ days = 30 }`, input2: `{ days = 60 }`,
			cert: fmt.Sprintf("  product     = \"RapidSSL\"\n  common_name = \"www.example.com\"\n  csr         = %q\n  validity_days = terraform_data.in.output.days\n", keyA.PEM),
			check: func(t *testing.T, e *accEnv, before, after snapshot, s *terraform.State) error {
				if err := sameOrder(0)(t, e, before, after, s); err != nil {
					return err
				}
				if v, _ := stateAttr(s, certAddr, "renew_before_days"); v != "20" {
					return fmt.Errorf("renew_before_days %s, want the default for 60 days, 20", v)
				}
				return nil
			},
		},
		{
			name:   "renew_before_days: recorded",
			input1: `{ rbd = 10 }`, input2: `{ rbd = 20 }`,
			cert:  fmt.Sprintf("  product     = \"RapidSSL\"\n  common_name = \"www.example.com\"\n  csr         = %q\n  validity_days = 90\n  renew_before_days = terraform_data.in.output.rbd\n", keyA.PEM),
			check: sameOrder(0),
		},
		{
			name:   "timeouts: recorded",
			input1: `{ t = "30m" }`, input2: `{ t = "45m" }`,
			cert:  fmt.Sprintf("  product     = \"RapidSSL\"\n  common_name = \"www.example.com\"\n  csr         = %q\n  timeouts {\n    create = terraform_data.in.output.t\n    update = terraform_data.in.output.t\n  }\n", keyA.PEM),
			check: sameOrder(0),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newAccEnv(t, simulator.Options{})
			cfg := func(input string) string {
				return e.config(fmt.Sprintf("resource \"terraform_data\" \"in\" {\n  input = %s\n}\n\nresource \"regfish_tls_certificate\" \"www\" {\n%s}\n", input, tc.cert))
			}
			var before, after snapshot
			e.test(resource.TestCase{Steps: []resource.TestStep{
				{Config: cfg(tc.input1), Check: resource.ComposeAggregateTestCheckFunc(e.snap(&before), resource.TestCheckResourceAttr(certAddr, "status", "issued"))},
				{
					Config: cfg(tc.input2),
					Check: resource.ComposeAggregateTestCheckFunc(e.snap(&after), resource.TestCheckResourceAttr(certAddr, "status", "issued"),
						func(s *terraform.State) error { return tc.check(t, e, before, after, s) }),
				},
				{Config: cfg(tc.input2), PlanOnly: true},
			}})
		})
	}
}

// An OV certificate bound to an organization created in the same apply
// (org_id unknown at plan time); then the organization's phone changes:
// an edit in place, the certificate is untouched. Then an edit with
// edit_mode = "create_replacement", answered with a replacement
// organization (a new id, unknown at plan time): the certificate records
// the new org_id and places no order.
func TestAccCertificate_OrganizationChangePlacesNoOrder(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, key := csrHCL(t, "shop.example.com")
	cfg := func(phone, editMode string) string {
		org := strings.Replace(orgConfig(), "+49 30 1234567", phone, 1)
		if editMode != "" {
			org = strings.Replace(org, "  email", fmt.Sprintf("  edit_mode    = %q\n  email", editMode), 1)
		}
		return e.config(org + certConfig("SecureSite", "shop.example.com", nil, csr, `  org_id = regfish_tls_organization.acme.id`))
	}
	var before, after snapshot
	// the certificate stays bound to the first organization until its next
	// renewal order; the replaced organization has another id
	sameBinding := statecheck.CompareValue(compare.ValuesSame())
	orgReplaced := statecheck.CompareValue(compare.ValuesDiffer())
	unchanged := func(s *terraform.State) error {
		if after.id != before.id || after.orders != before.orders || after.serial != before.serial {
			return fmt.Errorf("the organization change touched the certificate: %+v -> %+v", before, after)
		}
		return nil
	}
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config: cfg("+49 30 1234567", ""),
			Check: resource.ComposeAggregateTestCheckFunc(e.snap(&before), e.checkChain(certAddr, key, "shop.example.com"),
				resource.TestCheckResourceAttrSet(certAddr, "organization_id")),
			ConfigStateChecks: []statecheck.StateCheck{
				sameBinding.AddStateValue(certAddr, tfjsonpath.New("organization_id")),
				orgReplaced.AddStateValue(certAddr, tfjsonpath.New("organization_id")),
			},
		},
		{
			Config: cfg("+49 30 7654321", ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("regfish_tls_organization.acme", plancheck.ResourceActionUpdate),
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionNoop),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(e.snap(&after), unchanged,
				resource.TestCheckResourceAttrPair(certAddr, "org_id", "regfish_tls_organization.acme", "id")),
		},
		{
			Config: cfg("+49 30 1111111", "create_replacement"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("regfish_tls_organization.acme", plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue("regfish_tls_organization.acme", tfjsonpath.New("id")),
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("id"), knownvalue.NotNull()),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("certificate_pem"), knownvalue.NotNull()),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(e.snap(&after), unchanged,
				resource.TestCheckResourceAttrPair(certAddr, "org_id", "regfish_tls_organization.acme", "id")),
			ConfigStateChecks: []statecheck.StateCheck{
				sameBinding.AddStateValue(certAddr, tfjsonpath.New("organization_id")),
				orgReplaced.AddStateValue("regfish_tls_organization.acme", tfjsonpath.New("id")),
			},
		},
		{Config: cfg("+49 30 1111111", "create_replacement"), PlanOnly: true},
	}})
}

// Known changes of validity_days, dcv_method and renew_before_days on an
// issued certificate place no order and call nothing: the plan keeps the
// certificate known and says when they apply.
func TestAccCertificate_RecordedChanges(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "www.example.com")
	var before, after snapshot
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  validity_days = 90")), Check: e.snap(&before)},
		{
			Config: e.config(certConfig("RapidSSL", "www.example.com", nil, csr, "  validity_days = 30\n  renew_before_days = 5\n  dcv_method = \"email\"")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(certAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("id"), knownvalue.NotNull()),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("full_chain_pem"), knownvalue.NotNull()),
				plancheck.ExpectKnownValue(certAddr, tfjsonpath.New("renew_after"), knownvalue.NotNull()),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(e.snap(&after), resource.TestCheckResourceAttr(certAddr, "validity_days", "30"),
				func(*terraform.State) error {
					if after != before {
						return fmt.Errorf("recorded changes touched the order: %+v -> %+v", before, after)
					}
					return nil
				}),
		},
	}})
}

// The same CSR with Windows line endings or another line length is no
// change: an empty plan and no reissue.
func TestAccCertificate_CSRSpellingIsNoChange(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	key := testutil.NewCSR(t, "www.example.com")
	crlf := strings.ReplaceAll(key.PEM, "\n", "\r\n")
	// re-wrap the base64 body at 76 characters
	lines := strings.Split(strings.TrimSpace(key.PEM), "\n")
	body := strings.Join(lines[1:len(lines)-1], "")
	var wrapped []string
	for len(body) > 76 {
		wrapped, body = append(wrapped, body[:76]), body[76:]
	}
	rewrapped := lines[0] + "\n" + strings.Join(append(wrapped, body), "\n") + "\n" + lines[len(lines)-1] + "\n\n"
	var before snapshot
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{Config: e.config(certConfig("RapidSSL", "www.example.com", nil, fmt.Sprintf("%q", key.PEM), "")), Check: e.snap(&before)},
		{Config: e.config(certConfig("RapidSSL", "www.example.com", nil, fmt.Sprintf("%q", crlf), "")), PlanOnly: true},
		{Config: e.config(certConfig("RapidSSL", "www.example.com", nil, fmt.Sprintf("%q", rewrapped), "")), PlanOnly: true},
		{
			Config:           e.config(certConfig("RapidSSL", "www.example.com", nil, fmt.Sprintf("%q", crlf), "")),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			Check: func(*terraform.State) error {
				if n := e.sim.Stats().Requests["POST /tls/certificate/{id}/reissue"]; n != 0 {
					return fmt.Errorf("%d reissues for a CSR that only changed its line endings", n)
				}
				return nil
			},
		},
	}})
}

// A DNS-validated order for a name that no zone of the account holds fails
// at plan time, naming the name, and orders nothing; with names unknown at
// plan time the same check stops the apply before any order.
func TestAccCertificate_NameOutsideTheZones(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	csr, _ := csrHCL(t, "www.example.com", "shop.other-zone.test")
	e.test(resource.TestCase{Steps: []resource.TestStep{
		{
			Config:      e.config(certConfig("RapidSSL", "www.example.com", []string{"shop.other-zone.test"}, csr, "")),
			PlanOnly:    true,
			ExpectError: errRe(`(?s)dns_names.*shop.other-zone.test lies in no DNS zone of this regfish account.*dcv_method = "email"`),
		},
		{
			Config: e.config(fmt.Sprintf(`
resource "terraform_data" "names" {
  input = ["shop.other-zone.test"]
}
resource "regfish_tls_certificate" "www" {
  product     = "RapidSSL"
  common_name = "www.example.com"
  dns_names   = terraform_data.names.output
  csr         = %s
}
`, csr)),
			ExpectError: errRe(`(?s)Name Outside the Account.s DNS Zones.*shop.other-zone.test lies in no DNS zone`),
		},
		{Config: e.config("# nothing\n"), Check: e.orderCount(0)},
	}})
}

// What `terraform plan` says in words matches what the apply does: read the
// real CLI output, as a reviewer of a pull request does.
func TestAccCertificate_PlanWordsMatchTheAction(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	w := newWorkspace(t, e)
	keyA, _ := csrHCL(t, "www.example.com")
	keyB, _ := csrHCL(t, "www.example.com")
	keyC, _ := csrHCL(t, "www.example.com", "api.example.com")
	apply := func(cfg string) {
		t.Helper()
		w.write(e.config(cfg))
		if out, err := w.apply(); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
	}
	plan := func(cfg string, want []string, never ...string) {
		t.Helper()
		w.write(e.config(cfg))
		out, err := w.run("plan", "-no-color")
		if err != nil {
			t.Fatalf("plan: %v\n%s", err, out)
		}
		flat := strings.Join(strings.Fields(out), " ")
		for _, s := range want {
			if !strings.Contains(flat, s) {
				t.Errorf("the plan does not say %q:\n%s", s, out)
			}
		}
		for _, s := range never {
			if strings.Contains(flat, s) {
				t.Errorf("the plan says %q:\n%s", s, out)
			}
		}
	}
	base := certConfig("RapidSSL", "www.example.com", nil, keyA, "  validity_days = 90")
	apply(base)
	orders := len(e.sim.Orders())

	plan(certConfig("RapidSSL", "www.example.com", []string{"api.example.com"}, keyC, "  validity_days = 90"),
		[]string{"will be updated in-place", "places a new order for api.example.com, www.example.com (RapidSSL) because the names change", "is not revoked"},
		"Reissu", "must be replaced")
	plan(certConfig("RapidSSL", "www.example.com", nil, keyB, "  validity_days = 90"),
		[]string{"Reissuing Certificate", "reissued on the same order with it (no new order)"}, "new order for")
	plan(certConfig("RapidSSL", "www.example.com", nil, keyA, "  validity_days = 30"),
		[]string{"validity_days changes from 90 to 30 and applies at the next renewal order"}, "new order for", "Reissu")
	plan(certConfig("SSL123", "www.example.com", nil, keyA, "  validity_days = 90"),
		[]string{"places a new order for www.example.com (SSL123) because the product changes from RapidSSL to SSL123"}, "Reissu")
	if n := len(e.sim.Orders()); n != orders {
		t.Fatalf("plans placed orders: %d -> %d", orders, n)
	}
	// and the apply does what the last plan said
	apply(certConfig("SSL123", "www.example.com", nil, keyA, "  validity_days = 90"))
	if n := len(e.sim.Orders()); n != orders+1 {
		t.Fatalf("the product change placed %d orders, want 1", n-orders)
	}
}
