package fakeaws

import (
	"net/netip"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeRouteTables", describeRouteTables)
	register("CreateRoute", createRoute)
	register("ReplaceRoute", replaceRoute)
	register("DeleteRoute", deleteRoute)
}

// routeTableXML is EC2's RouteTable shape.
type routeTableXML struct {
	RouteTableID      string                   `xml:"routeTableId"`
	VpcID             string                   `xml:"vpcId"`
	OwnerID           string                   `xml:"ownerId"`
	RouteSet          items[routeXML]          `xml:"routeSet"`
	AssociationSet    items[associationXML]    `xml:"associationSet"`
	PropagatingVgwSet items[propagatingVgwXML] `xml:"propagatingVgwSet"`
	TagSet            items[tagXML]            `xml:"tagSet"`
}

type routeXML struct {
	DestinationCidrBlock     string `xml:"destinationCidrBlock,omitempty"`
	DestinationIpv6CidrBlock string `xml:"destinationIpv6CidrBlock,omitempty"`
	DestinationPrefixListID  string `xml:"destinationPrefixListId,omitempty"`
	GatewayID                string `xml:"gatewayId,omitempty"`
	NatGatewayID             string `xml:"natGatewayId,omitempty"`
	VpcPeeringConnectionID   string `xml:"vpcPeeringConnectionId,omitempty"`
	InstanceID               string `xml:"instanceId,omitempty"`
	InstanceOwnerID          string `xml:"instanceOwnerId,omitempty"`
	NetworkInterfaceID       string `xml:"networkInterfaceId,omitempty"`
	State                    string `xml:"state"`
	Origin                   string `xml:"origin"`
}

type propagatingVgwXML struct {
	GatewayID string `xml:"gatewayId"`
}

type associationXML struct {
	RouteTableAssociationID string   `xml:"routeTableAssociationId"`
	RouteTableID            string   `xml:"routeTableId"`
	Main                    bool     `xml:"main"`
	SubnetID                string   `xml:"subnetId,omitempty"`
	GatewayID               string   `xml:"gatewayId,omitempty"`
	AssociationState        stateXML `xml:"associationState"`
}

func renderRoute(tx *emulator.Tx, rt *emulator.RouteTable, r *emulator.Route) routeXML {
	x := routeXML{State: tx.RouteState(rt, r), Origin: r.Origin}
	if r.PrefixListID != "" {
		x.DestinationPrefixListID = r.PrefixListID
	} else if emulator.IsIPv6(r.Dst) {
		x.DestinationIpv6CidrBlock = r.Dst.String()
	} else {
		x.DestinationCidrBlock = r.Dst.String()
	}
	switch r.Kind {
	case emulator.TargetPeering:
		x.VpcPeeringConnectionID = r.Target
	case emulator.TargetNAT:
		x.NatGatewayID = r.Target
	case emulator.TargetInstance, emulator.TargetENI:
		// EC2 names both the interface and the instance it is attached to.
		if r.Kind == emulator.TargetInstance {
			x.InstanceID, x.InstanceOwnerID = r.Target, rt.Account
			if i := tx.Instance(r.Target); i != nil {
				x.NetworkInterfaceID = i.ENIID
			}
		} else {
			x.NetworkInterfaceID = r.Target
			if n := tx.NetworkInterface(r.Target); n != nil && n.Attachment != nil {
				x.InstanceID, x.InstanceOwnerID = n.Attachment.InstanceID, n.Account
			}
		}
	default:
		x.GatewayID = r.Target
	}
	return x
}

