# Import the DNSSEC of a zone by the zone's domain.
terraform import regfish_dns_zone_dnssec.example_com example.com
