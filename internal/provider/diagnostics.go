package provider

import (
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Provider-wide diagnostics: an API that cannot be used, provider data
// of the wrong type, an operation before the provider was configured.

// apiKeyProblem turns what makes the API unusable into an error: a 401/403
// (naming where the key came from), an API that cannot be reached or does
// not answer, a base_url that serves no regfish API. It reports false for
// other errors (a 5xx, an odd answer), which a plan may ride out.
func (d *providerData) apiKeyProblem(err error, diags *diag.Diagnostics) bool {
	var te *regfish.TransportError
	var ae *regfish.APIError
	switch {
	case errors.As(err, &te) && !errors.Is(err, regfish.ErrMaybeProcessed), errors.Is(err, regfish.ErrWrongBaseURL):
		diags.AddError("regfish API Not Reachable",
			fmt.Sprintf("The regfish API at %s cannot be used: %v. Check base_url (or %s) and the network; nothing was changed.", d.client.BaseURL(), err, EnvBaseURL))
	case errors.As(err, &ae) && ae.RoleProblem():
		part := "this part of the regfish API"
		if ae.Part != "" {
			part = "the " + ae.Part + " endpoints of the regfish API"
		}
		diags.AddError("regfish API Key Lacks Access",
			fmt.Sprintf("The API key from %s may not use %s at %s (HTTP %d on %s %s): %v. The key itself is accepted; it lacks the role. "+
				"Use a key with access to the TLS and DNS endpoints (regfish Console, Settings → Security → API keys).",
				d.keySource, part, d.client.BaseURL(), ae.StatusCode, ae.Method, ae.Path, err))
	case errors.Is(err, regfish.ErrUnauthorized):
		diags.AddError("regfish API Key Rejected",
			fmt.Sprintf("The regfish API at %s rejected the API key from %s (HTTP 401): %v. Check the key, or create one in the regfish Console under Settings → Security → API keys. "+
				"(If the key is valid, it may lack the role for this part of the API: regfish may answer that with 401 too.)", d.client.BaseURL(), d.keySource, err))
	default:
		return false
	}
	return true
}

// configureData extracts providerData in a resource or data source Configure.
func configureData(pd any, diags *diag.Diagnostics) *providerData {
	if pd == nil {
		return nil // provider not configured yet (validation)
	}
	d, ok := pd.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data Type",
			fmt.Sprintf("Expected *providerData, got %T. This is always a bug in the provider; please report it to the provider developers.", pd))
		return nil
	}
	return d
}

// notConfigured reports an operation that ran before the provider was
// configured (what: "listing certificates", "the action ran").
func notConfigured(diags *diag.Diagnostics, what string) {
	diags.AddError("Provider Not Configured", "The regfish provider was not configured before "+what+". This is always a bug in the provider; please report it.")
}
