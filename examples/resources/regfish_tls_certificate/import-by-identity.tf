import {
  to = regfish_tls_certificate.www
  identity = {
    id = "7K9QW3M2ZT8HJ"
  }
}
