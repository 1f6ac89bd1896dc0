package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The zone detail's soa, counts, delegation_nameservers and dnssec object
// in the regfish_dns_zone data source (CONTRACT.md §3, §3.1).

var (
	zoneSOAType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"primary_nameserver": types.StringType, "mailbox": types.StringType, "serial": types.Int64Type, "refresh": types.Int64Type,
		"retry": types.Int64Type, "expire": types.Int64Type, "minimum": types.Int64Type, "ttl": types.Int64Type,
	}}
	zoneCountsType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"records_total": types.Int64Type, "records_active": types.Int64Type, "records_auto": types.Int64Type,
		"records_manual": types.Int64Type, "by_type": types.MapType{ElemType: types.Int64Type},
	}}
	zoneNameserverType   = types.ObjectType{AttrTypes: map[string]attr.Type{"host": types.StringType}}
	zoneCapabilitiesType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"supported": types.BoolType, "provider": types.StringType, "mode_regfish_available": types.BoolType,
		"mode_external_available": types.BoolType, "accepted_record_kinds": types.ListType{ElemType: types.StringType},
		"min_records": types.Int64Type, "accepted_algorithms": types.ListType{ElemType: types.Int64Type},
	}}
	zoneDNSSECType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"configured": types.BoolType, "dnssec_state": types.StringType, "mode": types.StringType, "desired_state": types.StringType,
		"live_state": types.StringType, "capabilities": zoneCapabilitiesType, "desired_records": types.ListType{ElemType: dnssecRecordType},
		"live_records": types.ListType{ElemType: dnssecRecordType}, "legacy_mode": types.BoolType, "zone_signed": types.BoolType,
		"zone_pending_disable": types.BoolType,
	}}
)

func zoneDetailSchema() map[string]schema.Attribute {
	i64 := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
	}
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	boolean := func(desc string) schema.BoolAttribute {
		return schema.BoolAttribute{Computed: true, MarkdownDescription: desc}
	}
	dnssecRecords := func(desc string) schema.ListNestedAttribute {
		return schema.ListNestedAttribute{Computed: true, MarkdownDescription: desc, NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"kind": str("`ds` or `dnskey`."), "algorithm": i64("DNSSEC algorithm number."), "key_tag": i64("Key tag (DS)."),
			"digest_type": i64("Digest type (DS)."), "digest": str("Digest in hex (DS)."), "flags": i64("Flags (DNSKEY)."),
			"protocol": i64("Protocol (DNSKEY)."), "public_key": str("Public key in base64 (DNSKEY)."),
		}}}
	}
	return map[string]schema.Attribute{
		"soa": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The zone's start of authority (null when the API sends none).",
			Attributes: map[string]schema.Attribute{
				"primary_nameserver": str("Primary nameserver, as the API writes it."), "mailbox": str("Responsible mailbox, as the API writes it."),
				"serial": i64("Serial number."), "refresh": i64("Refresh interval in seconds."), "retry": i64("Retry interval in seconds."),
				"expire": i64("Expiry in seconds."), "minimum": i64("Minimum (negative caching) TTL in seconds."), "ttl": i64("TTL of the SOA record in seconds."),
			}},
		"counts": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "Record counts of the zone detail, the records regfish keeps " +
			"for the zone itself included (null when the API sends none).",
			Attributes: map[string]schema.Attribute{
				"records_total": i64("All records."), "records_active": i64("Active records."),
				"records_auto":   i64("Records regfish manages itself (such as the zone's NS set, which the listing does not show)."),
				"records_manual": i64("Records of the account's own."),
				"by_type":        schema.MapAttribute{Computed: true, ElementType: types.Int64Type, MarkdownDescription: "Records by type, e.g. `{ A = 2, NS = 2 }`."},
			}},
		"delegation_nameservers": schema.ListNestedAttribute{Computed: true,
			MarkdownDescription: "The delegation nameservers as the zone detail lists them (`host` as the API writes it); `nameservers` is the same list of host names, without trailing dot.",
			NestedObject:        schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{"host": str("Nameserver host name.")}}},
		"dnssec": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The zone's DNSSEC as regfish reports it (null when the API sends none). " +
			"`regfish_dns_zone_dnssec` manages it.",
			Attributes: map[string]schema.Attribute{
				"configured":    boolean("Whether DNSSEC is configured (a mode other than `none`)."),
				"dnssec_state":  str("DNSSEC state as regfish words it."),
				"mode":          str("`none`, `regfish` or `external`."),
				"desired_state": str("The state last asked for: `enabled` or `disabled`."),
				"live_state":    str("The state in effect; it equals `desired_state` once a change is done."),
				"capabilities": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "What the zone's DNSSEC can do.",
					Attributes: map[string]schema.Attribute{
						"supported": boolean("Whether DNSSEC is available for the zone."), "provider": str("Who signs, as regfish words it."),
						"mode_regfish_available":  boolean("Whether `mode = \"regfish\"` is available."),
						"mode_external_available": boolean("Whether `mode = \"external\"` is available."),
						"accepted_record_kinds":   schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Record kinds `external` takes."},
						"min_records":             i64("The least number of records `external` takes."),
						"accepted_algorithms":     schema.ListAttribute{Computed: true, ElementType: types.Int64Type, MarkdownDescription: "Algorithm numbers accepted (empty: not listed)."},
					}},
				"desired_records":      dnssecRecords("The records last asked for (mode `external`)."),
				"live_records":         dnssecRecords("The records in effect: with mode `regfish` the DS and DNSKEY of regfish's key, with `external` the zone's."),
				"legacy_mode":          boolean("Whether the zone uses regfish's legacy DNSSEC handling."),
				"zone_signed":          boolean("Whether the zone is signed."),
				"zone_pending_disable": boolean("Whether turning DNSSEC off is under way."),
			}},
	}
}

