terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

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

output "soa_serial" {
  value = data.regfish_dns_zone.main.soa.serial
}

output "records_by_type" {
  value = data.regfish_dns_zone.main.counts.by_type
}

# DNSSEC as regfish reports it: live once live_state equals desired_state.
output "dnssec" {
  value = {
    mode          = data.regfish_dns_zone.main.dnssec.mode
    desired_state = data.regfish_dns_zone.main.dnssec.desired_state
    live_state    = data.regfish_dns_zone.main.dnssec.live_state
    modes = {
      regfish  = data.regfish_dns_zone.main.dnssec.capabilities.mode_regfish_available
      external = data.regfish_dns_zone.main.dnssec.capabilities.mode_external_available
    }
  }
}
