# Quick start: an organization, an OV certificate ordered for it, and a DV
# certificate whose DCV records the provider publishes in regfish DNS itself.
# `make demo` applies this file as it is, against the regfish API simulator.
terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

# The API key from REGFISH_API_KEY (and, against the simulator, its address
# from REGFISH_BASE_URL).
provider "regfish" {}

variable "ov_csr" {
  type        = string
  description = "PEM certificate request for www.example.com and api.example.com (the key stays with you)."
}

variable "dv_csr" {
  type        = string
  description = "PEM certificate request for shop.example.org."
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

# OV: while the organization is still being vetted the order is staged; the
# provider completes it with org_id once the organization is usable.
resource "regfish_tls_certificate" "ov" {
  product     = "SecureSite"
  common_name = "www.example.com"
  dns_names   = ["api.example.com"]
  csr         = var.ov_csr
  org_id      = regfish_tls_organization.acme.id
}

# DV: the provider publishes the _dnsauth CNAMEs in regfish DNS and removes
# them once the certificate is issued.
resource "regfish_tls_certificate" "dv" {
  product     = "RapidSSL"
  common_name = "shop.example.org"
  csr         = var.dv_csr
}

output "certificates" {
  sensitive = true # only to keep the PEMs out of the apply output
  value = {
    ov = { id = regfish_tls_certificate.ov.id, full_chain_pem = regfish_tls_certificate.ov.full_chain_pem }
    dv = { id = regfish_tls_certificate.dv.id, full_chain_pem = regfish_tls_certificate.dv.full_chain_pem }
  }
}
