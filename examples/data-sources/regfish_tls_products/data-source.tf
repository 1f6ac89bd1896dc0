# Every OV product of the catalog.
data "regfish_tls_products" "ov" {
  validation_level = "ov"
}

output "ov_skus" {
  value = data.regfish_tls_products.ov.skus
}