func renderRouteTable(tx *emulator.Tx, rt *emulator.RouteTable) routeTableXML {
	x := routeTableXML{RouteTableID: rt.ID, VpcID: rt.VPCID, OwnerID: rt.Account, TagSet: tagSet(rt.Tags)}
	x.RouteSet.Items = []routeXML{}
	for _, r := range append(append(append(tx.LocalRoutes(rt), tx.LocalIPv6Routes(rt)...), rt.Routes...), tx.PropagatedRoutes(rt)...) {
		x.RouteSet.Items = append(x.RouteSet.Items, renderRoute(tx, rt, r))
	}
	x.PropagatingVgwSet.Items = []propagatingVgwXML{}
	for _, id := range rt.PropagatingVGWs {
		x.PropagatingVgwSet.Items = append(x.PropagatingVgwSet.Items, propagatingVgwXML{GatewayID: id})
	}
	if rt.Main {
		x.AssociationSet.Items = append(x.AssociationSet.Items, associationXML{RouteTableAssociationID: rt.MainAssociationID,
			RouteTableID: rt.ID, Main: true, AssociationState: stateXML{"associated"}})
	}
	for _, a := range rt.Associations {
		x.AssociationSet.Items = append(x.AssociationSet.Items, associationXML{RouteTableAssociationID: a.ID,
			RouteTableID: rt.ID, SubnetID: a.SubnetID, AssociationState: stateXML{"associated"}})
	}
	return x
}

// routeTableFields read filter values off the rendered table.
var routeTableFields = fields[routeTableXML]{
	"route-table-id": func(x routeTableXML) []string { return one(x.RouteTableID) },
	"vpc-id":         func(x routeTableXML) []string { return one(x.VpcID) },
	"owner-id":       func(x routeTableXML) []string { return one(x.OwnerID) },
	"association.main": func(x routeTableXML) []string {
		return assocValues(x, func(a associationXML) string { return boolStr(a.Main) })
	},
	"association.subnet-id": func(x routeTableXML) []string {
		return assocValues(x, func(a associationXML) string { return a.SubnetID })
	},
	"association.gateway-id": func(x routeTableXML) []string {
		return assocValues(x, func(a associationXML) string { return a.GatewayID })
	},
	"association.route-table-association-id": func(x routeTableXML) []string {
		return assocValues(x, func(a associationXML) string { return a.RouteTableAssociationID })
	},
	"association.route-table-id": func(x routeTableXML) []string {
		return assocValues(x, func(a associationXML) string { return a.RouteTableID })
	},
	"association.association-state": func(x routeTableXML) []string {
		return assocValues(x, func(a associationXML) string { return a.AssociationState.State })
	},
	"route.destination-cidr-block": func(x routeTableXML) []string {
		return routeValues(x, func(r routeXML) string { return r.DestinationCidrBlock })
	},
	"route.destination-ipv6-cidr-block": func(x routeTableXML) []string {
		return routeValues(x, func(r routeXML) string { return r.DestinationIpv6CidrBlock })
	},
	"route.destination-prefix-list-id": func(x routeTableXML) []string {
		return routeValues(x, func(r routeXML) string { return r.DestinationPrefixListID })
	},
	"route.gateway-id": func(x routeTableXML) []string {
		return routeValues(x, func(r routeXML) string { return r.GatewayID })
	},
	"route.nat-gateway-id": func(x routeTableXML) []string {
		return routeValues(x, func(r routeXML) string { return r.NatGatewayID })
	},
	"route.instance-id": func(x routeTableXML) []string {
		return routeValues(x, func(r routeXML) string { return r.InstanceID })
	},
	"route.network-interface-id": func(x routeTableXML) []string {
		return routeValues(x, func(r routeXML) string { return r.NetworkInterfaceID })
	},
	"route.vpc-peering-connection-id": func(x routeTableXML) []string {
		return routeValues(x, func(r routeXML) string { return r.VpcPeeringConnectionID })
	},
	"route.state":  func(x routeTableXML) []string { return routeValues(x, func(r routeXML) string { return r.State }) },
	"route.origin": func(x routeTableXML) []string { return routeValues(x, func(r routeXML) string { return r.Origin }) },
}

