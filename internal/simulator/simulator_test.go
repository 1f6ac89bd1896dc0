package simulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

var ctx = context.Background()

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// publish puts the DCV CNAMEs of c (or of its reissue) into DNS: a CNAME
// already at the name (an earlier order's) is replaced, since a CNAME must
// be the only record at its name.
func publish(t *testing.T, cl *regfish.Client, v *regfish.Validation, id string) {
	t.Helper()
	if v == nil || v.Method != regfish.DCVMethodCNAME || len(v.DNSRecords) == 0 {
		t.Fatalf("certificate %s has no CNAME validation records: %+v", id, v)
	}
	for _, r := range v.DNSRecords {
		req := regfish.RecordRequest{Type: "CNAME", Name: r.Name, Data: r.Value, TTL: 60, Annotation: "test; certificate_id=" + id}
		_, err := cl.UpdateRecordByNameType(ctx, req)
		if regfish.IsNotFound(err) {
			_, err = cl.CreateRecord(ctx, req)
		}
		mustOK(t, err)
	}
}

func order(t *testing.T, cl *regfish.Client, req regfish.CertificateRequest) *regfish.Certificate {
	t.Helper()
	if req.DCVMethod == "" {
		req.DCVMethod = regfish.DCVMethodCNAME
	}
	c, err := cl.CreateCertificate(ctx, req)
	mustOK(t, err)
	if c.ID == "" {
		t.Fatal("order without id")
	}
	return c
}

func get(t *testing.T, cl *regfish.Client, id string) *regfish.Certificate {
	t.Helper()
	c, err := cl.GetCertificate(ctx, id)
	mustOK(t, err)
	return c
}

// verifyChain checks the downloaded PEM: leaf first, chains to the root,
// SANs and key equal to the CSR.
func verifyChain(t *testing.T, sim *testutil.Sim, pemBytes []byte, csr testutil.CSR, names []string, at time.Time) *x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	rest := pemBytes
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			t.Fatalf("unexpected PEM block %q", b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		mustOK(t, err)
		certs = append(certs, c)
	}
	if len(certs) != 2 {
		t.Fatalf("want leaf + intermediate, got %d certificates", len(certs))
	}
	inter := x509.NewCertPool()
	inter.AddCert(certs[1])
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: sim.RootPool(), Intermediates: inter, CurrentTime: at, DNSName: names[0]}); err != nil {
		t.Fatalf("chain does not verify: %v", err)
	}
	if !regfish.SameNames(certs[0].DNSNames, names) {
		t.Fatalf("SANs %v, want %v", certs[0].DNSNames, names)
	}
	want, _ := x509.MarshalPKIXPublicKey(csr.Key.Public())
	got, _ := x509.MarshalPKIXPublicKey(certs[0].PublicKey)
	if !bytes.Equal(want, got) {
		t.Fatal("leaf public key is not the CSR's")
	}
	return certs[0]
}

func TestDVFlowStepByStep(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{DCVScope: simulator.DCVScopePerName})
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "example.com", "www.example.com")
	c := order(t, cl, regfish.CertificateRequest{SKU: "rapidssl", CommonName: "example.com", DNSNames: []string{"www.example.com"}, CSR: csr.PEM, ValidityDays: 90})
	if c.Status != "pending" || c.OrderState != "PENDING" || c.PendingReason != "validation_pending" || c.ActionRequired {
		t.Fatalf("new DV order: %+v", c)
	}
	if c.Product != "RapidSSL" || c.CertificatePEMAvailable || c.ValidityDays != 90 {
		t.Fatalf("new DV order fields: %+v", c)
	}
	if c.Validation == nil || len(c.Validation.DNSRecords) != 2 {
		t.Fatalf("DV order must carry 2 validation records at once: %+v", c.Validation)
	}
	for _, r := range c.Validation.DNSRecords {
		if !strings.HasPrefix(r.Name, "_dnsauth.") || !strings.HasSuffix(r.Name, ".") || r.Type != "CNAME" || !strings.HasSuffix(r.Value, ".dcv.digicert.com.") {
			t.Fatalf("bad validation record %+v", r)
		}
	}
	// download before issuance: 409
	_, err := cl.DownloadCertificate(ctx, c.ID, "pem")
	if !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("download before issuance: %v, want ErrConflict", err)
	}
	// no records: stays pending
	if c2 := get(t, cl, c.ID); c2.Status != "pending" {
		t.Fatalf("issued without DCV: %+v", c2)
	}
	// one record is not enough
	r0 := c.Validation.DNSRecords[0]
	_, err = cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: r0.Name, Data: r0.Value, TTL: 60})
	mustOK(t, err)
	if c2 := get(t, cl, c.ID); c2.Status != "pending" {
		t.Fatalf("issued with half the DCV records: %+v", c2)
	}
	r1 := c.Validation.DNSRecords[1]
	_, err = cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: r1.Name, Data: r1.Value, TTL: 60})
	mustOK(t, err)
	c2 := get(t, cl, c.ID)
	if !c2.Ready() || c2.OrderState != "ISSUED" || c2.SerialNumber == "" || c2.ValidFrom.IsZero() || !c2.RenewalSupported || !c2.ReissueSupported {
		t.Fatalf("not issued after DCV: %+v", c2)
	}
	if got := c2.ValidUntil.Sub(c2.ValidFrom.Time); got != 90*24*time.Hour {
		t.Fatalf("lifetime %v, want 90 days", got)
	}
	if !c2.OrderCancellable || c2.OrderCancellationMode != "revoke_issued" {
		t.Fatalf("cancellation fields: %+v", c2)
	}
	p, err := cl.DownloadCertificate(ctx, c.ID, "pem")
	mustOK(t, err)
	leaf := verifyChain(t, sim, p, csr, []string{"example.com", "www.example.com"}, sim.Clock().Now())
	if strings.ToUpper(leaf.SerialNumber.Text(16)) != c2.SerialNumber {
		t.Fatalf("serial %s != %s", leaf.SerialNumber.Text(16), c2.SerialNumber)
	}
	z, err := cl.DownloadCertificate(ctx, c.ID, "zip")
	mustOK(t, err)
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	mustOK(t, err)
	if len(zr.File) != 2 || zr.File[0].Name != "certificate.pem" {
		t.Fatalf("zip content: %v", zr.File)
	}
	if _, err := cl.DownloadCertificate(ctx, c.ID, "p7b"); !errors.Is(err, regfish.ErrValidation) {
		t.Fatalf("unknown format: %v", err)
	}
}

