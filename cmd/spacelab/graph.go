package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/lab"
)

// Graph is the running world as nodes (accounts, VPCs, subnets, instances, internet gateways,
// the space, its apps, dynos, routers and data services, offices) nested by Parent, and edges
// (peerings, VPN tunnels, attachments) with their states.
type Graph struct {
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
}

// GraphNode is one object of the world.
type GraphNode struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Label  string `json:"label"`
	Parent string `json:"parent,omitempty"`
	State  string `json:"state,omitempty"`
}

// GraphEdge joins two nodes: a peering, a tunnel, an attachment.
type GraphEdge struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Type    string `json:"type"`
	Label   string `json:"label"`
	State   string `json:"state,omitempty"`
	Message string `json:"message,omitempty"`
}

// graphOf reads the world into a graph.
func graphOf(l *lab.Lab) Graph {
	var g Graph
	node := func(n GraphNode) { g.Nodes = append(g.Nodes, n) }
	l.World.View(func(tx *emulator.Tx) error {
		now := tx.Now()
		accounts := map[string]bool{}
		for _, v := range tx.VPCs() {
			if !accounts[v.Account] {
				accounts[v.Account] = true
				label := "AWS account " + v.Account
				if v.Account == tx.HerokuAccountID() {
					label += " (Heroku)"
				}
				node(GraphNode{ID: "account:" + v.Account, Type: "account", Label: label})
			}
			label := v.ID + " " + v.CIDR.String()
			if n := v.Tags["Name"]; n != "" {
				label += " (" + n + ")"
			}
			node(GraphNode{ID: v.ID, Type: "vpc", Label: label, Parent: "account:" + v.Account, State: v.State})
			for _, s := range tx.SubnetsOf(v.ID) {
				node(GraphNode{ID: s.ID, Type: "subnet", Label: s.ID + " " + s.CIDR.String() + " " + s.AZ, Parent: v.ID})
			}
		}
		for _, i := range tx.Instances() {
			label := i.ID + " " + i.PrivateIP.String()
			if pub := tx.PublicIPOf(i); pub.IsValid() {
				label += " / " + pub.String()
			}
			node(GraphNode{ID: i.ID, Type: "instance", Label: label, Parent: i.SubnetID, State: i.State})
		}
		for _, igw := range tx.InternetGateways() {
			n := GraphNode{ID: igw.ID, Type: "internet-gateway", Label: igw.ID, Parent: "account:" + igw.Account, State: "detached"}
			if igw.VPCID != "" {
				n.State = "attached"
				g.Edges = append(g.Edges, GraphEdge{From: igw.ID, To: igw.VPCID, Type: "attachment", Label: "attached", State: "attached"})
			}
			node(n)
		}
		for _, vg := range tx.VpnGateways() {
			if vg.State == emulator.GatewayDeleted {
				continue
			}
			n := GraphNode{ID: vg.ID, Type: "vpn-gateway", Label: vg.ID, Parent: "account:" + vg.Account, State: "detached"}
			if vg.AttachedTo(vg.VPCID) {
				n.State = "attached"
				g.Edges = append(g.Edges, GraphEdge{From: vg.ID, To: vg.VPCID, Type: "attachment", Label: "attached", State: "attached"})
			}
			node(n)
			for _, v := range tx.VpnConnections() {
				if v.VpnGatewayID != vg.ID || v.State == emulator.VPNConnDeleted {
					continue
				}
				for i, t := range v.Tunnels {
					g.Edges = append(g.Edges, GraphEdge{From: vg.ID, To: "cgw:" + t.CustomerIP.String(), Type: "vpn-tunnel",
						Label: fmt.Sprintf("VPN %s tunnel %d %s", v.ID, i+1, t.IP), State: t.Status, Message: t.StatusMessage})
				}
			}
		}
		for _, sp := range tx.Spaces() {
			id := "space:" + sp.Name
			node(GraphNode{ID: id, Type: "space", Label: "space " + sp.Name + " " + sp.CIDR.String() + " (" + string(sp.Region.Name) + ")", State: sp.State})
			if sp.VPCID != "" {
				g.Edges = append(g.Edges, GraphEdge{From: id, To: sp.VPCID, Type: "runs-in", Label: "runs in"})
			}
			sr := spaceRouterNode(tx, sp)
			node(sr)
			for _, app := range tx.AppsIn(sp.ID) {
				aid := "app:" + app.Name
				label := "app " + app.Name
				if app.InternalRouting {
					label += " (internal routing)"
				} else {
					g.Edges = append(g.Edges, GraphEdge{From: sr.ID, To: aid, Type: "routes", Label: strings.ToLower(app.WebHost()), State: sr.State})
				}
				node(GraphNode{ID: aid, Type: "app", Label: label, Parent: id})
				for i, a := range app.RouterAddrs {
					node(GraphNode{ID: fmt.Sprintf("router:%s/%d", app.Name, i+1), Type: "router", Label: fmt.Sprintf("router.%d %s", i+1, a), Parent: aid,
						State: routerState(sp, tx.DataplaneState(app.ID))})
				}
				for _, d := range app.Dynos {
					node(GraphNode{ID: "dyno:" + app.Name + "/" + d.Name(), Type: "dyno", Label: d.Name() + " " + d.PrivateIP.String(), Parent: aid, State: d.State})
				}
			}
			for _, d := range tx.DataServices(sp.ID) {
				node(GraphNode{ID: "data:" + d.Name, Type: "data-service", Label: d.Kind + " " + d.Name + " " + d.Addr.String(), Parent: id})
			}
			for _, v := range tx.VPNConnections(sp.ID) {
				for i, t := range v.Tunnels {
					g.Edges = append(g.Edges, GraphEdge{From: id, To: "cgw:" + t.CustomerIP.String(), Type: "vpn-tunnel",
						Label: fmt.Sprintf("VPN %s tunnel %d %s", v.Name, i+1, t.IP), State: t.Status, Message: t.StatusMessage})
				}
				_ = v.Status(now)
			}
		}
		gateways := map[string]bool{}
		for _, o := range tx.Offices() {
			oid := "office:" + o.Name
			node(GraphNode{ID: oid, Type: "office", Label: "office " + o.Name + " " + o.LAN.String()})
			cg := "cgw:" + o.GatewayAddr.String()
			gateways[cg] = true
			node(GraphNode{ID: cg, Type: "customer-gateway", Label: o.GatewayName + " " + o.GatewayAddr.String(), Parent: oid})
			for _, h := range o.Hosts {
				node(GraphNode{ID: "office-host:" + o.Name + "/" + h.Name, Type: "office-host", Label: h.Name + " " + h.Addr.String(), Parent: oid})
			}
		}
		for _, e := range g.Edges {
			if strings.HasPrefix(e.To, "cgw:") && !gateways[e.To] {
				gateways[e.To] = true
				node(GraphNode{ID: e.To, Type: "customer-gateway", Label: "customer gateway " + strings.TrimPrefix(e.To, "cgw:")})
			}
		}
		for _, p := range tx.Peerings() {
			st := p.Status(now)
			g.Edges = append(g.Edges, GraphEdge{From: p.Requester.VPCID, To: p.Accepter.VPCID, Type: "peering",
				Label: p.ID, State: st, Message: p.StatusMessage(now)})
		}
		// Routes that point at peerings or gateways, with their states (blackhole shows here).
		for _, rt := range tx.RouteTables() {
			for _, r := range rt.Routes {
				if r.Target == "local" || r.Target == "" {
					continue
				}
				g.Edges = append(g.Edges, GraphEdge{From: rt.VPCID, To: r.Target, Type: "route",
					Label: rt.ID + " " + r.Dst.String(), State: tx.RouteState(rt, r)})
			}
		}
		return nil
	})
	// Edges only between nodes that exist (a route to a deleted peering names no node).
	have := map[string]bool{}
	for _, n := range g.Nodes {
		have[n.ID] = true
	}
	kept := g.Edges[:0]
	for _, e := range g.Edges {
		if e.Type == "route" {
			if !have[e.To] {
				continue // routes to peerings are drawn on the peering edge
			}
		}
		if have[e.From] && have[e.To] {
			kept = append(kept, e)
		}
	}
	g.Edges = kept
	return g
}

func graphCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Draw the running world: accounts, VPCs, subnets, instances, the space, apps, dynos, peerings, tunnels",
		Long: `Print the running emulator's world as a graph: accounts, VPCs, subnets, instances, internet
gateways, the space with its apps, dynos, routers and data services, offices, and the peerings
and VPN tunnels between them with their states (active, pending-acceptance, deleted, UP, DOWN
and why). --format mermaid (default), dot (spacelab graph --format dot | dot -Tsvg > world.svg)
or json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			resp, err := control(st).Get("http://spacelab/graph")
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			defer resp.Body.Close()
			var g Graph
			if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			switch format {
			case "json":
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(g)
			case "dot":
				g.writeDOT(os.Stdout)
			case "mermaid", "":
				g.writeMermaid(os.Stdout)
			default:
				return fmt.Errorf("unknown --format %q (mermaid, dot or json)", format)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "mermaid, dot or json")
	return cmd
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9_]`)

func gid(id string) string { return "n_" + unsafeID.ReplaceAllString(id, "_") }

// children groups nodes by parent, in a stable order.
func (g Graph) children() map[string][]GraphNode {
	out := map[string][]GraphNode{}
	for _, n := range g.Nodes {
		out[n.Parent] = append(out[n.Parent], n)
	}
	for _, ns := range out {
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].Type < ns[j].Type })
	}
	return out
}

