# The certificate's DCV records are published by another DNS provider (here
# Amazon Route 53); this resource waits until the certificate is issued.
resource "regfish_tls_certificate" "www" {
  product       = "RapidSSL"
  common_name   = "www.example.com"
  csr           = tls_cert_request.www.cert_request_pem
  dcv_publisher = "external"
}

resource "aws_route53_record" "dcv" {
  for_each = regfish_tls_certificate.www.dcv_records

  zone_id = data.aws_route53_zone.example.zone_id
  name    = each.value.name
  type    = each.value.type
  ttl     = 60
  records = [each.value.value]
}

resource "regfish_tls_certificate_validation" "www" {
  certificate_id = regfish_tls_certificate.www.id
  dcv_records    = regfish_tls_certificate.www.dcv_records

  depends_on = [aws_route53_record.dcv]
}

output "www_full_chain" {
  value = regfish_tls_certificate_validation.www.full_chain_pem
}