func TestOpenSSLVerifiesChain(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed; the chain is verified with x509.Verify in TestDVFlowStepByStep")
	}
	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	csr := testutil.NewRSACSR(t, 2048, "shop.example.org")
	c := order(t, cl, regfish.CertificateRequest{SKU: "SSL123", CommonName: "shop.example.org", CSR: csr.PEM})
	publish(t, cl, c.Validation, c.ID)
	if c2 := get(t, cl, c.ID); !c2.Ready() {
		t.Fatalf("not issued: %+v", c2)
	}
	p, err := cl.DownloadCertificate(ctx, c.ID, "pem")
	mustOK(t, err)
	dir := t.TempDir()
	blocks := strings.SplitAfter(string(p), "-----END CERTIFICATE-----\n")
	mustOK(t, os.WriteFile(filepath.Join(dir, "root.pem"), sim.CA().RootPEM, 0o600))
	mustOK(t, os.WriteFile(filepath.Join(dir, "leaf.pem"), []byte(blocks[0]), 0o600))
	mustOK(t, os.WriteFile(filepath.Join(dir, "chain.pem"), []byte(blocks[1]), 0o600))
	out, err := exec.Command("openssl", "verify", "-CAfile", filepath.Join(dir, "root.pem"), "-untrusted", filepath.Join(dir, "chain.pem"), filepath.Join(dir, "leaf.pem")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": OK") {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
	t.Logf("openssl verify: %s", strings.TrimSpace(string(out)))
}

func newOrg(t *testing.T, cl *regfish.Client) *regfish.Organization {
	t.Helper()
	o, err := cl.CreateOrganization(ctx, regfish.OrganizationRequest{Organization: "Example GmbH", FirstName: "Ada", LastName: "Admin",
		Address: "Musterstrasse 1", PostalCode: "10115", City: "Berlin", CountryCode: "de", Phone: "+49 30 1234567", Email: "admin@example.com"})
	mustOK(t, err)
	return o
}

func TestOrganizations(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	o := newOrg(t, cl)
	if !strings.HasPrefix(string(o.ID), "hdl_") || len(o.ID) != 17 || o.Status != "ready" || !o.UsableForOrdering || o.CountryCode != "DE" || o.Organization != "Example GmbH" || o.Name != "" {
		t.Fatalf("created org: %+v", o)
	}
	inc, err := cl.CreateOrganization(ctx, regfish.OrganizationRequest{Organization: "Half Ltd"})
	mustOK(t, err)
	if inc.Status != "incomplete" || inc.UsableForOrdering {
		t.Fatalf("incomplete org must not be usable: %+v", inc)
	}
	_, err = cl.CreateOrganization(ctx, regfish.OrganizationRequest{FirstName: "x"})
	if !errors.Is(err, regfish.ErrValidation) || !strings.Contains(err.Error(), "organization is required") {
		t.Fatalf("org without name: %v", err)
	}
	_, err = cl.CreateOrganization(ctx, regfish.OrganizationRequest{Organization: "X", CountryCode: "Germany"})
	if !errors.Is(err, regfish.ErrValidation) {
		t.Fatalf("bad country: %v", err)
	}
	list, err := cl.ListOrganizations(ctx)
	mustOK(t, err)
	if len(list) != 2 {
		t.Fatalf("list: %+v", list)
	}
	got, err := cl.GetOrganization(ctx, string(o.ID))
	mustOK(t, err)
	if got.Email != "admin@example.com" {
		t.Fatalf("get: %+v", got)
	}
	if _, err := cl.GetOrganization(ctx, "hdl_NOPE"); !regfish.IsNotFound(err) {
		t.Fatalf("missing org: %v", err)
	}
}

func TestOVOneStepWithApproval(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{ApprovalDelay: time.Hour})
	cl := sim.Client(t)
	org := newOrg(t, cl)
	csr := testutil.NewCSR(t, "www.example.com")
	c := order(t, cl, regfish.CertificateRequest{SKU: "SecureSite", CommonName: "www.example.com", CSR: csr.PEM, OrgID: string(org.ID)})
	if c.ActionRequired || c.OrderState != "PENDING" || string(c.OrganizationID) != string(org.ID) || c.Organization == nil || c.Organization.Name != "Example GmbH" {
		t.Fatalf("one-step OV: %+v", c)
	}
	publish(t, cl, c.Validation, c.ID)
	c = get(t, cl, c.ID)
	if c.Status != "pending" || c.OrderState != "PENDING_APPROVAL" || c.PendingReason != "approval_pending" || c.Validation == nil {
		t.Fatalf("after DCV, OV waits for approval: %+v", c)
	}
	sim.Clock().Advance(59 * time.Minute)
	if c = get(t, cl, c.ID); c.Status != "pending" {
		t.Fatalf("approved too early: %+v", c)
	}
	sim.Clock().Advance(2 * time.Minute)
	if c = get(t, cl, c.ID); !c.Ready() {
		t.Fatalf("not issued after approval delay: %+v", c)
	}
	p, err := cl.DownloadCertificate(ctx, c.ID, "pem")
	mustOK(t, err)
	leaf := verifyChain(t, sim, p, csr, []string{"www.example.com"}, sim.Clock().Now())
	if len(leaf.Subject.Organization) != 1 || leaf.Subject.Organization[0] != "Example GmbH" || leaf.Subject.Country[0] != "DE" {
		t.Fatalf("OV subject: %v", leaf.Subject)
	}
}

