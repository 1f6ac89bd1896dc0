# terraform query -generate-config-out=records.tf
# lists the records of one zone (not system-managed ones, not the _dnsauth
# records regfish_tls_certificate manages) with import blocks.
list "regfish_dns_record" "example_com" {
  provider = regfish
  config {
    zone = "example.com"
  }
}

list "regfish_dns_record" "www" {
  provider = regfish
  config {
    zone = "example.com"
    name = "www.example.com"
    type = "A"
  }
}
