# By the certificate id; the next refresh downloads the certificate.
terraform import regfish_tls_certificate_validation.www 7K9QW3M2ZT8HJ