func TestStagedOrderCompletedByAPI(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "www.example.com")
	c := order(t, cl, regfish.CertificateRequest{SKU: "SecureSite", CommonName: "www.example.com", CSR: csr.PEM})
	if !c.ActionRequired || c.OrderState != "ACTION_REQUIRED" || c.PendingReason != "organization_required" || c.OrganizationID != "" || c.Validation != nil {
		t.Fatalf("staged order: %+v", c)
	}
	if c.CompletionURL != "https://dash.regfish.com/my/certs/"+c.ID+"/complete" {
		t.Fatalf("completion_url %q", c.CompletionURL)
	}
	// bad completions
	if _, err := cl.CompleteCertificate(ctx, c.ID, ""); !errors.Is(err, regfish.ErrValidation) {
		t.Fatalf("complete without org: %v", err)
	}
	if _, err := cl.CompleteCertificate(ctx, c.ID, "hdl_UNKNOWN000000"); !regfish.IsNotFound(err) {
		t.Fatalf("complete with unknown org: %v", err)
	}
	inc, err := cl.CreateOrganization(ctx, regfish.OrganizationRequest{Organization: "Half"})
	mustOK(t, err)
	if _, err := cl.CompleteCertificate(ctx, c.ID, string(inc.ID)); !errors.Is(err, regfish.ErrValidation) || !strings.Contains(err.Error(), "not usable") {
		t.Fatalf("complete with unusable org: %v", err)
	}
	org := newOrg(t, cl)
	done, err := cl.CompleteCertificate(ctx, c.ID, string(org.ID))
	mustOK(t, err)
	if done.ID != c.ID || done.ActionRequired || done.CompletionURL != "" || string(done.OrganizationID) != string(org.ID) || done.OrderState != "PENDING" || done.Validation == nil {
		t.Fatalf("completed order: %+v", done)
	}
	if _, err := cl.CompleteCertificate(ctx, c.ID, string(org.ID)); !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("second complete: %v, want ErrConflict", err)
	}
	publish(t, cl, done.Validation, c.ID)
	if c = get(t, cl, c.ID); !c.Ready() {
		t.Fatalf("not issued: %+v", c)
	}
	if n := len(sim.Orders()); n != 1 {
		t.Fatalf("%d orders, want 1 (same id from start to end)", n)
	}
}

func TestStagedOrderCompletedInConsole(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	inc, err := cl.CreateOrganization(ctx, regfish.OrganizationRequest{Organization: "Half"})
	mustOK(t, err)
	csr := testutil.NewCSR(t, "api.example.com")
	c := order(t, cl, regfish.CertificateRequest{SKU: "TrueBusinessID", CommonName: "api.example.com", CSR: csr.PEM, OrgID: string(inc.ID)})
	if !c.ActionRequired || c.PendingReason != "completion_required" || string(c.OrganizationID) != string(inc.ID) {
		t.Fatalf("order with unusable org: %+v", c)
	}
	if err := sim.ConsoleComplete(c.ID, ""); err == nil {
		t.Fatal("console completion without any usable org must fail")
	}
	org := newOrg(t, cl)
	// through the HTTP control API
	resp, err := http.Post(sim.URL+"/_sim/certificates/"+c.ID+"/console-complete", "application/json", strings.NewReader(`{"org_id":"`+string(org.ID)+`"}`))
	mustOK(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("console-complete: %d", resp.StatusCode)
	}
	c = get(t, cl, c.ID)
	if c.ActionRequired || string(c.OrganizationID) != string(org.ID) || c.Validation == nil {
		t.Fatalf("after console completion: %+v", c)
	}
	publish(t, cl, c.Validation, c.ID)
	if c = get(t, cl, c.ID); !c.Ready() {
		t.Fatalf("not issued: %+v", c)
	}
}

func TestEmailDCV(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "mail.example.org")
	c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "mail.example.org", CSR: csr.PEM, DCVMethod: "email"})
	if c.Validation == nil || c.Validation.Method != "email" || len(c.Validation.DNSRecords) != 0 || len(c.Validation.EmailTargets) != 5 || c.Validation.EmailTargets[0] != "admin@example.org" {
		t.Fatalf("email validation: %+v", c.Validation)
	}
	c2 := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "mail.example.org", CSR: csr.PEM, DCVMethod: "email", DCVEmails: []string{"it@example.org"}})
	if len(c2.Validation.EmailTargets) != 1 || c2.Validation.EmailTargets[0] != "it@example.org" {
		t.Fatalf("submitted dcv_emails: %+v", c2.Validation)
	}
	if c = get(t, cl, c.ID); c.Status != "pending" {
		t.Fatalf("issued without approval: %+v", c)
	}
	mustOK(t, sim.ApproveEmail(c.ID))
	if c = get(t, cl, c.ID); !c.Ready() {
		t.Fatalf("not issued after approval: %+v", c)
	}
	if err := sim.ApproveEmail(c.ID); err == nil {
		t.Fatal("approving an issued order must fail")
	}
}

func issued(t *testing.T, sim *testutil.Sim, cl *regfish.Client, sku, cn string, csr testutil.CSR, validity int) *regfish.Certificate {
	t.Helper()
	c := order(t, cl, regfish.CertificateRequest{SKU: sku, CommonName: cn, CSR: csr.PEM, ValidityDays: validity})
	publish(t, cl, c.Validation, c.ID)
	c = get(t, cl, c.ID)
	if !c.Ready() {
		t.Fatalf("not issued: %+v", c)
	}
	return c
}

