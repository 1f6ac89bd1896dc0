# A certificate whose private key is in no state and no plan: an ephemeral
# key (hashicorp/tls >= 4.1), the certificate ordered with it as a
# write-only argument, the key into AWS Secrets Manager as a write-only
# argument in the same apply, and a Kubernetes TLS secret assembled from
# the stored key and the certificate's chain. Terraform or OpenTofu >= 1.11.
terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
    tls = {
      source = "hashicorp/tls"
    }
    aws = {
      source = "hashicorp/aws"
    }
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
  }
}

# Raise it to rotate the key: the certificate is reissued on the same
# order with the key of that apply, and the same apply stores that key.
variable "key_version" {
  type    = number
  default = 1
}

# A new key in every run, kept in memory only. Only the run in which
# key_version changes hands its key to anyone.
ephemeral "tls_private_key" "www" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "regfish_tls_certificate" "www" {
  product     = "RapidSSL"
  common_name = "www.example.com"
  dns_names   = ["api.example.com"]

  private_key_wo         = ephemeral.tls_private_key.www.private_key_pem
  private_key_wo_version = var.key_version
}

# The key, written once per key_version: the same version as the
# certificate's, so both take the key of the same run.
resource "aws_secretsmanager_secret" "www_key" {
  name = "tls/www.example.com/key"
}

resource "aws_secretsmanager_secret_version" "www_key" {
  secret_id                = aws_secretsmanager_secret.www_key.id
  secret_string_wo         = ephemeral.tls_private_key.www.private_key_pem
  secret_string_wo_version = var.key_version
}

# The stored key, read back in every run (never the run's own ephemeral
# key, which after the first run is no one's). version_id is unknown while
# a new version is written, so the read waits for it.
ephemeral "aws_secretsmanager_secret_version" "www_key" {
  secret_id  = aws_secretsmanager_secret_version.www_key.secret_id
  version_id = aws_secretsmanager_secret_version.www_key.version_id
}

# A kubernetes.io/tls secret holds key and chain in one object, written as
# a whole: its revision follows the chain, which changes with every
# reissue and renewal, and the key comes from the store.
resource "kubernetes_secret_v1" "www_tls" {
  metadata {
    name      = "www-tls"
    namespace = "default"
  }
  type = "kubernetes.io/tls"

  data_wo = {
    "tls.crt" = regfish_tls_certificate.www.full_chain_pem
    "tls.key" = ephemeral.aws_secretsmanager_secret_version.www_key.secret_string
  }
  data_wo_revision = parseint(substr(sha256(regfish_tls_certificate.www.full_chain_pem), 0, 12), 16)
}

output "www_public_key_sha256" {
  value = regfish_tls_certificate.www.public_key_sha256
}
