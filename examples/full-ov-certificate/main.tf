# A complete OV certificate: the key and the CSR come from the hashicorp/tls
# provider, the organization and the order from regfish, and the issued
# chain goes straight into a Kubernetes TLS secret.
terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
    tls = {
      source = "hashicorp/tls"
    }
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
  }
}

provider "regfish" {}

data "regfish_tls_products" "ov" {
  sku = "SecureSite"
}

resource "regfish_tls_organization" "acme" {
  organization = "Example GmbH"
  first_name   = "Ada"
  last_name    = "Admin"
  address      = "Musterstrasse 1"
  postal_code  = "10115"
  city         = "Berlin"
  country_code = "DE"
  phone        = "+49 30 1234567"
  email        = "admin@example.com"
}

resource "tls_private_key" "www" {
  algorithm = "RSA"
  rsa_bits  = 3072
}

resource "tls_cert_request" "www" {
  private_key_pem = tls_private_key.www.private_key_pem
  subject {
    common_name  = "www.example.com"
    organization = "Example GmbH"
  }
  dns_names = ["www.example.com", "api.example.com"]
}

resource "regfish_tls_certificate" "www" {
  product     = data.regfish_tls_products.ov.products[0].sku
  common_name = "www.example.com"
  dns_names   = ["api.example.com"]
  csr         = tls_cert_request.www.cert_request_pem
  org_id      = regfish_tls_organization.acme.id

  timeouts {
    create = "2h"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "kubernetes_secret_v1" "www_tls" {
  metadata {
    name = "www-tls"
  }
  type = "kubernetes.io/tls"
  data = {
    "tls.crt" = regfish_tls_certificate.www.full_chain_pem
    "tls.key" = tls_private_key.www.private_key_pem
  }
}
