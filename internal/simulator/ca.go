package simulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // subject key identifier per RFC 5280 4.2.1.2
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// CA is the simulator's test certificate authority: a self-signed root and
// an intermediate that signs the leaves.
type CA struct {
	Root         *x509.Certificate
	RootPEM      []byte
	rootKey      crypto.Signer
	Intermediate *x509.Certificate
	InterPEM     []byte
	interKey     crypto.Signer
}

// caState is the CA as kept in the state file.
type caState struct {
	RootPEM  string `json:"root_pem"`
	RootKey  string `json:"root_key"`
	InterPEM string `json:"intermediate_pem"`
	InterKey string `json:"intermediate_key"`
}

// NewCA creates a fresh root and intermediate valid from now-1h.
func NewCA(now time.Time) (*CA, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	nb := now.Add(-time.Hour)
	rootTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "regfish Simulator Root CA", Organization: []string{"regfish API simulator (TEST ONLY)"}},
		NotBefore:             nb,
		NotAfter:              nb.AddDate(30, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski(rootKey.Public()),
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	root, _ := x509.ParseCertificate(rootDER)
	interTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "regfish Simulator TLS CA", Organization: []string{"regfish API simulator (TEST ONLY)"}},
		NotBefore:             nb,
		NotAfter:              nb.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski(interKey.Public()),
	}
	interDER, err := x509.CreateCertificate(rand.Reader, interTmpl, root, interKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	inter, _ := x509.ParseCertificate(interDER)
	return &CA{
		Root: root, RootPEM: pemCert(rootDER), rootKey: rootKey,
		Intermediate: inter, InterPEM: pemCert(interDER), interKey: interKey,
	}, nil
}

func (ca *CA) state() (caState, error) {
	rk, err := x509.MarshalPKCS8PrivateKey(ca.rootKey)
	if err != nil {
		return caState{}, err
	}
	ik, err := x509.MarshalPKCS8PrivateKey(ca.interKey)
	if err != nil {
		return caState{}, err
	}
	return caState{
		RootPEM:  string(ca.RootPEM),
		RootKey:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rk})),
		InterPEM: string(ca.InterPEM),
		InterKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ik})),
	}, nil
}

func loadCA(s caState) (*CA, error) {
	parseCert := func(p string) (*x509.Certificate, error) {
		b, _ := pem.Decode([]byte(p))
		if b == nil {
			return nil, errors.New("bad certificate PEM in state")
		}
		return x509.ParseCertificate(b.Bytes)
	}
	parseKey := func(p string) (crypto.Signer, error) {
		b, _ := pem.Decode([]byte(p))
		if b == nil {
			return nil, errors.New("bad key PEM in state")
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, errors.New("state key is not a signer")
		}
		return s, nil
	}
	root, err := parseCert(s.RootPEM)
	if err != nil {
		return nil, err
	}
	inter, err := parseCert(s.InterPEM)
	if err != nil {
		return nil, err
	}
	rk, err := parseKey(s.RootKey)
	if err != nil {
		return nil, err
	}
	ik, err := parseKey(s.InterKey)
	if err != nil {
		return nil, err
	}
	return &CA{Root: root, RootPEM: []byte(s.RootPEM), rootKey: rk, Intermediate: inter, InterPEM: []byte(s.InterPEM), interKey: ik}, nil
}

// leafRequest is what the CA needs to sign one certificate.
type leafRequest struct {
	CSR        *x509.CertificateRequest
	CommonName string
	Names      []string // SANs (includes the CN)
	Org        *organization
	NotBefore  time.Time
	NotAfter   time.Time
}

// Sign issues a leaf for the CSR's public key and returns it as PEM with
// its upper-case hex serial.
func (ca *CA) Sign(r leafRequest) (leafPEM string, serial string, err error) {
	subj := pkix.Name{CommonName: r.CommonName}
	if r.Org != nil {
		subj.Organization = []string{r.Org.Organization}
		if r.Org.City != "" {
			subj.Locality = []string{r.Org.City}
		}
		if r.Org.CountryCode != "" {
			subj.Country = []string{strings.ToUpper(r.Org.CountryCode)}
		}
	}
	ku := x509.KeyUsageDigitalSignature
	if _, ok := r.CSR.PublicKey.(*rsa.PublicKey); ok {
		ku |= x509.KeyUsageKeyEncipherment
	}
	sn := randomSerial()
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               subj,
		DNSNames:              r.Names,
		NotBefore:             r.NotBefore,
		NotAfter:              r.NotAfter,
		KeyUsage:              ku,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		SubjectKeyId:          ski(r.CSR.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Intermediate, r.CSR.PublicKey, ca.interKey)
	if err != nil {
		return "", "", fmt.Errorf("signing certificate: %w", err)
	}
	return string(pemCert(der)), strings.ToUpper(sn.Text(16)), nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// randomSerial returns a positive 127-bit serial.
func randomSerial() *big.Int {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil || n.Sign() == 0 {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

func ski(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha1.Sum(der) //nolint:gosec // key identifier, not security
	return sum[:]
}

// parseCSR decodes and checks a PEM CSR.
func parseCSR(p string) (*x509.CertificateRequest, error) {
	b, rest := pem.Decode([]byte(strings.TrimSpace(p)))
	if b == nil {
		return nil, errors.New("csr is not PEM")
	}
	if b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("csr PEM block is %q, want CERTIFICATE REQUEST", b.Type)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("csr has trailing data")
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("csr does not parse: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("csr signature is invalid: %w", err)
	}
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("csr RSA key has %d bits, at least 2048 required", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
	default:
		if csr.PublicKeyAlgorithm != x509.Ed25519 {
			return nil, errors.New("csr key type is not supported")
		}
		return nil, errors.New("csr key type Ed25519 is not supported by public CAs")
	}
	return csr, nil
}
