# Revoke the certificate now, e.g. after its key was compromised:
#   terraform apply -invoke=action.regfish_tls_certificate_revoke.www
# The next plan of regfish_tls_certificate.www then places a new order in its
# place (the plan says so): give it a CSR with a new key first.
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

# The certificate the action acts on.
resource "regfish_tls_certificate" "www" {
  product     = "RapidSSL"
  common_name = "www.example.com"
  csr         = tls_cert_request.www.cert_request_pem
}

action "regfish_tls_certificate_revoke" "www" {
  config {
    certificate_id = regfish_tls_certificate.www.id
    reason         = "key compromise"
  }
}
