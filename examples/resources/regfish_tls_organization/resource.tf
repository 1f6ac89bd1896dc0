terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

resource "regfish_tls_organization" "acme" {
  organization = "Example GmbH"
  first_name   = "Ada"
  last_name    = "Admin"
  address      = "Musterstrasse 1"
  postal_code  = "10115"
  city         = "Berlin"
  country_code = "DE"
  phone        = "+49 30 1234567"
  email        = "admin@example.com"
}
