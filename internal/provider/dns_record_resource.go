package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/regfish/terraform-provider-regfish/internal/provider/order"
	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

var (
	_                                      resource.ResourceWithConfigure      = (*dnsRecordResource)(nil)
	_                                      resource.ResourceWithImportState    = (*dnsRecordResource)(nil)
	_                                      resource.ResourceWithValidateConfig = (*dnsRecordResource)(nil)
	_                                      resource.ResourceWithModifyPlan     = (*dnsRecordResource)(nil)
	_                                      resource.ResourceWithIdentity       = (*dnsRecordResource)(nil)
	dnsRecordTypes                                                             = []string{"A", "AAAA", "CNAME", "TXT", "MX", "SRV", "CAA", "NS", "ALIAS"}
	hostnameTypes                                                              = map[string]bool{"CNAME": true, "NS": true, "MX": true, "ALIAS": true}
	minRecordTTL, maxRecordTTL, defaultTTL                                     = int64(60), int64(604800), int64(3600)
)

// NewDNSRecordResource is the regfish_dns_record resource.
func NewDNSRecordResource() resource.Resource { return &dnsRecordResource{} }

type dnsRecordResource struct{ data *providerData }

type dnsRecordModel struct {
	ID         types.String `tfsdk:"id"`
	Name       fqdnValue    `tfsdk:"name"`
	Type       types.String `tfsdk:"type"`
	Data       types.String `tfsdk:"data"`
	TTL        types.Int64  `tfsdk:"ttl"`
	Priority   types.Int64  `tfsdk:"priority"`
	Annotation types.String `tfsdk:"annotation"`
	FQDN       types.String `tfsdk:"fqdn"`
	Zone       types.String `tfsdk:"zone"`
}

func (r *dnsRecordResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_dns_record"
}

func (r *dnsRecordResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One DNS resource record in a zone hosted on regfish DNS. The zone is found from the record's name " +
			"(the longest zone of the account that holds it). Changes are applied in place by record id; a new name in " +
			"another zone replaces the record. Names and data that differ only in case, a trailing dot or the notation " +
			"of an address are the same and never show up as a change, also after an import.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The record id (`rrid`) assigned by regfish.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				CustomType: fqdnType{},
				MarkdownDescription: "Fully qualified name of the record, e.g. `www.example.com` (a trailing dot and upper case are " +
					"accepted and never show up as a change). `*.example.com` creates a wildcard record.",
				Required:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(recordNameRe, "must be a fully qualified domain name such as www.example.com")},
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "Record type, one of " + joinQuoted(dnsRecordTypes) + ".",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(dnsRecordTypes...)},
			},
			"data": schema.StringAttribute{
				MarkdownDescription: "Record value. Host names (CNAME, NS, MX, ALIAS targets) may be written with or without the " +
					"trailing dot. MX and SRV may carry the priority in front as well, equal to `priority` (`\"10 mail.example.com\"`, " +
					"`\"10 5 5060 sip.example.com\"`): both forms are the same value and never show up as a change. SRV: " +
					"`\"weight port target\"`; CAA: `0 issue \"digicert.com\"`.",
				Required:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 4096)},
			},
			"ttl": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Time to live in seconds, %d to %d (default: `%d`).", minRecordTTL, maxRecordTTL, defaultTTL),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(defaultTTL),
				Validators:          []validator.Int64{int64validator.Between(minRecordTTL, maxRecordTTL)},
			},
			"priority": schema.Int64Attribute{
				MarkdownDescription: "Priority, 0 to 10000. Required for `MX` and `SRV`, not allowed for other types.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(0, 10000)},
			},
			"annotation": schema.StringAttribute{
				MarkdownDescription: "Free-text note kept with the record.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
			},
			"fqdn": schema.StringAttribute{
				MarkdownDescription: "The record name as the API stores it: lower case with a trailing dot.",
				Computed:            true,
			},
			"zone": schema.StringAttribute{
				MarkdownDescription: "The zone that holds the record.",
				Computed:            true,
			},
		},
	}
}

