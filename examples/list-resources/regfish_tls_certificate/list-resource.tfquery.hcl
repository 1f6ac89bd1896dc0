# terraform query -generate-config-out=certificates.tf
# lists the live (pending and issued) orders and writes a resource block and
# an import block (by identity) for each.
list "regfish_tls_certificate" "all" {
  provider = regfish
}

# Only the orders for one name, whatever their status.
list "regfish_tls_certificate" "shop" {
  provider = regfish
  config {
    name     = "shop.example.com"
    statuses = ["pending", "issued", "expired", "revoked"]
  }
}