func TestReissueOnSameID(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{DCVReuse: -1})
	sim.SetContractDays(365)
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "example.org")
	c := issued(t, sim, cl, "RapidSSL", "example.org", csr, 100)
	if got := c.ContractValidUntil.Sub(c.ContractValidFrom.Time); got != 365*24*time.Hour {
		t.Fatalf("contract %v, want 365 days", got)
	}
	oldSerial := c.SerialNumber
	csr2 := testutil.NewCSR(t, "example.org")
	if _, err := cl.ReissueCertificate(ctx, c.ID, regfish.ReissueRequest{CSR: csr2.PEM, DCVMethod: "dns-cname-token", DNSNames: []string{"other.example.org"}}); !errors.Is(err, regfish.ErrValidation) {
		t.Fatalf("reissue with other SANs: %v", err)
	}
	sim.Clock().Advance(90 * 24 * time.Hour)
	r, err := cl.ReissueCertificate(ctx, c.ID, regfish.ReissueRequest{CSR: csr2.PEM, DCVMethod: "dns-cname-token", Comments: "rotation"})
	mustOK(t, err)
	if r.ID != c.ID || r.Reissue == nil || !r.Reissue.Active() || r.ReissueSupported || r.Reissue.Validation == nil || !r.Ready() {
		t.Fatalf("reissue accepted: %+v / %+v", r, r.Reissue)
	}
	if _, err := cl.ReissueCertificate(ctx, c.ID, regfish.ReissueRequest{CSR: csr2.PEM, DCVMethod: "dns-cname-token"}); !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("second reissue: %v", err)
	}
	// old certificate still served while the reissue is pending
	if c2 := get(t, cl, c.ID); c2.SerialNumber != oldSerial || !c2.Ready() {
		t.Fatalf("during reissue: %+v", c2)
	}
	publish(t, cl, r.Reissue.Validation, c.ID)
	c2 := get(t, cl, c.ID)
	if c2.Reissue.Status != "issued" || c2.SerialNumber == oldSerial || !c2.Ready() || !c2.ReissueSupported {
		t.Fatalf("after reissue DCV: %+v %+v", c2, c2.Reissue)
	}
	if !c2.ValidUntil.Equal(c2.ValidFrom.Add(100 * 24 * time.Hour)) {
		t.Fatalf("reissued lifetime %v..%v", c2.ValidFrom, c2.ValidUntil)
	}
	p, err := cl.DownloadCertificate(ctx, c.ID, "pem")
	mustOK(t, err)
	verifyChain(t, sim, p, csr2, []string{"example.org"}, sim.Clock().Now())
	// reissue cycle: each reissue before expiry; the last is capped by the contract
	var c3 *regfish.Certificate
	for i := 0; i < 2; i++ {
		sim.Clock().Advance(95 * 24 * time.Hour)
		r, err = cl.ReissueCertificate(ctx, c.ID, regfish.ReissueRequest{CSR: csr.PEM, DCVMethod: "dns-cname-token"})
		mustOK(t, err)
		publish(t, cl, r.Reissue.Validation, c.ID)
		c3 = get(t, cl, c.ID)
		if c3.Reissue.Status != "issued" {
			t.Fatalf("reissue %d: %+v", i, c3.Reissue)
		}
	}
	if !c3.ValidUntil.Equal(c3.ContractValidUntil.Time) {
		t.Fatalf("reissue beyond contract: valid_until %v contract %v", c3.ValidUntil, c3.ContractValidUntil)
	}
	if len(sim.Orders()) != 1 {
		t.Fatal("reissue created an order")
	}
}

func TestRenewalNewIDWithBonus(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{DCVReuse: -1})
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "example.com")
	old := issued(t, sim, cl, "RapidSSL", "example.com", csr, 199)
	sim.Clock().Advance(192 * 24 * time.Hour) // 7 days left
	n := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: csr.PEM, RenewalOfCertificateID: old.ID})
	if n.ID == old.ID {
		t.Fatal("renewal must get a new id")
	}
	publish(t, cl, n.Validation, n.ID)
	n = get(t, cl, n.ID)
	if !n.Ready() || n.RenewalBonusDays == nil || *n.RenewalBonusDays != 7 {
		t.Fatalf("renewal: %+v bonus %v", n, n.RenewalBonusDays)
	}
	if got := n.ValidUntil.Sub(n.ValidFrom.Time); got != 206*24*time.Hour {
		t.Fatalf("effective lifetime %v, want 206 days", got)
	}
	if o := get(t, cl, old.ID); o.Status != "issued" {
		t.Fatalf("predecessor must stay issued until it expires: %s", o.Status)
	}
	pending := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: csr.PEM})
	if _, err := cl.CreateCertificate(ctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: csr.PEM, DCVMethod: "dns-cname-token", RenewalOfCertificateID: pending.ID}); !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("renewal of a pending order: %v", err)
	}
	if _, err := cl.CreateCertificate(ctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: csr.PEM, DCVMethod: "dns-cname-token", RenewalOfCertificateID: "NOPE"}); !regfish.IsNotFound(err) {
		t.Fatalf("renewal of unknown id: %v", err)
	}
}

