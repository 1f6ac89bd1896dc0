# Reissue on the same order with a new key (no new order, same id):
#   terraform apply -invoke=action.regfish_tls_certificate_reissue.rotate
# Then set regfish_tls_certificate.www's csr to the new CSR, or its next plan
# reissues back to the key of the configured csr.
terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
    tls = {
      source = "hashicorp/tls"
    }
  }
}

resource "tls_private_key" "www" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_cert_request" "www" {
  private_key_pem = tls_private_key.www.private_key_pem
  subject {
    common_name = "www.example.com"
  }
  dns_names = ["www.example.com"]
}

# The certificate the actions act on.
resource "regfish_tls_certificate" "www" {
  product     = "RapidSSL"
  common_name = "www.example.com"
  csr         = tls_cert_request.www.cert_request_pem
}

# The next key, and its CSR.
resource "tls_private_key" "next" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
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