func (r *dnsRecordResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan keeps the state's spelling of a name or value that means the
// same (so that it is no change), finds the zone at plan time, and plans a
// replacement when the name moves into another zone.
func (r *dnsRecordResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var plan, state dnsRecordModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	existing := !req.State.Raw.IsNull()
	if existing && !plan.Name.IsUnknown() && regfish.Fqdn(plan.Name.ValueString()) == regfish.Fqdn(state.Name.ValueString()) {
		plan.Name = state.Name
	}
	if existing && !plan.Data.IsUnknown() && !plan.Type.IsUnknown() && plan.Type.ValueString() == state.Type.ValueString() &&
		normData(plan.Type.ValueString(), plan.Data.ValueString()) == normData(state.Type.ValueString(), state.Data.ValueString()) {
		plan.Data = state.Data
	}
	switch {
	case plan.Name.IsUnknown():
		if existing {
			// the zone may change: only a new record can move
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("name"))
		}
	default:
		zone, err := r.data.ZoneFor(ctx, plan.Name.ValueString())
		switch {
		case errors.Is(err, order.ErrNoZone):
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Name Outside the Account's DNS Zones",
				fmt.Sprintf("No DNS zone of the regfish account holds %s: %v. Add the zone to regfish DNS first.", plan.Name.ValueString(), err))
			return
		case err != nil:
			if !r.data.apiKeyProblem(err, &resp.Diagnostics) {
				tflog.Debug(ctx, "regfish: could not look up the DNS zone at plan time", map[string]any{"error": err.Error()})
			}
		default:
			plan.Zone = types.StringValue(zone)
			plan.FQDN = types.StringValue(regfish.Fqdn(plan.Name.ValueString()))
			if existing && state.Zone.ValueString() != "" && zone != state.Zone.ValueString() {
				resp.RequiresReplace = append(resp.RequiresReplace, path.Root("name"))
				resp.Diagnostics.AddAttributeWarning(path.Root("name"), "DNS Record Moves to Another Zone",
					fmt.Sprintf("%s lies in zone %s, record %s in zone %s: a record cannot move between zones, so a new record is created and the old one deleted.",
						plan.Name.ValueString(), zone, state.ID.ValueString(), state.Zone.ValueString()))
			}
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// ValidateConfig checks the data against the type at plan time.
func (r *dnsRecordResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m dnsRecordModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Type.IsUnknown() || m.Type.IsNull() {
		return
	}
	typ := m.Type.ValueString()
	needsPrio := typ == "MX" || typ == "SRV"
	if !m.Priority.IsUnknown() {
		if needsPrio && m.Priority.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("priority"), "Missing priority", typ+" records need a priority (0 to 10000).")
		}
		if !needsPrio && !m.Priority.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("priority"), "Priority not allowed", "priority is only used by MX and SRV records, not by "+typ+".")
		}
	}
	if m.Data.IsUnknown() || m.Data.IsNull() {
		return
	}
	data := m.Data.ValueString()
	if bare := withoutPriority(typ, data); bare != strings.TrimSpace(data) && !m.Priority.IsUnknown() {
		if lead := strings.Fields(data)[0]; m.Priority.IsNull() || lead != strconv.FormatInt(m.Priority.ValueInt64(), 10) {
			resp.Diagnostics.AddAttributeError(path.Root("data"), "Invalid record data",
				fmt.Sprintf("data starts with %s, which must equal priority (or leave it out of data).", lead))
			return
		}
		data = bare
	}
	if msg := checkRecordData(typ, data); msg != "" {
		resp.Diagnostics.AddAttributeError(path.Root("data"), "Invalid record data", msg)
	}
}

// checkRecordData validates data for a record type ("" when valid).
func checkRecordData(typ, data string) string {
	d := strings.TrimSpace(data)
	switch typ {
	case "A":
		if ip := net.ParseIP(d); ip == nil || ip.To4() == nil {
			return fmt.Sprintf("A records need an IPv4 address, got %q.", data)
		}
	case "AAAA":
		if ip := net.ParseIP(d); ip == nil || ip.To4() != nil {
			return fmt.Sprintf("AAAA records need an IPv6 address, got %q.", data)
		}
	case "CNAME", "NS", "MX", "ALIAS":
		if !hostnameRe.MatchString(d) {
			return fmt.Sprintf("%s records need a host name such as target.example.com, got %q.", typ, data)
		}
	case "SRV":
		if !srvDataRe.MatchString(d) || !hostnameRe.MatchString(strings.Fields(d)[2]) {
			return fmt.Sprintf("SRV data is \"weight port target\" (the priority goes into priority), got %q.", data)
		}
	case "CAA":
		if !caaDataRe.MatchString(d) {
			return fmt.Sprintf("CAA data is 'flags tag \"value\"' with tag issue, issuewild or iodef, e.g. 0 issue \"digicert.com\"; got %q.", data)
		}
	}
	return ""
}

