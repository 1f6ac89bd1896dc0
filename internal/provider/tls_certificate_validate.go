package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Validating a certificate configuration: without the API (ValidateConfig)
// and against it at plan time (catalog, organization, DCV zones).

// ValidateConfig checks what can be checked without the API.
func (r *certificateResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m certificateModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !m.DCVEmails.IsNull() && !m.DCVEmails.IsUnknown() && !m.DCVMethod.IsUnknown() && m.DCVMethod.ValueString() != regfish.DCVMethodEmail {
		resp.Diagnostics.AddAttributeError(path.Root("dcv_emails"), "dcv_emails Needs E-mail Validation",
			`dcv_emails is only used with dcv_method = "email".`)
	}
	if !m.RenewBeforeDays.IsNull() && !m.RenewBeforeDays.IsUnknown() && !m.ValidityDays.IsNull() && !m.ValidityDays.IsUnknown() &&
		m.RenewBeforeDays.ValueInt64() >= m.ValidityDays.ValueInt64() {
		resp.Diagnostics.AddAttributeError(path.Root("renew_before_days"), "renew_before_days Too Large", renewBeforeTooLarge(m.RenewBeforeDays.ValueInt64(), m.ValidityDays.ValueInt64()))
	}
	validateDCVPublisher(m, &resp.Diagnostics)
	if m.CSR.IsUnknown() || m.CSR.IsNull() || m.CommonName.IsUnknown() || m.DNSNames.IsUnknown() {
		return
	}
	if msg := order.CheckCSR(m.CSR.ValueString(), m.CommonName.ValueString(), setStrings(ctx, m.DNSNames)); msg != "" {
		resp.Diagnostics.AddAttributeError(path.Root("csr"), "Invalid CSR", msg)
	}
}

// validateDCVPublisher: external publishing is for DNS validation only.
func validateDCVPublisher(m certificateModel, diags *diag.Diagnostics) {
	if m.DCVPublisher.ValueString() == dcvPublisherExternal && !m.DCVMethod.IsUnknown() && m.DCVMethod.ValueString() == regfish.DCVMethodEmail {
		diags.AddAttributeError(path.Root("dcv_publisher"), "dcv_publisher Needs DNS Validation",
			`dcv_publisher = "external" publishes DNS records, but dcv_method is "email". Remove dcv_publisher, or use dcv_method = "dns-cname-token".`)
	}
}

func renewBeforeTooLarge(rbd, validity int64) string {
	return fmt.Sprintf("renew_before_days (%d) must be smaller than the certificate's validity of %d days, or the certificate would be renewed as soon as it is issued.", rbd, validity)
}

// nameOrderInErrors adds the certificate id to the plan's errors that do
// not name it (an API that cannot be used is found out before any order is
// looked at), so that every error about an existing order names it.
func nameOrderInErrors(diags *diag.Diagnostics, id string) {
	if id == "" {
		return
	}
	for i, d := range *diags {
		if d.Severity() != diag.SeverityError || strings.Contains(d.Summary()+d.Detail(), id) {
			continue
		}
		detail := d.Detail() + "\n\nCertificate " + id + " is unchanged."
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			(*diags)[i] = diag.NewAttributeErrorDiagnostic(wp.Path(), d.Summary(), detail)
		} else {
			(*diags)[i] = diag.NewErrorDiagnostic(d.Summary(), detail)
		}
	}
}

