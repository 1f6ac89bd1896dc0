terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}

# The API key is best taken from the REGFISH_API_KEY environment variable.
provider "regfish" {}

# Against a local regfish API simulator (go run ./internal/cmd/regfish-sim):
# provider "regfish" {
#   base_url      = "http://127.0.0.1:8080"
#   api_key       = "sim-key"
#   poll_interval = "1s"
# }