// withoutPriority drops the preference/priority an MX or SRV value may
// carry in front ("10 mail.example.com.", "10 5 5060 sip.example.com."):
// the API accepts and lists both forms, with the number equal to priority.
func withoutPriority(typ, data string) string {
	f := strings.Fields(data)
	want := map[string]int{"MX": 2, "SRV": 4}[typ]
	if want == 0 || len(f) != want {
		return strings.TrimSpace(data)
	}
	if _, err := strconv.Atoi(f[0]); err != nil {
		return strings.TrimSpace(data)
	}
	return strings.Join(f[1:], " ")
}

// normData is the form the API stores data in, for comparisons.
func normData(typ, data string) string {
	d := withoutPriority(typ, data)
	switch typ {
	case "CNAME", "NS", "MX", "ALIAS":
		return regfish.Fqdn(d)
	case "SRV":
		f := strings.Fields(d)
		if len(f) == 3 {
			return f[0] + " " + f[1] + " " + regfish.Fqdn(f[2])
		}
	case "A", "AAAA":
		if ip := net.ParseIP(d); ip != nil {
			return ip.String()
		}
	}
	return d
}

func (m *dnsRecordModel) request() regfish.RecordRequest {
	req := regfish.RecordRequest{
		Type: m.Type.ValueString(), Name: regfish.Fqdn(m.Name.ValueString()), Data: strings.TrimSpace(m.Data.ValueString()),
		TTL: int(m.TTL.ValueInt64()), Annotation: m.Annotation.ValueString(),
	}
	if !m.Priority.IsNull() && !m.Priority.IsUnknown() {
		p := int(m.Priority.ValueInt64())
		req.Priority = &p
	}
	return req
}

// apply copies an API record into the model, keeping the user's spelling
// where it means the same thing.
func (m *dnsRecordModel) apply(rec *regfish.Record) {
	m.ID = types.StringValue(strconv.FormatInt(int64(rec.ID), 10))
	// Without a prior value (import) names are written the way most
	// configurations spell them: lower case, no trailing dot.
	if m.Name.IsNull() || m.Name.IsUnknown() || regfish.Fqdn(m.Name.ValueString()) != rec.Name {
		m.Name = newFqdn(regfish.Hostname(rec.Name))
	}
	m.Type = types.StringValue(rec.Type)
	if m.Data.IsNull() || m.Data.IsUnknown() || normData(rec.Type, m.Data.ValueString()) != normData(rec.Type, rec.Data) {
		d := withoutPriority(rec.Type, rec.Data)
		if hostnameTypes[rec.Type] {
			d = regfish.Hostname(d)
		}
		m.Data = types.StringValue(d)
	}
	m.TTL = types.Int64Value(int64(rec.TTL))
	if rec.Priority != nil {
		m.Priority = types.Int64Value(int64(*rec.Priority))
	} else {
		m.Priority = types.Int64Null()
	}
	if rec.Annotation != "" {
		m.Annotation = types.StringValue(rec.Annotation)
	} else {
		m.Annotation = types.StringNull()
	}
	m.FQDN = types.StringValue(rec.Name)
}

func (r *dnsRecordResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer syncIdentity(ctx, &resp.State, nil, resp.Identity, &resp.Diagnostics)
	var m dnsRecordModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	zone, err := r.data.ZoneFor(ctx, m.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Unable to Create DNS Record",
			fmt.Sprintf("No DNS zone of the regfish account holds %s: %v", m.Name.ValueString(), err))
		return
	}
	in := m.request()
	rec, err := r.data.client.CreateRecord(ctx, in)
	if errors.Is(err, regfish.ErrMaybeProcessed) {
		// The answer was lost: the record may exist. Find it instead of
		// creating it twice.
		if found, ferr := findRecord(ctx, r.data.client, zone, in); ferr == nil && found != nil {
			rec, err = found, nil
		}
	}
	if errors.Is(err, regfish.ErrDuplicate) {
		detail := fmt.Sprintf("A %s record %s with this data exists already.", in.Type, in.Name)
		if found, _ := findRecord(ctx, r.data.client, zone, in); found != nil {
			detail += fmt.Sprintf(" Bring it under management with: terraform import <address> %d", found.ID)
		}
		resp.Diagnostics.AddError("Unable to Create DNS Record", detail)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create DNS Record", fmt.Sprintf("Creating %s %s: %v", in.Type, in.Name, err))
		return
	}
	m.apply(rec)
	m.Zone = types.StringValue(zone)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// findRecord looks for the record in its zone by name, type and data.
