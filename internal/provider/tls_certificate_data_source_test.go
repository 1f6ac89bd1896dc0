package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// placeOrder places an order directly through the API, as the Console or
// another tool would.
func placeOrder(t *testing.T, e *accEnv, req regfish.CertificateRequest) *regfish.Certificate {
	t.Helper()
	if req.DCVMethod == "" {
		req.DCVMethod = regfish.DCVMethodCNAME
	}
	c, err := e.sim.Client(t).CreateCertificate(ctxBG, req)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// issueNow validates an order without DNS and returns its issued state and
// downloaded chain.
func issueNow(t *testing.T, e *accEnv, id string) (*regfish.Certificate, *order.IssuedCert) {
	t.Helper()
	if err := e.sim.ForceValidate(id); err != nil {
		t.Fatal(err)
	}
	cl := e.sim.Client(t)
	c, err := cl.GetCertificate(ctxBG, id)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Ready() {
		t.Fatalf("order %s did not issue: %s", id, c.Status)
	}
	pemBytes, err := cl.DownloadCertificate(ctxBG, id, "pem")
	if err != nil {
		t.Fatal(err)
	}
	ic, err := order.ParseChain(id, pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return c, ic
}

func validationRecordsExact(recs []regfish.ValidationRecord) knownvalue.Check {
	var checks []knownvalue.Check
	for _, r := range recs {
		checks = append(checks, knownvalue.ObjectExact(map[string]knownvalue.Check{
			"name": knownvalue.StringExact(r.Name), "type": knownvalue.StringExact(r.Type), "value": knownvalue.StringExact(r.Value),
		}))
	}
	return knownvalue.ListExact(checks)
}

func TestAccCertificateDataSource_Basic(t *testing.T) {
	e := newAccEnv(t, simulator.Options{})
	str := knownvalue.StringExact
	rfc := func(tm time.Time) knownvalue.Check { return str(tm.UTC().Format(time.RFC3339)) }

	// issued, contract = certificate lifetime: renewal places a new order
	issuedCSR := testutil.NewCSR(t, "api.example.com", "api2.example.com")
	issued, issuedChain := issueNow(t, e, placeOrder(t, e, regfish.CertificateRequest{
		SKU: "RapidSSL", CommonName: "api.example.com", DNSNames: []string{"api2.example.com"}, CSR: issuedCSR.PEM, ValidityDays: 90}).ID)

	// issued with a contract beyond the certificate: renewal reissues
	e.sim.SetContractDays(397)
	long, _ := issueNow(t, e, placeOrder(t, e, regfish.CertificateRequest{
		SKU: "RapidSSL", CommonName: "long.example.com", CSR: testutil.NewCSR(t, "long.example.com").PEM, ValidityDays: 30}).ID)

	// reissue in progress: its DCV records, the current certificate kept
	reissuing, reissuingChain := issueNow(t, e, placeOrder(t, e, regfish.CertificateRequest{
		SKU: "RapidSSL", CommonName: "re.example.com", CSR: testutil.NewCSR(t, "re.example.com").PEM}).ID)
	reissue, err := e.sim.Client(t).ReissueCertificate(ctxBG, reissuing.ID, regfish.ReissueRequest{
		CSR: testutil.NewCSR(t, "re.example.com").PEM, DCVMethod: regfish.DCVMethodCNAME})
	if err != nil {
		t.Fatal(err)
	}
	if !reissue.Reissue.Active() || reissue.Reissue.Validation == nil || len(reissue.Reissue.Validation.DNSRecords) == 0 {
		t.Fatalf("reissue has no pending DCV: %+v", reissue.Reissue)
	}

	// pending DNS validation (nobody publishes the records)
	pending := placeOrder(t, e, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "www.example.com",
		DNSNames: []string{"shop.example.com"}, CSR: testutil.NewCSR(t, "www.example.com", "shop.example.com").PEM})
	// pending e-mail validation
	mail := placeOrder(t, e, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "mail.example.org",
		CSR: testutil.NewCSR(t, "mail.example.org").PEM, DCVMethod: regfish.DCVMethodEmail, DCVEmails: []string{"hostmaster@example.org"}})
	// OV order staged without an organization
	staged := placeOrder(t, e, regfish.CertificateRequest{SKU: "SecureSite", CommonName: "ov.example.com",
		CSR: testutil.NewCSR(t, "ov.example.com").PEM})

	addr := func(n string) string { return "data.regfish_tls_certificate." + n }
	at := func(a string) tfjsonpath.Path { return tfjsonpath.New(a) }
	e.test(resource.TestCase{Steps: []resource.TestStep{
		// Not found: the error names the id and lists the account's newest orders.
		{
			Config:      e.config(`data "regfish_tls_certificate" "x" { id = "NOSUCHORDER42" }`),
			ExpectError: errRe(`TLS Certificate Not Found.*no TLS certificate order with id NOSUCHORDER42\. The account's newest orders: ` + staged.ID + ` \(ov\.example\.com, pending\)`),
		},
		{
			Config:      e.config(`data "regfish_tls_certificate" "x" { id = "../tls/products" }`),
			ExpectError: errRe(`Attribute id must be a certificate id such as 7K9QW3M2ZT8HJ`),
		},
		{
			Config: e.config(fmt.Sprintf(`
data "regfish_tls_certificate" "issued" { id = %q }
data "regfish_tls_certificate" "long" { id = %q }
data "regfish_tls_certificate" "reissuing" { id = %q }
data "regfish_tls_certificate" "pending" { id = %q }
data "regfish_tls_certificate" "mail" { id = %q }
data "regfish_tls_certificate" "staged" { id = %q }
`, issued.ID, long.ID, reissuing.ID, pending.ID, mail.ID, staged.ID)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr("issued"), at("status"), str("issued")),
				statecheck.ExpectKnownValue(addr("issued"), at("product"), str("RapidSSL")),
				statecheck.ExpectKnownValue(addr("issued"), at("common_name"), str("api.example.com")),
				statecheck.ExpectKnownValue(addr("issued"), at("dns_names"), knownvalue.ListExact([]knownvalue.Check{str("api2.example.com")})),
				statecheck.ExpectKnownValue(addr("issued"), at("validity_days"), knownvalue.Int64Exact(90)),
				statecheck.ExpectKnownValue(addr("issued"), at("sha256_fingerprint"), str(issuedChain.SHA256)),
				statecheck.ExpectKnownValue(addr("issued"), at("certificate_pem"), str(issuedChain.LeafPEM)),
				statecheck.ExpectKnownValue(addr("issued"), at("serial_number"), str(order.SerialText(issuedChain.Leaf.SerialNumber))), // as openssl prints it
				statecheck.ExpectKnownValue(addr("issued"), at("not_before"), rfc(issued.ValidFrom.Time)),
				statecheck.ExpectKnownValue(addr("issued"), at("not_after"), rfc(issued.ValidUntil.Time)),
				statecheck.ExpectKnownValue(addr("issued"), at("contract_valid_until"), rfc(issued.ContractValidUntil.Time)),
				statecheck.ExpectKnownValue(addr("issued"), at("renewal_mode"), str(renewByOrder)),
				statecheck.ExpectKnownValue(addr("issued"), at("reissue_supported"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(addr("issued"), at("renewal_supported"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(addr("issued"), at("reissue_status"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr("issued"), at("validation_method"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr("issued"), at("validation_records"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue(addr("issued"), at("pending_reason"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr("issued"), at("organization_id"), knownvalue.Null()),

				statecheck.ExpectKnownValue(addr("long"), at("renewal_mode"), str(renewByReissue)),
				statecheck.ExpectKnownValue(addr("long"), at("contract_valid_until"), rfc(long.ContractValidUntil.Time)),

				statecheck.ExpectKnownValue(addr("reissuing"), at("status"), str("issued")),
				statecheck.ExpectKnownValue(addr("reissuing"), at("reissue_status"), str("pending")),
				statecheck.ExpectKnownValue(addr("reissuing"), at("reissue_supported"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(addr("reissuing"), at("validation_method"), str(regfish.DCVMethodCNAME)),
				statecheck.ExpectKnownValue(addr("reissuing"), at("validation_records"), validationRecordsExact(reissue.Reissue.Validation.DNSRecords)),
				statecheck.ExpectKnownValue(addr("reissuing"), at("sha256_fingerprint"), str(reissuingChain.SHA256)),

				statecheck.ExpectKnownValue(addr("pending"), at("status"), str("pending")),
				statecheck.ExpectKnownValue(addr("pending"), at("order_state"), str("PENDING")),
				statecheck.ExpectKnownValue(addr("pending"), at("pending_reason"), str("validation_pending")),
				statecheck.ExpectKnownValue(addr("pending"), at("validation_method"), str(regfish.DCVMethodCNAME)),
				statecheck.ExpectKnownValue(addr("pending"), at("validation_records"), validationRecordsExact(pending.Validation.DNSRecords)),
				statecheck.ExpectKnownValue(addr("pending"), at("validation_records"), knownvalue.ListSizeExact(e.dcvRecordCount("www.example.com", "shop.example.com"))),
				statecheck.ExpectKnownValue(addr("pending"), at("validation_emails"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue(addr("pending"), at("certificate_pem"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr("pending"), at("full_chain_pem"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr("pending"), at("not_after"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr("pending"), at("serial_number"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr("pending"), at("renewal_mode"), knownvalue.Null()),

				statecheck.ExpectKnownValue(addr("mail"), at("validation_method"), str(regfish.DCVMethodEmail)),
				statecheck.ExpectKnownValue(addr("mail"), at("validation_emails"), knownvalue.ListExact([]knownvalue.Check{str("hostmaster@example.org")})),
				statecheck.ExpectKnownValue(addr("mail"), at("validation_records"), knownvalue.ListSizeExact(0)),

				statecheck.ExpectKnownValue(addr("staged"), at("action_required"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(addr("staged"), at("order_state"), str("ACTION_REQUIRED")),
				statecheck.ExpectKnownValue(addr("staged"), at("pending_reason"), str("organization_required")),
				statecheck.ExpectKnownValue(addr("staged"), at("completion_url"), knownvalue.StringRegexp(regexp.MustCompile(regexp.QuoteMeta(staged.ID)+`/complete$`))),
				statecheck.ExpectKnownValue(addr("staged"), at("organization_id"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr("staged"), at("validation_records"), knownvalue.ListSizeExact(0)),
			},
			Check: e.checkChain(addr("issued"), issuedCSR, "api.example.com", "api2.example.com"),
		},
	}})
}
