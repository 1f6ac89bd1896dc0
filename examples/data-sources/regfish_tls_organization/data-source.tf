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

variable "organization_id" {
  description = "The id (hdl_...) of an organization of your regfish account, e.g. one in vetting."
  type        = string
}

# The organization vetted once in the regfish Console, found by its name.
# Only organizations that are usable for ordering match; the lookup fails
# when none or several do.
data "regfish_tls_organization" "acme" {
  name = "Example GmbH"
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

resource "regfish_tls_certificate" "www" {
  product     = "SecureSite"
  common_name = "www.example.com"
  csr         = tls_cert_request.www.cert_request_pem
  org_id      = data.regfish_tls_organization.acme.id
}

# By id, whatever its status (for example to watch a vetting):
data "regfish_tls_organization" "by_id" {
  id = var.organization_id
}

output "vetting_status" {
  value = data.regfish_tls_organization.by_id.status
}
