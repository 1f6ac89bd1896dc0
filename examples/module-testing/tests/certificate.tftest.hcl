# Runs against the regfish API simulator: start it (regfish-sim) and set
# REGFISH_BASE_URL and REGFISH_API_KEY to its address and key. Nothing is
# ordered from the real regfish API.
provider "regfish" {
  # base_url and api_key come from REGFISH_BASE_URL and REGFISH_API_KEY.
  poll_interval     = "200ms"
  max_poll_interval = "1s"
}

variables {
  name   = "www"
  zone   = "example.com"
  csr    = file("testdata/www.example.com.csr")
  target = "lb.example.net"
}

run "issues_the_certificate" {
  assert {
    condition     = regfish_tls_certificate.this.status == "issued"
    error_message = "The certificate was not issued."
  }

  assert {
    condition     = startswith(output.full_chain_pem, "-----BEGIN CERTIFICATE-----")
    error_message = "full_chain_pem is not a PEM chain."
  }

  assert {
    condition     = regfish_dns_record.this.fqdn == "www.example.com."
    error_message = "The CNAME has the wrong name."
  }
}

run "a_new_target_keeps_the_certificate" {
  command = plan

  # the certificate id of the first run, as a variable of this run's
  # assertions (works with Terraform and OpenTofu alike)
  variables {
    target    = "lb2.example.net"
    issued_id = run.issues_the_certificate.certificate_id
  }

  assert {
    condition     = regfish_tls_certificate.this.id == var.issued_id
    error_message = "Changing the CNAME target must not touch the certificate order."
  }

  assert {
    condition     = regfish_dns_record.this.data == "lb2.example.net"
    error_message = "The CNAME target was not planned."
  }
}

run "rejects_a_name_with_dots" {
  command = plan

  variables {
    name = "www.shop"
  }

  expect_failures = [var.name]
}
