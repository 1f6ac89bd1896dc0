// Package simulator is a local, faithful regfish TLS + DNS API with a real
// test CA, used by `make demo`, by every acceptance test, and for fault and
// time injection. It serves the API at the root of its listener (as
// https://api.regfish.com does) and a control API under ControlPrefix
// ("/_sim/"), which needs no API key and is never part of the real API.
//
// The simulator follows CONTRACT.md (at the root of the repository): what
// regfish documents or was observed to answer. Where the contract marks a
// behaviour assumed, the simulator answers the most plausible way and offers
// the other plausible answers as variants (see Variants and CONTRACT.md
// §6). Where the contract is silent, the simulator makes the choice listed
// below. Every such choice is made here, in this list, and implemented in
// one place (named in brackets), so it is easy to find and change.
//
// # UNKNOWN choices
//
//  1. Revoke: POST /tls/certificate/{id}/revoke, body {"comments","scope"}
//     with scope "certificate" (default) or "order"; answers the certificate.
//     Status becomes "revoked", order_state "REVOKED", revocation_scope the
//     scope. Revocation is immediate (revocation_pending_scope is never set).
//     Only issued (or expired) certificates can be revoked (409 otherwise).
//     A repeated revoke answers 200 with the unchanged certificate.
//     Variants.Revoke "missing" answers 404 Not Found (no such path),
//     "refused" 403 (Console only). [tls_order_handlers.go handleRevoke, simulator.go
//     unservedAction]
//  2. Cancel: POST /tls/certificate/{id}/cancel (no body). A pending order
//     becomes "cancelled"/"CANCELED"; an issued one inside its cancellation
//     window becomes "order_cancelled"/"CANCELED" with the certificate
//     revoked (revocation_scope "order"); outside the window: 409. A repeated
//     cancel answers 200 with the unchanged certificate. DELETE
//     /tls/certificate/{id} is not served. Variants.Cancel as
//     Variants.Revoke. [tls_order_handlers.go handleCancel]
//  3. order_cancellation_mode: "cancel_order" before issuance, "revoke_issued"
//     after; the window ends 30 days after first issuance. [tls_orders.go view]
//  4. OV/EV approval after DCV: order_state "PENDING_APPROVAL",
//     pending_reason "approval_pending", for Options.ApprovalDelay. [tls_orders.go advance]
//  5. Error codes of TLS validation failures: 400 for body problems (bad sku,
//     CSR, names, dcv_method, validity_days, missing fields), 404 for unknown
//     certificate, organization or renewal_of_certificate_id, 409 for a call
//     in the wrong state (complete on a non-staged order, reissue while one
//     is active, download before issuance, renewal of a pending order). All
//     with code 0. /complete refusals take the status of Variants.Complete
//     ("mixed": as listed); a download before issuance answers 404 under
//     Variants.DownloadNotReady "404". [tls_order_handlers.go]
//  6. Unknown zone on GET /dns/{domain}/rr: 404 "DNS zone not found" (code
//     15001, the only code seen for it). Variants.ZoneNotFound "200" (or
//     Options.LegacyZoneNotFound) switches to the 2024 answer: 200 with
//     success:false and code 15001. Error envelopes carry the keys of
//     Variants.ErrorEnvelope (default: success, message, error, as
//     documented). [dns.go, simulator.go writeError]
//  7. Rate limit: a fixed window of Options.RateLimit requests (default 500)
//     per Options.RateWindow (default 60 s) per API key (per client address
//     when the key is missing), on the simulator clock. Every answer carries
//     "RateLimit-Policy: 500; w=60" and nothing else (as observed); past the
//     limit the answer is 429 without Retry-After. Variants.RateLimitHeaders
//     adds Retry-After (seconds to the end of the window) to a 429
//     ("policy-retry-after"), or also "RateLimit: limit=.., remaining=..,
//     reset=.." to every answer ("draft"). [simulator.go rateLimitLocked]
//  8. 403: Options.Keys holds further keys limited to the TLS or the DNS
//     endpoints; the other part answers 403 (or 401 under
//     Variants.RoleDenied "401"). [simulator.go serveAPI]
//  9. Product type is lower case ("dv", "ov"; Variants.ProductType "upper":
//     "DV", "OV"). Products carry two extra
//     fields the contract does not list: "wildcard" (bool) and
//     "max_validity_days" (199). Only RapidSSLWildcard is a wildcard SKU.
//     [tls_catalog.go products]
//  10. Organizations: only "organization" is required (400 without it).
//     An organization missing any of the other eight fields is created with
//     status "incomplete" and usable_for_ordering false; a complete one is
//     "ready" and usable at once (Options.OrgReadyDelay instead keeps it
//     "pending" and not usable for that long, like a vetting step; the demo
//     uses it). country_code must be two letters and email
//     must contain "@" when given (400). The organization object has no
//     "name" (as documented). PATCH /tls/organization/{id} edits in place;
//     edit_mode "create_replacement" (or, under Variants.OrgEdit "replace",
//     any edit of a usable organization) creates a replacement with the
//     merged fields and a new id and leaves the old one as it was.
//     Organizations cannot be read singly or deleted through the API (no
//     such endpoints). [tls_organizations.go handleCreateOrg, handlePatchOrg]
//  11. dns_names are echoed as submitted (lower-cased, without adding the
//     common name). [tls_order_handlers.go]
//  12. DCV reuse: under the registrable-domain scope, a registrable domain
//     whose record an order proved counts as validated for the account's
//     later orders and reissues for Options.DCVReuse (default 200 days, the
//     Baseline Requirements' reuse limit since March 2026), as DigiCert
//     reuses a domain validation; they pass DCV without a record of their
//     own. Under the per-name scope every order proves all its records.
//     DCV records: every record is a "_dnsauth.<base>." CNAME pointing to
//     "<token>.dcv.digicert.com." where the 32-hex-digit token is per order
//     (and new for every reissue); one record per distinct base, in the
//     order of the names. The base is chosen by the DCV scope
//     (Options.DCVScope, flag -dcv-scope, POST /_sim/settings
//     {"dcv_scope":..}; when Options.DCVScope is empty the environment
//     variable REGFISH_SIM_DCV_SCOPE decides, so a whole test process can
//     run under either scope):
//     "registrable-domain" (default, as the regfish OV recipe shows: an
//     order for www.example.com + api.example.com gets the one record
//     "_dnsauth.example.com."): the name's registrable domain, a leading
//     "*." stripped first ("shop.example.co.uk" -> "example.co.uk"). The
//     public suffix list's ICANN section alone decides the suffix, as the
//     CA/Browser Forum Baseline Requirements tell CAs (ballot 129), so
//     "a.b.github.io" -> "github.io"; a name under an unlisted top-level
//     label uses its last two labels. "per-name": the name itself, a
//     leading "*." stripped. The record lives where the DNS API puts it:
//     an account that holds only a subdomain zone cannot publish the
//     registrable domain's record (404 zone not found), like the real
//     service. An order and a reissue keep the scope in force when they
//     were requested (orders in state files from before scopes existed:
//     "per-name"; GET /_sim/state shows it as dcv_scope). DCV passes when every record the order or reissue lists
//     resolves as a CNAME to the token target (trailing dot and case do not
//     matter; see choice 28 for how the CA resolves). A reissue always needs DCV again. [dcv.go]
//  13. validity_days: 1..199, default 199 when omitted. [tls_order_handlers.go]
//  14. Renewal bonus: whole days left on the predecessor at issuance, capped
//     so that validity + bonus stays within 397 days. [tls_orders.go issue]
//  15. Contract window: contract_valid_until = issuance + max(certificate
//     lifetime, Options.ContractDays), shown once the order is issued.
//     Variants.ContractWindow "at-order" starts it at the order and shows
//     it from the order's answer on. A reissue's certificate never
//     outlives the contract. [tls_orders.go issue, issueReissue, view]
//  16. Downloads: "pem" = leaf then intermediate (no root),
//     application/x-pem-file; "zip" = application/zip holding
//     certificate.pem and chain.pem; any other format: 400. Available for
//     issued, expired and revoked certificates. [tls_order_handlers.go handleDownload]
//  17. serial_number: upper-case hex, no colons. [ca.go]
//  18. Lists are full arrays, oldest first; no pagination.
//  19. DNS: TTL default 3600 (60..604800 accepted); CAA data is
//     `flags tag "value"`; CNAME, NS, MX and ALIAS targets are stored as
//     absolute lower-case names with a trailing dot.
//     MX and SRV need "priority" (0..10000). Their data may carry that
//     priority in front or not: "mail.example.com" and
//     "10 mail.example.com." (with "priority":10) are one MX record,
//     "5 5060 sip.example.com" and "10 5 5060 sip.example.com." one SRV
//     record; a number in front that differs from priority is a 400 (code
//     15004). Both are stored and returned in one form, the zone-file
//     form with the priority in front ("10 mail.example.com.",
//     "10 5 5060 sip.example.com."), with "priority" beside it. Why: the
//     only client that reads listed MX/SRV data, libdns/regfish, sends
//     that form and parses listed data as "preference target" and
//     "priority weight port target" (and deletes by comparing listed data
//     with it); clients that use the priority field still find it.
//     Duplicate checks and PATCH compare the stored form, so both
//     spellings name the same record. On PATCH an omitted priority keeps
//     the record's (a number in data must equal it); a PATCH by id
//     without data keeps the target under a new priority.
//     CNAME exclusivity (RFC 1034 section 3.6.2): a CNAME is the only
//     record at its name. A CNAME at the zone apex, a CNAME at a name
//     holding any record (another CNAME included: there are no CNAME
//     record sets), and any record at a name holding a CNAME, on create
//     or PATCH, answer 409 with code 15005 (Variants.CNAMEConflict: 400 code
//     15004, or 417 code 15003). The same record again (name,
//     type and stored data equal) is a duplicate: 417 code 15003.
//     PATCH /dns/rr matching several records: 409 code 15006. Missing
//     record: 404 code 15001. A zone lists only the records created in it:
//     regfish keeps a zone's NS set without listing it (the zone detail
//     counts it in counts.records_auto; its records carry no data), so a
//     new zone lists nothing, as observed. System records (auto:true) exist
//     only when a test adds one (AddSystemRecord); they cannot be changed
//     or deleted: 409. Records keep their annotation (Variants.Annotation
//     "dropped": never stored). [dns.go checkRecord, normaliseData]
//  20. Create answers 200 (as documented), never 201.
//  21. org_id on a DV order is accepted and bound without effect. org_id
//     may be a JSON string or number (regfish's certbro sends legacy numeric
//     ids as numbers); an id that is no organization answers 404.
//  22. Timing: a DV order issues IssueDelay (default 0) after the simulator
//     first sees its DCV satisfied; OV/EV orders wait ApprovalDelay more.
//     Progress is evaluated when an order is read (GET, list, download), on
//     the simulator clock, so tests are deterministic.
//  23. Reissue of an OV/EV order does not go through approval again.
//  24. Expiry: an issued certificate whose valid_until has passed reads as
//     status "expired", order_state "EXPIRED", reissue_supported false.
//  25. Email DCV: validation.email_targets are the submitted dcv_emails, or
//     admin@, administrator@, hostmaster@, postmaster@ and webmaster@ of
//     the common name's registrable domain (as in choice 12). Approval
//     happens through the control API.
//  26. 401 body: {"success":false,"message":"Unauthorized","error":"Unauthorized"}
//     (documented; with the keys of Variants.ErrorEnvelope).
//  27. DNSSEC (PUT /dns/{domain}/dnssec, the zone detail's dnssec object;
//     CONTRACT.md §3.1): a zone starts with mode "none", desired and live
//     state "disabled". A PUT sets mode, desired_state and (mode external
//     only) desired_records at once and starts a pending job that makes them
//     live Options.DNSSECDelay later (default 0: at once, no pending_job in
//     the answer), evaluated when the zone is read, on the simulator clock.
//     The answer is the dnssec object plus "pending_job" {"id": "job_...",
//     "status": "pending", "action": "dnssec_enable|dnssec_disable|
//     dnssec_update"} while one runs. The same request again starts no
//     second job. Live mode regfish lists the DS (algorithm 13, SHA-256
//     digest) and the DNSKEY (flags 257) of a key derived from the zone's
//     name in live_records; mode external lists the desired records. dnssec_state
//     (also at the top of the detail) is "pending" while a job runs, else
//     "signed" when live, else "unsigned"; signed and zone_signed follow
//     the live state; zone_pending_disable is true while a job turns it off.
//     Capabilities per zone: Options.DNSSECCapabilities or
//     SetDNSSECCapabilities, else DefaultDNSSECCapabilities (both modes, DS
//     and DNSKEY, at least one record, algorithms 8, 13, 14, 15, 16). A
//     request the capabilities do not allow (mode not available, DNSSEC not
//     supported, too few records, a kind or algorithm not accepted) is
//     refused with 422 (Variants.DNSSECRefused: 400 or 409) and changes
//     nothing. A malformed body is 400 (unknown mode or state, mode none
//     enabled, records without mode external, a DS without key_tag,
//     digest_type or hex digest, a DNSKEY without flags, protocol 3 or
//     base64 public_key); an unknown zone 404. [dnssec.go]
//  28. DNS (simulator choices, not facts of the regfish API): the CA checks
//     each DCV record by resolving its CNAME. A name inside one of the
//     account's zones is answered as the simulator's authoritative DNS
//     server serves it (the zone's records; a regfish zone is never asked
//     elsewhere); any other name is asked of Options.DNSUpstream (flag
//     -dns-upstream), one CNAME query over UDP (TCP when truncated) with a
//     2-second timeout, under the simulator lock; a timeout or an error
//     answer counts as not found and is logged. Without an upstream such
//     names are never found (as before: only regfish DNS counts).
//     Options.DNSListen (flag -dns-listen) serves the account's zones
//     over UDP and TCP: authoritative answers of the stored records (TXT
//     data quoted, ALIAS not served), a CNAME answering every type without
//     being followed, the apex's SOA (ns1.regfish.de.,
//     hostmaster.<zone>.) and NS (the regfish nameservers), NODATA with
//     the SOA, NXDOMAIN for a name with nothing at or below it, and REFUSED
//     for names outside the zones (it is no resolver) and for updates.
//     Library: github.com/miekg/dns. [dnsserver.go]
//
// # Control API (no key; never exposed by the real API)
//
//	GET  /_sim/ca.pem                      root certificate (PEM)
//	GET  /_sim/ca/intermediate.pem         intermediate certificate (PEM)
//	GET  /_sim/state                       orders (with extras) and counters
//	GET  /_sim/stats                       request, fault and order counters
//	GET  /_sim/clock                       {"now": ...}
//	POST /_sim/clock                       {"advance":"720h"} or {"set":"RFC3339"}
//	GET|PUT|POST|DELETE /_sim/faults       list / replace / append / clear fault rules:
//	                                       kinds status, reset, latency and corrupt (carry the
//	                                       request out, answer 200 with "response":null, {},
//	                                       an HTML page or another id); "burst" repeats a rule
//	                                       for that many matching requests once it fires
//	GET  /_sim/settings                    the current settings
//	POST /_sim/settings                    {"approval_delay":"5s","issue_delay":"0s","dnssec_delay":"0s","contract_days":397,"rate_limit":500,
//	                                        "dcv_scope":"registrable-domain|per-name",
//	                                        "variants":"[default,]key=value,..."} (400 for an unknown scope or variant)
//	POST /_sim/certificates/{id}/console-complete   {"org_id":"hdl_..."} (first usable org when omitted)
//	POST /_sim/certificates/{id}/approve-email
//	POST /_sim/certificates/{id}/validate  mark DCV done without DNS
//	POST /_sim/certificates/{id}/force     {"status":"rejected|cancelled|unknown|revoked","message":".."} or {"hold":true|false}
//	DELETE /_sim/certificates/{id}         make the order vanish (404 afterwards)
//	POST /_sim/organizations/{id}          {"status":"..","usable_for_ordering":bool}
//
// Every control is also a method of *Simulator for in-process tests.
package simulator
