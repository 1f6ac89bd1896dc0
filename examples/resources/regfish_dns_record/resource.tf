terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

resource "regfish_dns_record" "www" {
  name = "www.example.com"
  type = "CNAME"
  data = "lb.example.net"
  ttl  = 300
}

resource "regfish_dns_record" "mx" {
  name     = "example.com"
  type     = "MX"
  data     = "mx1.example.com"
  priority = 10
}

resource "regfish_dns_record" "caa" {
  name = "example.com"
  type = "CAA"
  data = "0 issue \"digicert.com\""
}
