terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

variable "zone" {
  type    = string
  default = "example.com"
}

# The zone as regfish serves it: delegation, SOA, counts, DNSSEC.
data "regfish_dns_zone" "this" {
  name = var.zone
}

check "delegated_to_regfish" {
  assert {
    condition     = data.regfish_dns_zone.this.using_regfish_nameservers
    error_message = "${var.zone} is not delegated to the regfish nameservers: records and DNSSEC set here do not take effect."
  }
}

# The zone's own records.
resource "regfish_dns_record" "apex" {
  name = var.zone
  type = "A"
  data = "192.0.2.10"
}

resource "regfish_dns_record" "www" {
  name = "www.${var.zone}"
  type = "CNAME"
  data = var.zone
}

resource "regfish_dns_record" "caa" {
  name = var.zone
  type = "CAA"
  data = "0 issue \"digicert.com\""
}

# DNSSEC: regfish signs the zone. The apply waits until it is live.
resource "regfish_dns_zone_dnssec" "this" {
  zone = var.zone
  mode = "regfish"

  # sign the zone once its records are in place
  depends_on = [regfish_dns_record.apex, regfish_dns_record.www, regfish_dns_record.caa]
}

# What to hand to the registry when the domain is registered elsewhere.
output "ds_records" {
  value = [for ds in regfish_dns_zone_dnssec.this.ds_records :
  "${var.zone}. IN DS ${ds.key_tag} ${ds.algorithm} ${ds.digest_type} ${ds.digest}"]
}
