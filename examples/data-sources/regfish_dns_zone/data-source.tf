data "regfish_dns_zone" "main" {
  name = "example.com"
}

# Refuse to go on when the domain is not delegated to regfish DNS: records
# published there would not be seen.
check "delegated_to_regfish" {
  assert {
    condition     = data.regfish_dns_zone.main.active && data.regfish_dns_zone.main.using_regfish_nameservers
    error_message = "example.com is not served by the regfish nameservers: ${join(", ", data.regfish_dns_zone.main.nameservers)}"
  }
}

output "txt_records" {
  value = [for r in data.regfish_dns_zone.main.records : r.data if r.type == "TXT"]
}