func zoneSOAValue(s *regfish.SOA) (types.Object, diag.Diagnostics) {
	if s == nil {
		return types.ObjectNull(zoneSOAType.AttrTypes), nil
	}
	return types.ObjectValue(zoneSOAType.AttrTypes, map[string]attr.Value{
		"primary_nameserver": types.StringValue(s.PrimaryNameserver), "mailbox": types.StringValue(s.Mailbox), "serial": types.Int64Value(s.Serial),
		"refresh": types.Int64Value(int64(s.Refresh)), "retry": types.Int64Value(int64(s.Retry)), "expire": types.Int64Value(int64(s.Expire)),
		"minimum": types.Int64Value(int64(s.Minimum)), "ttl": types.Int64Value(int64(s.TTL)),
	})
}

func zoneCountsValue(c *regfish.ZoneCounts) (types.Object, diag.Diagnostics) {
	if c == nil {
		return types.ObjectNull(zoneCountsType.AttrTypes), nil
	}
	var diags diag.Diagnostics
	byType := map[string]attr.Value{}
	for k, v := range c.ByType {
		byType[k] = types.Int64Value(int64(v))
	}
	m, d := types.MapValue(types.Int64Type, byType)
	diags.Append(d...)
	o, d := types.ObjectValue(zoneCountsType.AttrTypes, map[string]attr.Value{
		"records_total": types.Int64Value(int64(c.RecordsTotal)), "records_active": types.Int64Value(int64(c.RecordsActive)),
		"records_auto": types.Int64Value(int64(c.RecordsAuto)), "records_manual": types.Int64Value(int64(c.RecordsManual)), "by_type": m,
	})
	diags.Append(d...)
	return o, diags
}

func zoneNameserversValue(ns []regfish.Nameserver) (types.List, diag.Diagnostics) {
	elems := make([]attr.Value, 0, len(ns))
	var diags diag.Diagnostics
	for _, n := range ns {
		o, d := types.ObjectValue(zoneNameserverType.AttrTypes, map[string]attr.Value{"host": types.StringValue(n.Host)})
		diags.Append(d...)
		elems = append(elems, o)
	}
	l, d := types.ListValue(zoneNameserverType, elems)
	diags.Append(d...)
	return l, diags
}

func zoneDNSSECValue(ctx context.Context, z *regfish.ZoneDNSSEC) (types.Object, diag.Diagnostics) {
	if z == nil {
		return types.ObjectNull(zoneDNSSECType.AttrTypes), nil
	}
	var diags diag.Diagnostics
	caps := types.ObjectNull(zoneCapabilitiesType.AttrTypes)
	if c := z.Capabilities; c != nil {
		kinds, d := types.ListValueFrom(ctx, types.StringType, nonNil(c.AcceptedRecordKinds))
		diags.Append(d...)
		algs := make([]int64, 0, len(c.AcceptedAlgorithms))
		for _, a := range c.AcceptedAlgorithms {
			algs = append(algs, int64(a))
		}
		al, d := types.ListValueFrom(ctx, types.Int64Type, algs)
		diags.Append(d...)
		caps, d = types.ObjectValue(zoneCapabilitiesType.AttrTypes, map[string]attr.Value{
			"supported": types.BoolValue(c.Supported), "provider": strOrNull(c.Provider), "mode_regfish_available": types.BoolValue(c.ModeRegfishAvailable),
			"mode_external_available": types.BoolValue(c.ModeExternalAvailable), "accepted_record_kinds": kinds,
			"min_records": types.Int64Value(int64(c.MinRecords)), "accepted_algorithms": al,
		})
		diags.Append(d...)
	}
	desired, d := dnssecRecordsValue(z.DesiredRecords)
	diags.Append(d...)
	live, d := dnssecRecordsValue(z.LiveRecords)
	diags.Append(d...)
	o, d := types.ObjectValue(zoneDNSSECType.AttrTypes, map[string]attr.Value{
		"configured": types.BoolValue(z.Configured), "dnssec_state": strOrNull(z.DNSSECState), "mode": strOrNull(z.Mode),
		"desired_state": strOrNull(z.DesiredState), "live_state": strOrNull(z.LiveState), "capabilities": caps,
		"desired_records": desired, "live_records": live, "legacy_mode": types.BoolValue(z.LegacyMode),
		"zone_signed": types.BoolValue(z.ZoneSigned), "zone_pending_disable": types.BoolValue(z.ZonePendingDisable),
	})
	diags.Append(d...)
	return o, diags
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
