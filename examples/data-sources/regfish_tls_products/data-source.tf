terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

# Every OV product of the catalog.
data "regfish_tls_products" "ov" {
  validation_level = "ov"
}

output "ov_skus" {
  value = data.regfish_tls_products.ov.skus
}

# The DV products that issue wildcard names, with their longest validity
# (null when the API does not say; leave validity_days unset then).
data "regfish_tls_products" "dv" {
  validation_level = "dv"
}

output "dv_wildcard_products" {
  value = { for p in data.regfish_tls_products.dv.products : p.sku => p.max_validity_days if p.wildcard }
}