func TestCancelRevokeExpire(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "example.com")
	p := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: csr.PEM})
	if !p.OrderCancellable || p.OrderCancellationMode != "cancel_order" {
		t.Fatalf("pending cancellation fields: %+v", p)
	}
	cx, err := cl.CancelCertificate(ctx, p.ID)
	mustOK(t, err)
	if cx.Status != "cancelled" || cx.OrderState != "CANCELED" || !cx.Terminal() {
		t.Fatalf("cancelled: %+v", cx)
	}
	again, err := cl.CancelCertificate(ctx, p.ID)
	mustOK(t, err)
	if again.Status != "cancelled" {
		t.Fatal("repeated cancel")
	}
	// DCV records published later do not revive it
	publish(t, cl, p.Validation, p.ID)
	if c := get(t, cl, p.ID); c.Status != "cancelled" {
		t.Fatalf("cancelled order moved: %+v", c)
	}
	if _, err := cl.RevokeCertificate(ctx, p.ID, regfish.RevokeRequest{}); !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("revoke of a cancelled order: %v", err)
	}

	a := issued(t, sim, cl, "RapidSSL", "example.org", testutil.NewCSR(t, "example.org"), 50)
	rv, err := cl.RevokeCertificate(ctx, a.ID, regfish.RevokeRequest{Comments: "key compromise"})
	mustOK(t, err)
	if rv.Status != "revoked" || rv.OrderState != "REVOKED" || rv.RevocationScope != "certificate" || !rv.ReissueSupported {
		t.Fatalf("revoked: %+v", rv)
	}
	// reissue is allowed after a certificate-scope revocation
	r, err := cl.ReissueCertificate(ctx, a.ID, regfish.ReissueRequest{CSR: csr.PEM, DCVMethod: "dns-cname-token"})
	mustOK(t, err)
	publish(t, cl, r.Reissue.Validation, a.ID)
	if c := get(t, cl, a.ID); c.Status != "issued" || c.RevocationScope != "" {
		t.Fatalf("after reissue of revoked cert: %+v", c)
	}

	b := issued(t, sim, cl, "RapidSSL", "www.example.org", testutil.NewCSR(t, "www.example.org"), 50)
	ox, err := cl.CancelCertificate(ctx, b.ID)
	mustOK(t, err)
	if ox.Status != "order_cancelled" || ox.RevocationScope != "order" {
		t.Fatalf("cancel within window: %+v", ox)
	}

	e := issued(t, sim, cl, "RapidSSL", "shop.example.org", testutil.NewCSR(t, "shop.example.org"), 10)
	sim.Clock().Advance(31 * 24 * time.Hour)
	if _, err := cl.CancelCertificate(ctx, e.ID); !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("cancel after the window: %v", err)
	}
	ec := get(t, cl, e.ID)
	if ec.Status != "expired" || ec.OrderState != "EXPIRED" || !ec.Ready() || ec.ReissueSupported {
		t.Fatalf("expired: %+v", ec)
	}
	if _, err := cl.DownloadCertificate(ctx, e.ID, "pem"); err != nil {
		t.Fatalf("expired certificates stay downloadable: %v", err)
	}
}

func TestOrderValidation(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "example.com").PEM
	for name, tc := range map[string]struct {
		req  regfish.CertificateRequest
		want error
		msg  string
	}{
		"unknown sku":       {regfish.CertificateRequest{SKU: "Nope", CommonName: "example.com", CSR: csr, DCVMethod: "dns-cname-token"}, regfish.ErrValidation, "available products: RapidSSL"},
		"wildcard on DV":    {regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "*.example.com", CSR: csr, DCVMethod: "dns-cname-token"}, regfish.ErrValidation, "wildcard"},
		"bad csr":           {regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: "nope", DCVMethod: "dns-cname-token"}, regfish.ErrValidation, "csr"},
		"bad dcv":           {regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: csr, DCVMethod: "http-token"}, regfish.ErrValidation, "dcv_method"},
		"emails with cname": {regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: csr, DCVMethod: "dns-cname-token", DCVEmails: []string{"a@example.com"}}, regfish.ErrValidation, "dcv_emails"},
		"validity":          {regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: csr, DCVMethod: "dns-cname-token", ValidityDays: 200}, regfish.ErrValidation, "validity_days"},
		"bad name":          {regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "exa mple.com", CSR: csr, DCVMethod: "dns-cname-token"}, regfish.ErrValidation, "common_name"},
		"bad san":           {regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", DNSNames: []string{"-x.example.com"}, CSR: csr, DCVMethod: "dns-cname-token"}, regfish.ErrValidation, "dns_names"},
		"unknown org":       {regfish.CertificateRequest{SKU: "SecureSite", CommonName: "example.com", CSR: csr, DCVMethod: "dns-cname-token", OrgID: "hdl_XXXXXXXXXXXXX"}, regfish.ErrNotFound, "organization"},
	} {
		_, err := cl.CreateCertificate(ctx, tc.req)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %v containing %q", name, err, tc.want, tc.msg)
		}
	}
	w := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSLWildcard", CommonName: "*.example.com", DNSNames: []string{"example.com"}, CSR: csr})
	if len(w.Validation.DNSRecords) != 1 || w.Validation.DNSRecords[0].Name != "_dnsauth.example.com." {
		t.Fatalf("wildcard + apex must share one DCV record: %+v", w.Validation.DNSRecords)
	}
	if len(sim.Orders()) != 1 {
		t.Fatal("rejected requests created orders")
	}
	if _, err := cl.GetCertificate(ctx, "NOPE"); !regfish.IsNotFound(err) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestProducts(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	ps, err := sim.Client(t).ListProducts(ctx)
	mustOK(t, err)
	if len(ps) != 7 {
		t.Fatalf("%d products", len(ps))
	}
	wild, ov := 0, 0
	for _, p := range ps {
		if p.SupportsWildcard() {
			wild++
		}
		if p.OrganizationRequired {
			ov++
			if p.Level() != "ov" {
				t.Errorf("%s: level %s", p.SKU, p.Level())
			}
		}
	}
	if wild != 1 || ov != 3 {
		t.Fatalf("wildcard %d, org-required %d", wild, ov)
	}
	if p, ok := regfish.FindProduct(ps, "securesite"); !ok || p.Name != "DigiCert Secure Site" {
		t.Fatal("case-insensitive sku lookup")
	}
}

