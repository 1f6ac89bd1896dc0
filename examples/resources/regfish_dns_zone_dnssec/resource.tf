terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

# regfish signs the zone; hand the DS records to the registry of a domain
# registered elsewhere.
resource "regfish_dns_zone_dnssec" "example_com" {
  zone = "example.com"
  mode = "regfish"

  timeouts {
    create = "15m"
  }
}

output "ds_records" {
  value = [for ds in regfish_dns_zone_dnssec.example_com.ds_records :
  "${ds.key_tag} ${ds.algorithm} ${ds.digest_type} ${ds.digest}"]
}

# Another signer signs the zone: regfish takes its DS record.
resource "regfish_dns_zone_dnssec" "example_org" {
  zone = "example.org"
  mode = "external"
  records = [{
    kind        = "ds"
    algorithm   = 13
    key_tag     = 2371
    digest_type = 2
    digest      = "1F987CC6583E92DF0890718C42D0F4E7A4B6C7E8A9B0C1D2E3F405162738495A"
  }]
}
