package regfish_test

import (
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
	"github.com/regfish/terraform-provider-regfish/internal/simulator"
	"github.com/regfish/terraform-provider-regfish/internal/testutil"
)

// BenchmarkDecodeCertificate measures decoding one certificate answer.
func BenchmarkDecodeCertificate(b *testing.B) {
	body := []byte(`{"success":true,"code":0,"response":{"id":"7K9QW3M2ZT8HJ","status":"issued","common_name":"example.com",
	"product":"RapidSSL","provider":"digicert","dns_names":["example.com","www.example.com"],"order_state":"ISSUED",
	"action_required":false,"organization_id":null,"renewal_supported":true,"reissue_supported":true,"validity_days":199,
	"serial_number":"0A1B2C3D4E5F60718293A4B5C6D7E8F9","valid_from":"2026-03-18T10:00:00Z","valid_until":"2026-10-03T10:00:00Z",
	"contract_valid_from":"2026-03-18T10:00:00Z","contract_valid_until":"2026-10-03T10:00:00Z","certificate_pem_available":true,
	"validation":{"method":"dns-cname-token","dns_records":[{"name":"_dnsauth.example.com.","type":"CNAME","value":"x.dcv.digicert.com."}]}}}`)
	b.ReportAllocs()
	for b.Loop() {
		var c regfish.Certificate
		if err := regfish.DecodeEnvelope(200, body, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetCertificate measures one status poll through the client
// against the in-process simulator (HTTP on loopback).
func BenchmarkGetCertificate(b *testing.B) {
	sim := testutil.StartSim(b, simulator.Options{RateLimit: -1})
	cl := sim.Client(b)
	c, err := cl.CreateCertificate(ctx, regfish.CertificateRequest{SKU: "RapidSSL", CommonName: "example.com", CSR: testutil.NewCSR(b, "example.com").PEM, DCVMethod: "dns-cname-token"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cl.GetCertificate(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
	}
}