func TestDNSRecords(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{Variants: fullEnvelope})
	cl := sim.Client(t)
	zones, err := cl.ListZones(ctx)
	mustOK(t, err)
	if len(zones) != 2 || zones[0].Domain != "example.com" {
		t.Fatalf("zones: %+v", zones)
	}
	z, err := cl.GetZone(ctx, "example.com.")
	mustOK(t, err)
	if z.SOA == nil || z.RecordCount != 2 || len(z.Records) != 0 {
		t.Fatalf("zone detail: %+v", z)
	}
	if _, err := cl.GetZone(ctx, "nope.test"); !regfish.IsNotFound(err) {
		t.Fatalf("unknown zone: %v", err)
	}
	r, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "cname", Name: "WWW.Example.com", Data: "Target.example.org", TTL: 300, Annotation: "managed"})
	mustOK(t, err)
	if r.ID < 3236253 || r.Name != "www.example.com." || r.Data != "target.example.org." || r.Type != "CNAME" || r.Annotation != "managed" || !r.Active || r.TSCreated == 0 {
		t.Fatalf("created: %+v", r)
	}
	if _, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: "www.example.com.", Data: "target.example.org.", TTL: 300}); !errors.Is(err, regfish.ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	} else {
		var ae *regfish.APIError
		if !errors.As(err, &ae) || ae.Code != 15003 || ae.StatusCode != 417 {
			t.Fatalf("duplicate error: %+v", ae)
		}
	}
	if _, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "A", Name: "www.example.com", Data: "192.0.2.1"}); !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("A beside CNAME: %v", err)
	}
	if _, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CNAME", Name: "example.com", Data: "x.example.org"}); !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("CNAME at apex: %v", err)
	}
	for name, req := range map[string]regfish.RecordRequest{
		"ttl low":       {Type: "A", Name: "a.example.com", Data: "192.0.2.1", TTL: 30},
		"ttl high":      {Type: "A", Name: "a.example.com", Data: "192.0.2.1", TTL: 604801},
		"bad ip":        {Type: "A", Name: "a.example.com", Data: "2001:db8::1"},
		"mx no prio":    {Type: "MX", Name: "example.com", Data: "mx.example.com"},
		"bad type":      {Type: "SPF", Name: "example.com", Data: "x"},
		"no data":       {Type: "TXT", Name: "example.com"},
		"bad caa":       {Type: "CAA", Name: "example.com", Data: "issue digicert.com"},
		"bad srv":       {Type: "SRV", Name: "_sip._tcp.example.com", Data: "x", Priority: ptr(10)},
		"srv no prio":   {Type: "SRV", Name: "_sip._tcp.example.com", Data: "5 5060 sip.example.com"},
		"mx prio range": {Type: "MX", Name: "example.com", Data: "mx.example.com", Priority: ptr(10001)},
	} {
		if _, err := cl.CreateRecord(ctx, req); !errors.Is(err, regfish.ErrValidation) {
			t.Errorf("%s: %v, want validation error", name, err)
		}
	}
	if _, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "A", Name: "host.nope.test", Data: "192.0.2.1"}); !regfish.IsNotFound(err) {
		t.Fatalf("record outside zones: %v", err)
	}
	mx, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "MX", Name: "example.com", Data: "mx.example.com", Priority: ptr(10)})
	mustOK(t, err)
	if mx.Priority == nil || *mx.Priority != 10 || mx.TTL != 3600 || mx.Data != "10 mx.example.com." {
		t.Fatalf("mx: %+v", mx)
	}
	srv, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "SRV", Name: "_sip._tcp.example.com", Data: "5 5060 SIP.example.com", Priority: ptr(1)})
	mustOK(t, err)
	if srv.Data != "1 5 5060 sip.example.com." {
		t.Fatalf("srv: %+v", srv)
	}
	_, err = cl.CreateRecord(ctx, regfish.RecordRequest{Type: "CAA", Name: "example.com", Data: `0 issue "digicert.com"`})
	mustOK(t, err)
	t1, err := cl.CreateRecord(ctx, regfish.RecordRequest{Type: "TXT", Name: "example.com", Data: "v=one"})
	mustOK(t, err)
	_, err = cl.CreateRecord(ctx, regfish.RecordRequest{Type: "TXT", Name: "example.com", Data: "v=two"})
	mustOK(t, err)
	// PATCH by name+type with two TXT records: ambiguous
	if _, err := cl.UpdateRecordByNameType(ctx, regfish.RecordRequest{Type: "TXT", Name: "example.com", Data: "v=3"}); !errors.Is(err, regfish.ErrConflict) {
		t.Fatalf("ambiguous PATCH: %v", err)
	}
	if _, err := cl.UpdateRecordByNameType(ctx, regfish.RecordRequest{Type: "TXT", Name: "none.example.com", Data: "v=3"}); !regfish.IsNotFound(err) {
		t.Fatalf("PATCH without match: %v", err)
	}
	up, err := cl.UpdateRecordByNameType(ctx, regfish.RecordRequest{Type: "MX", Name: "example.com.", Data: "mx2.example.com"})
	mustOK(t, err)
	if up.ID != mx.ID || up.Data != "10 mx2.example.com." || *up.Priority != 10 {
		t.Fatalf("PATCH by name/type: %+v", up)
	}
	// PATCH by id with a relative name and "@"
	u2, err := cl.UpdateRecord(ctx, int64(t1.ID), regfish.RecordRequest{Type: "TXT", Name: "info", Data: "hello", TTL: 120})
	mustOK(t, err)
	if u2.Name != "info.example.com." || u2.TTL != 120 {
		t.Fatalf("PATCH by id: %+v", u2)
	}
	u3, err := cl.UpdateRecord(ctx, int64(t1.ID), regfish.RecordRequest{Type: "TXT", Name: "@", Data: "apex"})
	mustOK(t, err)
	if u3.Name != "example.com." {
		t.Fatalf("@ name: %+v", u3)
	}
	if _, err := cl.UpdateRecord(ctx, 1, regfish.RecordRequest{Type: "TXT", Name: "@", Data: "x"}); !regfish.IsNotFound(err) {
		t.Fatalf("PATCH unknown id: %v", err)
	}
	got, err := cl.GetRecord(ctx, int64(r.ID))
	mustOK(t, err)
	if got.Annotation != "managed" {
		t.Fatalf("annotation must be echoed: %+v", got)
	}
	list, err := cl.ListRecords(ctx, "example.com")
	mustOK(t, err)
	if len(list) != 6 {
		t.Fatalf("%d records in zone (no system records listed)", len(list))
	}
	if _, err := cl.ListRecords(ctx, "www.example.com"); !regfish.IsNotFound(err) {
		t.Fatalf("list of a non-zone: %v", err)
	}
	zone, err := cl.ZoneFor(ctx, "_dnsauth.a.b.example.org.")
	mustOK(t, err)
	if zone != "example.org" {
		t.Fatalf("zone for: %s", zone)
	}
	if _, err := cl.ZoneFor(ctx, "x.nope.test"); !regfish.IsNotFound(err) {
		t.Fatalf("zone for outside name: %v", err)
	}
	mustOK(t, cl.DeleteRecord(ctx, int64(r.ID)))
	if err := cl.DeleteRecord(ctx, int64(r.ID)); !regfish.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	detail, err := cl.GetZone(ctx, "example.com")
	mustOK(t, err)
	if len(detail.Records) != 5 || detail.RecordCount != 7 || detail.Records[0].Data != "" {
		t.Fatalf("zone detail: %d records, record_count %d, first %+v (the documented detail records carry no data)", len(detail.Records), detail.RecordCount, detail.Records[0])
	}
}

