package order

import (
	"strings"
)

// The annotation of the DCV records this provider publishes: whose order
// and key they are for.

// DCVAnnotationPrefix marks the DCV records this provider publishes.
const DCVAnnotationPrefix = "managed by terraform-provider-regfish"

// DCVAnnotation is what the annotation of a published DCV record says: the
// certificate it was published for and the key fingerprint of the CSR
// (which tells this configuration's order from another workspace's).
type DCVAnnotation struct {
	CertificateID string
	Key           string
	// KeyVersion: the private_key_wo_version of a configuration whose key
	// is write-only ("" with a csr).
	KeyVersion string
}

func (a DCVAnnotation) String() string {
	s := DCVAnnotationPrefix + "; certificate_id=" + a.CertificateID
	if a.Key != "" {
		s += "; key=" + a.Key
	}
	if a.KeyVersion != "" {
		s += "; key_version=" + a.KeyVersion
	}
	return s
}

// ParseDCVAnnotation is the one parser of the annotation; ok is false for
// records this provider did not publish.
func ParseDCVAnnotation(s string) (DCVAnnotation, bool) {
	parts := strings.Split(s, ";")
	if strings.TrimSpace(parts[0]) != DCVAnnotationPrefix {
		return DCVAnnotation{}, false
	}
	var a DCVAnnotation
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "certificate_id":
			a.CertificateID = v
		case "key":
			a.Key = v
		case "key_version":
			a.KeyVersion = v
		}
	}
	return a, a.CertificateID != ""
}