func edgeLabel(e GraphEdge) string {
	l := e.Label
	if e.State != "" {
		l += " " + e.State
	}
	if e.Message != "" && e.State != "active" && e.State != "UP" {
		l += ": " + e.Message
	}
	return l
}

func nodeLabel(n GraphNode) string {
	l := n.Label
	if n.State != "" && n.State != "available" && n.State != "running" && n.State != "up" && n.State != "allocated" {
		l += " [" + n.State + "]"
	}
	return l
}

func (g Graph) writeMermaid(w io.Writer) {
	kids := g.children()
	q := func(s string) string { return strings.ReplaceAll(s, `"`, "'") }
	fmt.Fprintln(w, "flowchart LR")
	var walk func(parent, indent string)
	walk = func(parent, indent string) {
		for _, n := range kids[parent] {
			if len(kids[n.ID]) > 0 {
				fmt.Fprintf(w, "%ssubgraph %s[\"%s\"]\n", indent, gid(n.ID), q(nodeLabel(n)))
				walk(n.ID, indent+"  ")
				fmt.Fprintf(w, "%send\n", indent)
			} else {
				fmt.Fprintf(w, "%s%s[\"%s\"]\n", indent, gid(n.ID), q(nodeLabel(n)))
			}
		}
	}
	walk("", "  ")
	for _, e := range g.Edges {
		arrow := "---"
		if e.State != "" && e.State != "active" && e.State != "UP" && e.State != "attached" {
			arrow = "-.-"
		}
		fmt.Fprintf(w, "  %s %s|\"%s\"| %s\n", gid(e.From), arrow, q(edgeLabel(e)), gid(e.To))
	}
}

func (g Graph) writeDOT(w io.Writer) {
	kids := g.children()
	q := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	fmt.Fprintln(w, "digraph spacelab {")
	fmt.Fprintln(w, "  rankdir=LR; compound=true; node [shape=box, fontname=\"Helvetica\"]; edge [fontname=\"Helvetica\", dir=none];")
	// A node with children is a cluster; edges to it go to a point inside it.
	var walk func(parent, indent string)
	walk = func(parent, indent string) {
		for _, n := range kids[parent] {
			if len(kids[n.ID]) > 0 {
				fmt.Fprintf(w, "%ssubgraph cluster_%s {\n%s  label=%s;\n", indent, gid(n.ID), indent, q(nodeLabel(n)))
				fmt.Fprintf(w, "%s  %s [shape=point, style=invis];\n", indent, gid(n.ID))
				walk(n.ID, indent+"  ")
				fmt.Fprintf(w, "%s}\n", indent)
			} else {
				fmt.Fprintf(w, "%s%s [label=%s];\n", indent, gid(n.ID), q(nodeLabel(n)))
			}
		}
	}
	walk("", "  ")
	for _, e := range g.Edges {
		style := "solid"
		if e.State != "" && e.State != "active" && e.State != "UP" && e.State != "attached" {
			style = "dashed"
		}
		attrs := fmt.Sprintf("label=%s, style=%s", q(edgeLabel(e)), style)
		if len(kids[e.From]) > 0 {
			attrs += ", ltail=cluster_" + gid(e.From)
		}
		if len(kids[e.To]) > 0 {
			attrs += ", lhead=cluster_" + gid(e.To)
		}
		fmt.Fprintf(w, "  %s -> %s [%s];\n", gid(e.From), gid(e.To), attrs)
	}
	fmt.Fprintln(w, "}")
}

// spaceRouterNode is the space's public router: its public and private addresses, how many
// trusted IP ranges it enforces, and its state (routerState).
func spaceRouterNode(tx *emulator.Tx, sp *emulator.Space) GraphNode {
	label := "space router"
	if sp.RouterAddr.IsValid() {
		label += " " + sp.RouterAddr.String()
	}
	if sp.RouterPrivateAddr.IsValid() {
		label += " / " + sp.RouterPrivateAddr.String()
	}
	if rs := sp.InboundRuleset(); rs != nil {
		label += fmt.Sprintf(" (%d trusted IP ranges)", len(rs.Rules))
	}
	ids := []string{sp.ID}
	if rs := sp.InboundRuleset(); rs != nil {
		ids = append(ids, rs.ID)
	}
	return GraphNode{ID: "space-router:" + sp.Name, Type: "space-router", Label: label, Parent: "space:" + sp.Name,
		State: routerState(sp, tx.DataplaneState(ids...))}
}

// routerState is a router's state: not provisioned until its space is allocated, then what
// the data plane says of it (serving, pending while it catches up with the model, failed: why).
func routerState(sp *emulator.Space, dp emulator.DataplaneState) string {
	switch {
	case sp.State != emulator.SpaceAllocated || !sp.RouterAddr.IsValid():
		return "not provisioned"
	case dp.State == emulator.DataplaneFailed:
		return "failed: " + dp.Reason
	case dp.State == emulator.DataplanePending:
		return "pending"
	}
	return "serving"
}
