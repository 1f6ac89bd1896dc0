package regfish_test

import (
	"encoding/json"
	"testing"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// FuzzDecodeEnvelope feeds arbitrary bodies to the response decoding used for
// every API answer: it must never panic, and a nil error must mean a
// successful envelope.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"success":true,"code":0,"response":{"id":"ABCDEFGHJKM23","status":"pending","organization_id":null}}`,
		`{"success":true,"response":[{"id":3236254,"name":"a.example.com.","type":"CNAME","data":"b.","ttl":60}]}`,
		`{"success":false,"error":"Record not found","code":15001}`,
		`{"success":true,"error":"Record successfully deleted","code":0}`,
		`{"success":true,"response":{"organization_id":42,"valid_from":"2026-03-18T10:00:00Z","reissue":{"id":"7"}}}`,
		`null`, `[]`, `{"success":"yes"}`,
	} {
		f.Add(200, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var cert regfish.Certificate
		err := regfish.DecodeEnvelope(status, body, &cert)
		var recs []regfish.Record
		err2 := regfish.DecodeEnvelope(status, body, &recs)
		if (err == nil || err2 == nil) && !successEnvelope(body) {
			t.Fatalf("accepted a body without success:true: %q", body)
		}
	})
}

func successEnvelope(b []byte) bool {
	var env struct {
		Success *bool `json:"success"`
	}
	return json.Unmarshal(b, &env) == nil && env.Success != nil && *env.Success
}