func TestLegacyZoneNotFound(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{LegacyZoneNotFound: true})
	_, err := sim.Client(t).ListRecords(ctx, "nope.test")
	if !regfish.IsNotFound(err) {
		t.Fatalf("legacy 200+15001 must read as not found: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAuthAndEnvelope(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	req, _ := http.NewRequest(http.MethodGet, sim.URL+"/tls/certificate", nil)
	req.Header.Set("x-api-key", "wrong")
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	var body map[string]any
	mustOK(t, json.NewDecoder(resp.Body).Decode(&body))
	_ = resp.Body.Close()
	if resp.StatusCode != 401 || body["success"] != false || body["message"] != "Unauthorized" || body["error"] != "Unauthorized" {
		t.Fatalf("401: %d %v", resp.StatusCode, body)
	}
	req, _ = http.NewRequest(http.MethodGet, sim.URL+"/tls/products", nil)
	req.Header.Set("x-api-key", sim.APIKey())
	resp, err = http.DefaultClient.Do(req)
	mustOK(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/json; charset=utf-8" || resp.Header.Get("Server") != "regfish" ||
		resp.Header.Get("RateLimit-Policy") != "500; w=60" || !strings.HasPrefix(resp.Header.Get("ETag"), `W/"`) {
		t.Fatalf("headers: %v", resp.Header)
	}
	if !strings.HasPrefix(string(b), `{"code":0,"response":[`) || !strings.Contains(string(b), `"success":true`) {
		t.Fatalf("envelope: %s", b)
	}
	req, _ = http.NewRequest(http.MethodGet, sim.URL+"/no/such/path", nil)
	req.Header.Set("x-api-key", sim.APIKey())
	resp, err = http.DefaultClient.Do(req)
	mustOK(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
}

func TestRateLimit(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{RateLimit: 3})
	sim.Clock().Freeze(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	do := func() *http.Response {
		req, _ := http.NewRequest(http.MethodGet, sim.URL+"/tls/products", nil)
		req.Header.Set("x-api-key", sim.APIKey())
		resp, err := http.DefaultClient.Do(req)
		mustOK(t, err)
		_ = resp.Body.Close()
		return resp
	}
	for i := 0; i < 3; i++ {
		if r := do(); r.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, r.StatusCode)
		}
	}
	r := do()
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "" || r.Header.Get("RateLimit-Policy") != "3; w=60" || r.Header.Get("RateLimit") != "" {
		t.Fatalf("over the limit: %d Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	sim.Clock().Advance(61 * time.Second)
	if r := do(); r.StatusCode != 200 {
		t.Fatalf("new window: %d", r.StatusCode)
	}
	if sim.Stats().RateLimited != 1 {
		t.Fatalf("stats: %+v", sim.Stats())
	}
}

func TestFaultsDeterministic(t *testing.T) {
	run := func() []int {
		sim := testutil.StartSim(t, simulator.Options{Seed: 42})
		mustOK(t, sim.SetFaults(simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Path: "/tls/products", Probability: 0.5}))
		var codes []int
		for i := 0; i < 20; i++ {
			req, _ := http.NewRequest(http.MethodGet, sim.URL+"/tls/products", nil)
			req.Header.Set("x-api-key", sim.APIKey())
			resp, err := http.DefaultClient.Do(req)
			mustOK(t, err)
			_ = resp.Body.Close()
			codes = append(codes, resp.StatusCode)
		}
		return codes
	}
	a, b := run(), run()
	n503 := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different faults: %v vs %v", a, b)
		}
		if a[i] == 503 {
			n503++
		}
	}
	if n503 == 0 || n503 == 20 {
		t.Fatalf("probability 0.5 gave %d/20 faults", n503)
	}
}

// Corrupt answers: the request is carried out, the 200 answer is not what
// the call should get. Bursts repeat a rule for consecutive requests.
func TestFaultsCorruptAndBurst(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	raw := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, sim.URL+path, strings.NewReader(body))
		req.Header.Set("x-api-key", sim.APIKey())
		resp, err := http.DefaultClient.Do(req)
		mustOK(t, err)
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for kind, want := range map[string]string{
		simulator.CorruptNull: `"response":null`, simulator.CorruptEmpty: `"response":{}`, simulator.CorruptHTML: "<html>", simulator.CorruptOtherID: `"id":999999999`,
	} {
		before := len(sim.Records())
		mustOK(t, sim.SetFaults(simulator.Fault{Kind: simulator.FaultCorrupt, Corrupt: kind, Method: "POST", Path: "/dns/rr", Count: 1}))
		code, body := raw("POST", "/dns/rr", `{"type":"TXT","name":"c-`+kind+`.example.com","data":"x"}`)
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("%s: %d %s", kind, code, body)
		}
		if len(sim.Records()) != before+1 {
			t.Fatalf("%s: the request was not carried out", kind)
		}
	}
	mustOK(t, sim.SetFaults(simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Path: "/tls/products", Probability: 0.3, Burst: 4}))
	var codes []int
	for i := 0; i < 40; i++ {
		c, _ := raw("GET", "/tls/products", "")
		codes = append(codes, c)
	}
	for i := 0; i < len(codes); {
		if codes[i] != 503 {
			i++
			continue
		}
		j := i
		for j < len(codes) && codes[j] == 503 {
			j++
		}
		if j-i < 4 && j < len(codes) {
			t.Fatalf("a burst of %d 503s, want at least 4: %v", j-i, codes)
		}
		i = j
	}
	if err := sim.SetFaults(simulator.Fault{Kind: simulator.FaultCorrupt, Corrupt: "garbage"}); err == nil {
		t.Fatal("an unknown corruption was accepted")
	}
}