func assocValues(x routeTableXML, f func(associationXML) string) []string {
	var out []string
	for _, a := range x.AssociationSet.Items {
		if v := f(a); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func routeValues(x routeTableXML, f func(routeXML) string) []string {
	var out []string
	for _, r := range x.RouteSet.Items {
		if v := f(r); v != "" {
			out = append(out, v)
		}
	}
	return out
}

type describeRouteTablesResponse struct {
	RouteTableSet items[routeTableXML] `xml:"routeTableSet"`
	NextToken     string               `xml:"nextToken,omitempty"`
}

func describeRouteTables(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("RouteTableId")
	resp := &describeRouteTablesResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []routeTableXML
		tagsOf := map[string]emulator.Tags{}
		for _, rt := range tx.RouteTables() {
			if rt.Account == r.Caller.Account && rt.Region == r.Caller.Region {
				all = append(all, renderRouteTable(tx, rt))
				tagsOf[rt.ID] = rt.Tags
			}
		}
		sel := selection[routeTableXML]{id: func(x routeTableXML) string { return x.RouteTableID },
			notFound: idsNotFound("InvalidRouteTableID.NotFound", "routeTable"),
			fields:   routeTableFields, tags: func(x routeTableXML) emulator.Tags { return tagsOf[x.RouteTableID] }, maxPage: 100}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.RouteTableSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// routeArgs reads the table, destination and target of CreateRoute / ReplaceRoute /
// DeleteRoute. Targets spacelab does not model are refused with UnsupportedOperation rather
// than silently dropped.
func routeArgs(p params, needTarget bool) (string, netip.Prefix, emulator.RouteTarget, error) {
	var t emulator.RouteTarget
	rtb, err := p.required("RouteTableId")
	if err != nil {
		return "", netip.Prefix{}, t, err
	}
	raw, raw6 := p.get("DestinationCidrBlock"), p.get("DestinationIpv6CidrBlock")
	var dst netip.Prefix
	switch {
	case raw != "" && raw6 != "":
		return "", netip.Prefix{}, t, emulator.AWSErr("InvalidParameterCombination", "The parameter destinationCidrBlock cannot be used with the parameter destinationIpv6CidrBlock")
	case raw6 != "":
		// An IPv6 route is stored and described; the IPv4 data plane carries no packet over it.
		if dst, err = netip.ParsePrefix(raw6); err != nil || !emulator.IsIPv6(dst) || dst.Masked() != dst {
			return "", netip.Prefix{}, t, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", raw6)
		}
	case raw != "":
		if dst, err = netip.ParsePrefix(raw); err != nil || !dst.Addr().Is4() {
			return "", netip.Prefix{}, t, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", raw)
		}
	default:
		return "", netip.Prefix{}, t, emulator.AWSErr("MissingParameter", "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock or destinationPrefixListId")
	}
	if !needTarget {
		return rtb, dst, t, nil
	}
	t, err = routeTarget(p)
	return rtb, dst, t, err
}

// routeTarget reads the target of CreateRoute / ReplaceRoute.
func routeTarget(p params) (emulator.RouteTarget, error) {
	var t emulator.RouteTarget
	for _, name := range []string{"TransitGatewayId",
		"EgressOnlyInternetGatewayId", "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn", "VpcEndpointId"} {
		if p.get(name) != "" {
			return t, emulator.AWSErr("UnsupportedOperation", "spacelab does not model routes with %s targets; use gatewayId, natGatewayId, instanceId, networkInterfaceId or vpcPeeringConnectionId", lowerFirst(name))
		}
	}
	t.PeeringID = p.get("VpcPeeringConnectionId")
	t.GatewayID = p.get("GatewayId")
	t.NatGatewayID = p.get("NatGatewayId")
	t.InstanceID = p.get("InstanceId")
	t.NetworkInterfaceID = p.get("NetworkInterfaceId")
	return t, nil
}

func createRoute(s *Server, r *request) (response, error) {
	if r.Params.get("DestinationPrefixListId") != "" {
		return prefixListRoute(s, r, routeCreate)
	}
	rtb, dst, t, err := routeArgs(r.Params, true)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.CreateRoute(r.Caller, rtb, dst, t) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func replaceRoute(s *Server, r *request) (response, error) {
	if r.Params.get("DestinationPrefixListId") != "" {
		return prefixListRoute(s, r, routeReplace)
	}
	rtb, dst, t, err := routeArgs(r.Params, true)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.ReplaceRoute(r.Caller, rtb, dst, t) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func deleteRoute(s *Server, r *request) (response, error) {
	if r.Params.get("DestinationPrefixListId") != "" {
		return prefixListRoute(s, r, routeDelete)
	}
	rtb, dst, _, err := routeArgs(r.Params, false)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteRoute(r.Caller, rtb, dst) }); err != nil {
		return nil, err
	}
	return ok(), nil
}
