# Reissue on the same order with a new key (no new order, same id):
#   terraform apply -invoke=action.regfish_tls_certificate_reissue.rotate
# Then set regfish_tls_certificate.www's csr to the new CSR, or its next plan
# reissues back to the key of the configured csr.
resource "tls_private_key" "next" {
  algorithm = "ECDSA"
}

resource "tls_cert_request" "next" {
  private_key_pem = tls_private_key.next.private_key_pem
  subject {
    common_name = "www.example.com"
  }
  dns_names = ["www.example.com"]
}

action "regfish_tls_certificate_reissue" "rotate" {
  config {
    certificate_id = regfish_tls_certificate.www.id
    csr            = tls_cert_request.next.cert_request_pem
    reason         = "key rotation"
  }
}

# Reissue with the same key, e.g. when the CA asks for it.
action "regfish_tls_certificate_reissue" "same_key" {
  config {
    certificate_id = regfish_tls_certificate.www.id
    csr            = regfish_tls_certificate.www.csr
  }
}