func TestControlAPIOverHTTP(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{})
	post := func(path, body string) int {
		resp, err := http.Post(sim.URL+path, "application/json", strings.NewReader(body))
		mustOK(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	before := sim.Clock().Now()
	if post("/_sim/clock", `{"advance":"48h"}`) != 200 || sim.Clock().Now().Sub(before) < 48*time.Hour {
		t.Fatal("clock advance")
	}
	if post("/_sim/faults", `[{"kind":"status","status":502,"path":"/tls/products","count":1}]`) != 200 || len(sim.Faults()) != 1 {
		t.Fatal("faults")
	}
	if post("/_sim/faults", `[{"kind":"bogus"}]`) != 400 {
		t.Fatal("bad fault accepted")
	}
	if post("/_sim/settings", `{"approval_delay":"1h","contract_days":400}`) != 200 {
		t.Fatal("settings")
	}
	if post("/_sim/certificates/NOPE/validate", ``) != 404 {
		t.Fatal("control on unknown order")
	}
	cl := sim.Client(t)
	c := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "x.nope.test", CSR: testutil.NewCSR(t, "x.nope.test").PEM})
	if post("/_sim/certificates/"+c.ID+"/force", `{"hold":true}`) != 200 {
		t.Fatal("hold")
	}
	mustOK(t, sim.ForceValidate(c.ID))
	if get(t, cl, c.ID).Status != "pending" {
		t.Fatal("held order progressed")
	}
	mustOK(t, sim.Hold(c.ID, false))
	if !get(t, cl, c.ID).Ready() {
		t.Fatal("forced DCV for a name outside the zones")
	}
	d := order(t, cl, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "y.nope.test", CSR: testutil.NewCSR(t, "y.nope.test").PEM})
	if post("/_sim/certificates/"+d.ID+"/force", `{"status":"rejected","message":"CAA forbids issuance"}`) != 200 {
		t.Fatal("force rejected")
	}
	if g := get(t, cl, d.ID); g.Status != "rejected" || !g.Terminal() || g.PendingMessage != "CAA forbids issuance" {
		t.Fatalf("rejected: %+v", g)
	}
	req, _ := http.NewRequest(http.MethodDelete, sim.URL+"/_sim/certificates/"+d.ID, nil)
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	_ = resp.Body.Close()
	if _, err := cl.GetCertificate(ctx, d.ID); !regfish.IsNotFound(err) {
		t.Fatalf("vanished order: %v", err)
	}
	resp, err = http.Get(sim.URL + "/_sim/ca.pem")
	mustOK(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !bytes.Equal(b, sim.CA().RootPEM) {
		t.Fatal("ca.pem")
	}
}

func TestStatePersistsAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	sim := testutil.StartSim(t, simulator.Options{StatePath: path})
	cl := sim.Client(t)
	csr := testutil.NewCSR(t, "example.com")
	c := issued(t, sim, cl, "RapidSSL", "example.com", csr, 30)
	org := newOrg(t, cl)
	sim.Clock().Advance(24 * time.Hour)
	sim.Server.Close()

	again := testutil.StartSim(t, simulator.Options{StatePath: path})
	cl2 := again.Client(t)
	c2 := get(t, cl2, c.ID)
	if c2.SerialNumber != c.SerialNumber || !c2.Ready() {
		t.Fatalf("order after restart: %+v", c2)
	}
	if _, err := cl2.GetOrganization(ctx, string(org.ID)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.CA().RootPEM, sim.CA().RootPEM) {
		t.Fatal("CA changed across restart")
	}
	if again.Clock().Offset() < 23*time.Hour {
		t.Fatalf("clock offset lost: %v", again.Clock().Offset())
	}
	p, err := cl2.DownloadCertificate(ctx, c.ID, "pem")
	mustOK(t, err)
	verifyChain(t, again, p, csr, []string{"example.com"}, again.Clock().Now())
}

func TestOrganizationVettingDelay(t *testing.T) {
	sim := testutil.StartSim(t, simulator.Options{OrgReadyDelay: time.Hour})
	cl := sim.Client(t)
	org := newOrg(t, cl)
	if org.Status != "pending" || org.UsableForOrdering {
		t.Fatalf("a vetted organization starts pending: %+v", org)
	}
	c := order(t, cl, regfish.CertificateRequest{SKU: "SecureSite", CommonName: "www.example.com", CSR: testutil.NewCSR(t, "www.example.com").PEM, OrgID: string(org.ID)})
	if !c.ActionRequired || c.PendingReason != "completion_required" {
		t.Fatalf("order with an organization in vetting: %+v", c)
	}
	if _, err := cl.CompleteCertificate(ctx, c.ID, string(org.ID)); !errors.Is(err, regfish.ErrValidation) {
		t.Fatalf("complete before vetting: %v", err)
	}
	sim.Clock().Advance(time.Hour)
	done, err := cl.CompleteCertificate(ctx, c.ID, string(org.ID))
	mustOK(t, err)
	if done.ActionRequired || done.Organization == nil || done.Organization.Status != "ready" {
		t.Fatalf("after vetting: %+v", done)
	}
}
