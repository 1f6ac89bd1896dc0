# Import an existing certificate order by its public id. The API never
# returns the CSR: the first apply after the import records the configured
# csr (without any API call) when its key is the certificate's, and
# reissues otherwise. A pending order is resumed by the next apply.
terraform import regfish_tls_certificate.www 7K9QW3M2ZT8HJ
