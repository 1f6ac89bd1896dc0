# The certificate's DCV records are published by another DNS provider (here
# hashicorp/dns, into a DNS server that takes RFC 2136 updates for
# example.net); this resource waits until the certificate is issued.
terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
    tls = {
      source = "hashicorp/tls"
    }
    dns = {
      source = "hashicorp/dns"
    }
  }
}

variable "dns_server" {
  description = "The DNS server of example.net that takes RFC 2136 updates (name or address)."
  type        = string
}

variable "dns_port" {
  description = "Its port."
  type        = number
  default     = 53
}

provider "dns" {
  update {
    server = var.dns_server
    port   = var.dns_port
  }
}

resource "tls_private_key" "www" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_cert_request" "www" {
  private_key_pem = tls_private_key.www.private_key_pem
  subject {
    common_name = "www.example.net"
  }
  dns_names = ["www.example.net"]
}

resource "regfish_tls_certificate" "www" {
  product       = "RapidSSL"
  common_name   = "www.example.net"
  csr           = tls_cert_request.www.cert_request_pem
  dcv_publisher = "external"
}

# hashicorp/dns takes names relative to the zone, targets absolute.
resource "dns_cname_record" "dcv" {
  for_each = regfish_tls_certificate.www.dcv_records

  zone  = "example.net."
  name  = trimsuffix(each.value.name, ".example.net")
  cname = "${each.value.value}."
  ttl   = 60
}

resource "regfish_tls_certificate_validation" "www" {
  certificate_id = regfish_tls_certificate.www.id
  dcv_records    = regfish_tls_certificate.www.dcv_records

  depends_on = [dns_cname_record.dcv]
}

output "www_full_chain" {
  value = regfish_tls_certificate_validation.www.full_chain_pem
}
