import {
  to = regfish_dns_zone_dnssec.example_com
  identity = {
    id = "example.com"
  }
}
