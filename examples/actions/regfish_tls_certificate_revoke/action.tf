# Revoke the certificate now, e.g. after its key was compromised:
#   terraform apply -invoke=action.regfish_tls_certificate_revoke.www
# The next plan of regfish_tls_certificate.www then places a new order in its
# place (the plan says so): give it a CSR with a new key first.
action "regfish_tls_certificate_revoke" "www" {
  config {
    certificate_id = regfish_tls_certificate.www.id
    reason         = "key compromise"
  }
}