// checkCatalog validates the product and the names against the catalog.
func (r *certificateResource) checkCatalog(ctx context.Context, m certificateModel, diags *diag.Diagnostics) {
	if r.data == nil || m.Product.IsUnknown() {
		return
	}
	ps, err := r.data.products(ctx)
	if err != nil {
		if !r.data.apiKeyProblem(err, diags) {
			diags.AddWarning("Product Catalog Not Checked", "The product catalog could not be read at plan time, so product and names are checked at apply: "+err.Error())
		}
		return
	}
	p, ok := regfish.FindProduct(ps, m.Product.ValueString())
	if !ok {
		var skus []string
		for _, x := range ps {
			skus = append(skus, x.SKU)
		}
		diags.AddAttributeError(path.Root("product"), "Unknown TLS Product",
			fmt.Sprintf("product %q is not in the regfish catalog. Available products: %s.", m.Product.ValueString(), strings.Join(skus, ", ")))
		return
	}
	if !p.SupportsWildcard() {
		if strings.HasPrefix(m.CommonName.ValueString(), "*.") {
			diags.AddAttributeError(path.Root("common_name"), "Wildcard Needs a Wildcard Product",
				fmt.Sprintf("common_name %q is a wildcard name, but product %s does not issue wildcards; use a wildcard product such as RapidSSLWildcard.", m.CommonName.ValueString(), p.SKU))
		}
		for _, n := range setStrings(ctx, m.DNSNames) {
			if strings.HasPrefix(n, "*.") {
				diags.AddAttributeError(path.Root("dns_names"), "Wildcard Needs a Wildcard Product",
					fmt.Sprintf("dns_names holds the wildcard name %q, but product %s does not issue wildcards.", n, p.SKU))
			}
		}
	}
	if p.MaxValidityDays > 0 && !m.ValidityDays.IsNull() && !m.ValidityDays.IsUnknown() && m.ValidityDays.ValueInt64() > int64(p.MaxValidityDays) {
		diags.AddAttributeError(path.Root("validity_days"), "Validity Too Long",
			fmt.Sprintf("product %s allows at most %d days, validity_days is %d.", p.SKU, p.MaxValidityDays, m.ValidityDays.ValueInt64()))
	}
	if !p.OrganizationRequired && p.Level() == "dv" && !m.OrgID.IsNull() && !m.OrgID.IsUnknown() {
		diags.AddAttributeWarning(path.Root("org_id"), "org_id Is Ignored", fmt.Sprintf("product %s is a DV product; org_id has no effect on it.", p.SKU))
	}
	if p.OrganizationRequired && !m.OrgID.IsNull() && !m.OrgID.IsUnknown() {
		r.checkOrg(ctx, m.OrgID.ValueString(), diags)
	}
}

// checkOrg verifies at plan time that org_id names an organization of the
// account (when it is known then).
func (r *certificateResource) checkOrg(ctx context.Context, id string, diags *diag.Diagnostics) {
	org, err := r.data.client.GetOrganization(ctx, id)
	switch {
	case regfish.IsNotFound(err):
		diags.AddAttributeError(path.Root("org_id"), "Unknown TLS Organization",
			fmt.Sprintf("org_id %s is not a TLS organization of this regfish account.", id))
	case err != nil:
		if !r.data.apiKeyProblem(err, diags) {
			tflog.Debug(ctx, "regfish: could not check org_id at plan time", map[string]any{"error": err.Error()})
		}
	case !org.UsableForOrdering:
		diags.AddAttributeWarning(path.Root("org_id"), "TLS Organization Not Usable Yet",
			fmt.Sprintf("TLS organization %s has status %q and is not usable for ordering yet: the order will wait, staged, until it is.", id, org.Status))
	}
}

// dcvZoneProblems returns, for DNS-validated orders, the names that no DNS
// zone of the account holds, with the attribute each comes from. An error
// means the zones could not be listed.
func (d *providerData) dcvZoneProblems(ctx context.Context, spec order.Spec) (map[string]path.Path, error) {
	if spec.DCVMethod != regfish.DCVMethodCNAME || spec.External {
		return nil, nil
	}
	out := map[string]path.Path{}
	for _, n := range spec.Names() {
		_, err := d.ZoneFor(ctx, strings.TrimPrefix(n, "*."))
		if errors.Is(err, order.ErrNoZone) {
			p := path.Root("dns_names")
			if n == regfish.Hostname(spec.CommonName) {
				p = path.Root("common_name")
			}
			out[n] = p
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkDCVZones fails the plan when a DNS-validated order is for a name no
// zone of the account holds: the order would be paid and never validate.
func (r *certificateResource) checkDCVZones(ctx context.Context, spec order.Spec, diags *diag.Diagnostics) {
	bad, err := r.data.dcvZoneProblems(ctx, spec)
	if err != nil {
		if !r.data.apiKeyProblem(err, diags) {
			diags.AddWarning("DNS Zones Not Checked", "The account's DNS zones could not be listed at plan time; the apply checks them before ordering: "+err.Error())
		}
		return
	}
	for n, p := range bad {
		diags.AddAttributeError(p, "Name Outside the Account's DNS Zones", dcvZoneDetail(n))
	}
}

func dcvZoneDetail(name string) string {
	return fmt.Sprintf("%s lies in no DNS zone of this regfish account, so its dns-cname-token validation record cannot be published and the order would never be issued. "+
		"Add the zone to regfish DNS, or use dcv_method = \"email\".", name)
}
