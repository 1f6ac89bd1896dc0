# A DV certificate. The provider publishes the DCV records in regfish DNS,
# waits until the certificate is issued, and removes the records again.
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
  dns_names = ["www.example.com", "api.example.com"]
}

resource "regfish_tls_certificate" "www" {
  product     = "RapidSSL"
  common_name = "www.example.com"
  dns_names   = ["api.example.com"]
  csr         = tls_cert_request.www.cert_request_pem

  timeouts {
    create = "30m"
  }
}

output "www_full_chain" {
  value = regfish_tls_certificate.www.full_chain_pem
}
