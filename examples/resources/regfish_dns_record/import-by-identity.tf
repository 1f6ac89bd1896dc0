import {
  to = regfish_dns_record.www
  identity = {
    id = "3236254"
  }
}