func findRecord(ctx context.Context, c *regfish.Client, zone string, in regfish.RecordRequest) (*regfish.Record, error) {
	recs, err := c.ListRecords(ctx, zone)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		r := &recs[i]
		if r.Name == regfish.Fqdn(in.Name) && strings.EqualFold(r.Type, in.Type) && normData(r.Type, r.Data) == normData(in.Type, in.Data) {
			return r, nil
		}
	}
	return nil, nil
}

func recordID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("record id %q is not a positive integer", s)
	}
	return id, nil
}

func (r *dnsRecordResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var m dnsRecordModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := recordID(m.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid DNS Record ID", err.Error())
		return
	}
	rec, err := r.data.client.GetRecord(ctx, id)
	if regfish.IsNotFound(err) {
		// A 404 from a wrong base_url must not drop the record from the
		// state: the zone listing fails there.
		if _, zerr := r.data.AccountZones(ctx); zerr != nil {
			resp.Diagnostics.AddError("Unable to Read DNS Record",
				fmt.Sprintf("Reading DNS record %d answered 404, but the account's zones could not be listed to confirm it (%v). The state is kept; check base_url and run the plan again.", id, zerr))
			return
		}
		resp.Diagnostics.AddWarning("DNS Record Not Found",
			fmt.Sprintf("DNS record %d no longer exists in regfish DNS; it is removed from the state and will be planned for creation.", id))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read DNS Record", fmt.Sprintf("Reading DNS record %d: %v", id, err))
		return
	}
	m.apply(rec)
	if m.Zone.IsNull() || m.Zone.IsUnknown() || m.Zone.ValueString() == "" {
		if zone, err := r.data.ZoneFor(ctx, rec.Name); err == nil {
			m.Zone = types.StringValue(zone)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *dnsRecordResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncIdentity(ctx, &resp.State, req.State, resp.Identity, &resp.Diagnostics)
	var plan, state dnsRecordModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := recordID(state.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid DNS Record ID", err.Error())
		return
	}
	zone, err := r.data.ZoneFor(ctx, plan.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Unable to Update DNS Record",
			fmt.Sprintf("No DNS zone of the regfish account holds %s: %v", plan.Name.ValueString(), err))
		return
	}
	if zone != state.Zone.ValueString() && state.Zone.ValueString() != "" {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Unable to Update DNS Record",
			fmt.Sprintf("Record %d lives in zone %s and cannot move to zone %s in place. Replace the resource instead.", id, state.Zone.ValueString(), zone))
		return
	}
	rec, err := r.data.client.UpdateRecord(ctx, id, plan.request())
	if err != nil {
		resp.Diagnostics.AddError("Unable to Update DNS Record", fmt.Sprintf("Updating DNS record %d: %v", id, err))
		return
	}
	plan.apply(rec)
	plan.Zone = types.StringValue(zone)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *dnsRecordResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m dnsRecordModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := recordID(m.ID.ValueString())
	if err != nil {
		return
	}
	if err := r.data.client.DeleteRecord(ctx, id); err != nil && !regfish.IsNotFound(err) {
		resp.Diagnostics.AddError("Unable to Delete DNS Record", fmt.Sprintf("Deleting DNS record %d: %v", id, err))
	}
}

func (r *dnsRecordResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	rawID := importID(ctx, req, &resp.Diagnostics)
	id, err := recordID(rawID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Import ID", "Import a DNS record by its numeric record id (rrid), e.g. 3236254: "+err.Error())
		return
	}
	if r.data != nil {
		rec, err := r.data.client.GetRecord(ctx, id)
		switch {
		case regfish.IsNotFound(err):
			resp.Diagnostics.AddError("DNS Record Not Found", fmt.Sprintf("regfish DNS has no record %d.", id))
			return
		case err != nil:
			resp.Diagnostics.AddError("Unable to Read DNS Record", fmt.Sprintf("Reading DNS record %d to import it: %v", id, err))
			return
		case rec.Auto:
			resp.Diagnostics.AddError("System-Managed DNS Record Cannot Be Imported",
				fmt.Sprintf("DNS record %d (%s %s) is managed by regfish itself (auto: true): the API refuses to change or delete it, "+
					"so Terraform could never apply a change to it or destroy it. Read it with the regfish_dns_zone data source instead.", id, rec.Type, rec.Name))
			return
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), rawID)...)
	setImportedIdentity(ctx, rawID, resp)
}
