# A certificate for names whose DNS zone is served by your own DNS servers
# (BIND, Knot, PowerDNS, Windows DNS: any server that takes RFC 2136
# dynamic updates), in one apply: regfish orders it, hashicorp/dns
# publishes its DCV records, and regfish_tls_certificate_validation waits
# until it is issued. Nothing here needs a regfish DNS zone.
terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
    dns = {
      source = "hashicorp/dns"
    }
    tls = {
      source = "hashicorp/tls"
    }
  }
}

variable "dns_server" {
  description = "The primary DNS server of example.net, which takes RFC 2136 updates (name or address)."
  type        = string
}

variable "dns_port" {
  description = "Its port."
  type        = number
  default     = 53
}

# Add key_name, key_algorithm and key_secret (TSIG) when the server wants
# signed updates.
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
  dns_names = ["www.example.net", "api.example.net"]
}

# Places the order and returns once its DCV records are known.
resource "regfish_tls_certificate" "www" {
  product       = "RapidSSL"
  common_name   = "www.example.net"
  dns_names     = ["api.example.net"]
  csr           = tls_cert_request.www.cert_request_pem
  dcv_publisher = "external"
}

# One CNAME per DCV record. hashicorp/dns takes the name relative to the
# zone and the target absolute: an absolute name would be published as
# _dnsauth.example.net.example.net.
resource "dns_cname_record" "dcv" {
  for_each = regfish_tls_certificate.www.dcv_records

  zone  = "example.net."
  name  = trimsuffix(each.value.name, ".example.net")
  cname = "${each.value.value}."
  ttl   = 60
}

# Waits until the certificate is issued, after the records are published.
resource "regfish_tls_certificate_validation" "www" {
  certificate_id = regfish_tls_certificate.www.id
  dcv_records    = regfish_tls_certificate.www.dcv_records

  depends_on = [dns_cname_record.dcv]

  timeouts {
    create = "30m"
  }
}

# Dependents take the chain from the validation resource.
output "www_full_chain" {
  value = regfish_tls_certificate_validation.www.full_chain_pem
}
