# Import a TLS organization by its public id.
terraform import regfish_tls_organization.acme hdl_7K9QW3M2ZT8HJ
