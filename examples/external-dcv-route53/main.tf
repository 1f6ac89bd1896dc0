# A certificate for names whose DNS zone lives in Amazon Route 53, in one
# apply: regfish orders it, Route 53 publishes its DCV records, and
# regfish_tls_certificate_validation waits until it is issued and hands the
# chain to ACM. Nothing here needs a regfish DNS zone.

terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
    aws = {
      source = "hashicorp/aws"
    }
    tls = {
      source = "hashicorp/tls"
    }
  }
}

provider "regfish" {
  # Where regfish's CA expects the _dnsauth records: one per registrable
  # domain (the default, _dnsauth.example.com for both names below) or one
  # per name. See the guide "Validating through another DNS provider".
  dcv_scope = "registrable_domain"
}

data "aws_route53_zone" "example" {
  name = "example.com"
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

# Places the order and returns once its DCV records are known.
resource "regfish_tls_certificate" "www" {
  product       = "RapidSSL"
  common_name   = "www.example.com"
  dns_names     = ["api.example.com"]
  csr           = tls_cert_request.www.cert_request_pem
  dcv_publisher = "external"
}

# The keys of dcv_records are known at plan time, so for_each works in the
# apply that places the order. A renewal or key rotation changes the values:
# the plan shows these records updated in place.
resource "aws_route53_record" "dcv" {
  for_each = regfish_tls_certificate.www.dcv_records

  zone_id         = data.aws_route53_zone.example.zone_id
  name            = each.value.name
  type            = each.value.type
  ttl             = 60
  records         = [each.value.value]
  allow_overwrite = true
}

# Waits until the certificate is issued, after the records are published.
resource "regfish_tls_certificate_validation" "www" {
  certificate_id = regfish_tls_certificate.www.id
  dcv_records    = regfish_tls_certificate.www.dcv_records

  depends_on = [aws_route53_record.dcv]

  timeouts {
    create = "30m"
  }
}

# Dependents take the chain from the validation resource.
resource "aws_acm_certificate" "www" {
  private_key       = tls_private_key.www.private_key_pem
  certificate_body  = regfish_tls_certificate_validation.www.certificate_pem
  certificate_chain = regfish_tls_certificate_validation.www.chain_pem
}
