# Import a DNS record by its numeric record id (rrid).
terraform import regfish_dns_record.www 3236254
