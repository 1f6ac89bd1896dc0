import {
  to = regfish_tls_organization.acme
  identity = {
    id = "hdl_7K9QW3M2ZT8HJ"
  }
}
