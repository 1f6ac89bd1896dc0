# A small module under test: a TLS certificate for one host name of a
# regfish DNS zone, and the CNAME that points the name at a load balancer.
# tests/ holds its `terraform test` suite, which runs against the regfish
# API simulator (see the guide "Testing your modules against the regfish
# simulator").
terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

variable "name" {
  description = "Host name below the zone, e.g. www."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.name))
    error_message = "name must be one lower-case label such as www."
  }
}

variable "zone" {
  description = "A DNS zone of the regfish account, e.g. example.com."
  type        = string
}

variable "csr" {
  description = "PEM CSR for name.zone, e.g. tls_cert_request.x.cert_request_pem."
  type        = string
}

variable "target" {
  description = "Where the name points (CNAME target), e.g. lb.example.net."
  type        = string
}

resource "regfish_tls_certificate" "this" {
  product     = "RapidSSL"
  common_name = "${var.name}.${var.zone}"
  csr         = var.csr
}

resource "regfish_dns_record" "this" {
  name = "${var.name}.${var.zone}"
  type = "CNAME"
  data = var.target
  ttl  = 300
}

output "certificate_id" {
  value = regfish_tls_certificate.this.id
}

output "full_chain_pem" {
  value = regfish_tls_certificate.this.full_chain_pem
}

output "not_after" {
  value = regfish_tls_certificate.this.not_after
}
