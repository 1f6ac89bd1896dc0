terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
    local = {
      source = "hashicorp/local"
    }
  }
}

variable "certificate_id" {
  description = "The id of a certificate order of your regfish account, e.g. as the regfish Console shows it."
  type        = string
}

# An order placed elsewhere (the regfish Console, certbro, another
# workspace), read by its id.
data "regfish_tls_certificate" "shop" {
  id = var.certificate_id
}

# Deploy the chain once it is issued; certificate_pem and the chain are null
# before that.
resource "local_file" "shop_chain" {
  count    = data.regfish_tls_certificate.shop.status == "issued" ? 1 : 0
  filename = "${path.module}/shop-fullchain.pem"
  content  = data.regfish_tls_certificate.shop.full_chain_pem
}

output "shop_certificate" {
  value = {
    status       = data.regfish_tls_certificate.shop.status
    not_after    = data.regfish_tls_certificate.shop.not_after
    renewal_mode = data.regfish_tls_certificate.shop.renewal_mode
    # while the order waits for DCV: the records to publish
    dcv_records = data.regfish_tls_certificate.shop.validation_records
  }
}
