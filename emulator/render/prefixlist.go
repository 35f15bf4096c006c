package render

import (
	"fmt"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// prefixListMetric is the metric of a route rendered from a prefix list entry: above a route
// table's own CIDR routes (metric 0), which win an exact tie as in EC2, below the catch-all.
// The n-th prefix list route of a table gets prefixListMetric+n, so two lists holding the same
// CIDR never collide and the earlier route wins.
const prefixListMetric = 100

// tableRoutes renders one route of a route table: one kernel route, or for a route to a prefix
// list one per current entry outside the VPC's own CIDR (the local route covers those).
func (r *renderer) tableRoutes(v *emulator.VPC, rt *emulator.RouteTable, route *emulator.Route, table int) []netspec.Route {
	if route.PrefixListID == "" {
		return []netspec.Route{r.kernelRoute(v, rt, route, table)}
	}
	pl := r.tx.PrefixList(route.PrefixListID)
	if pl == nil {
		return nil
	}
	n := 0
	for _, o := range rt.Routes {
		if o == route {
			break
		}
		if o.PrefixListID != "" {
			n++
		}
	}
	var out []netspec.Route
	for _, e := range pl.Entries {
		if v.OverlapsIPv4(e.CIDR) {
			continue
		}
		one := *route
		one.Dst, one.PrefixListID = e.CIDR, ""
		kr := r.kernelRoute(v, rt, &one, table)
		kr.Metric = prefixListMetric + n
		kr.Why += fmt.Sprintf(" (entry %s of prefix list %s)", e.CIDR, pl.ID)
		out = append(out, kr)
	}
	return out
}

// routeDst is a route's destination as EC2 names it: a CIDR or a prefix list id.
func routeDst(r *emulator.Route) string {
	if r.PrefixListID != "" {
		return r.PrefixListID
	}
	return r.Dst.String()
}

// prefixListRule turns a security group rule whose peer is a prefix list into one rule over a
// set of the list's current entries; an empty list allows nothing.
func (r *renderer) prefixListRule(fr netspec.FilterRule, plID string, egress bool) []netspec.FilterRule {
	pl := r.tx.PrefixList(plID)
	if pl == nil || len(pl.Entries) == 0 {
		return nil
	}
	fr.Why += " (prefix list " + pl.ID + ")"
	if egress {
		fr.DstIn = exactCover(pl.Prefixes())
	} else {
		fr.SrcIn = exactCover(pl.Prefixes())
	}
	return []netspec.FilterRule{fr}
}
