package fakeheroku

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// vpnJSON is the vpn-connection resource, its keys in the order Heroku sends them. Both
// status messages are strings and never null: "" when there is nothing to say, which is what
// Heroku sends and what makes spaces:vpn:info print its Status Message row with an empty
// quoted value, as the recorded transcript shows (null would drop the row, and the schema
// types the field as a string only).
type vpnJSON struct {
	ID             string       `json:"id"`
	Name           string       `json:"name"`
	PublicIP       string       `json:"public_ip"`
	RoutableCIDRs  []string     `json:"routable_cidrs"`
	SpaceCIDRBlock string       `json:"space_cidr_block"`
	Tunnels        []tunnelJSON `json:"tunnels"`
	IKEVersion     int          `json:"ike_version"`
	Status         string       `json:"status"`
	StatusMessage  string       `json:"status_message"`
}

// tunnelJSON is one tunnel of a vpn-connection. last_status_change is always set (a tunnel
// starts DOWN at the connection's creation); the schema types it as a string only.
type tunnelJSON struct {
	LastStatusChange string `json:"last_status_change"`
	IP               string `json:"ip"`
	CustomerIP       string `json:"customer_ip"`
	PreSharedKey     string `json:"pre_shared_key"`
	Status           string `json:"status"`
	StatusMessage    string `json:"status_message"`
}

// vpnStatus is the model's status of a live connection, or failed when the data plane could
// not build its gateway (failed is in the schema's status enum).
func vpnStatus(tx *emulator.Tx, v *emulator.VPNConnection) string {
	if st := tx.DataplaneState(v.ID); st.State == emulator.DataplaneFailed {
		return emulator.VPNFailed
	}
	return v.Status(tx.Now())
}

// renderVPN renders a connection with the status given (the model's v.Status(now) for a live
// connection).
func renderVPN(sp *emulator.Space, v *emulator.VPNConnection, status string) vpnJSON {
	out := vpnJSON{ID: v.ID, Name: v.Name, PublicIP: v.PublicIP.String(), RoutableCIDRs: prefixes(v.RoutableCIDRs),
		SpaceCIDRBlock: sp.CIDR.String(), Tunnels: make([]tunnelJSON, 0, len(v.Tunnels)), IKEVersion: v.IKEVersion,
		Status: status, StatusMessage: v.StatusMessage}
	for _, t := range v.Tunnels {
		out.Tunnels = append(out.Tunnels, tunnelJSON{LastStatusChange: t.LastStatusChange.UTC().Format(time.RFC3339),
			IP: t.IP.String(), CustomerIP: t.CustomerIP.String(), PreSharedKey: t.PreSharedKey,
			Status: t.Status, StatusMessage: t.StatusMessage})
	}
	return out
}

// parseCIDRs parses routable_cidrs as sent. A string that is not a CIDR is refused here with
// Heroku's invalid_params; everything else about the blocks (RFC 1918, host bits, overlaps)
// is the model's to judge.
func parseCIDRs(cidrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			return nil, herr(http.StatusUnprocessableEntity, "invalid_params", "%q is not a valid IPv4 CIDR block.", c)
		}
		out = append(out, p)
	}
	return out, nil
}

// listVPNConnections serves GET /spaces/{space}/vpn-connections (spaces:vpn:connections),
// ranged by name (default, the model's order) or id.
func (s *Server) listVPNConnections(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		var items []vpnJSON
		for _, v := range tx.VPNConnections(sp.ID) {
			items = append(items, renderVPN(sp, v, vpnStatus(tx, v)))
		}
		return newPage(s, items, []string{"name", "id"},
			func(v vpnJSON) string { return v.Name }, func(v vpnJSON) string { return v.ID }), nil
	})
}

// getVPNConnection serves GET /spaces/{space}/vpn-connections/{vpn}, the vpn by name or id
// (spaces:vpn:info, spaces:vpn:config, spaces:vpn:wait).
func (s *Server) getVPNConnection(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		v, err := tx.VPNConnection(sp, r.PathValue("vpn"))
		if err != nil {
			return nil, err
		}
		return renderVPN(sp, v, vpnStatus(tx, v)), nil
	})
}

// createVPNConnection serves POST /spaces/{space}/vpn-connections {"name", "public_ip",
// "routable_cidrs"} (spaces:vpn:connect). It answers 201 with the new connection, pending.
func (s *Server) createVPNConnection(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name          *string   `json:"name"`
		PublicIP      *string   `json:"public_ip"`
		RoutableCIDRs *[]string `json:"routable_cidrs"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := required(map[string]bool{
		"name":           body.Name != nil && strings.TrimSpace(*body.Name) != "",
		"public_ip":      body.PublicIP != nil && strings.TrimSpace(*body.PublicIP) != "",
		"routable_cidrs": body.RoutableCIDRs != nil,
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(*body.PublicIP))
	if err != nil {
		s.fail(w, r, herr(http.StatusUnprocessableEntity, "invalid_params", "Public IP %q is not a valid IPv4 address.", *body.PublicIP))
		return
	}
	cidrs, err := parseCIDRs(*body.RoutableCIDRs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.update(w, r, http.StatusCreated, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		v, err := tx.CreateVPNConnection(sp, *body.Name, ip, cidrs)
		if err != nil {
			return nil, err
		}
		return renderVPN(sp, v, vpnStatus(tx, v)), nil
	})
}

// updateVPNConnection serves PATCH /spaces/{space}/vpn-connections/{vpn} {"routable_cidrs"}
// (spaces:vpn:update): the routable CIDRs are replaced as a whole. It answers 200 with the
// connection.
func (s *Server) updateVPNConnection(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RoutableCIDRs *[]string `json:"routable_cidrs"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := required(map[string]bool{"routable_cidrs": body.RoutableCIDRs != nil}); err != nil {
		s.fail(w, r, err)
		return
	}
	cidrs, err := parseCIDRs(*body.RoutableCIDRs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		v, err := tx.UpdateVPNConnection(sp, r.PathValue("vpn"), cidrs)
		if err != nil {
			return nil, err
		}
		return renderVPN(sp, v, vpnStatus(tx, v)), nil
	})
}

// destroyVPNConnection serves DELETE /spaces/{space}/vpn-connections/{vpn}
// (spaces:vpn:destroy). The model removes the connection, its gateway and routes at once; the
// answer is 202 with the connection as Heroku reports one being torn down, status
// deprovisioning (the schema's v6 targetSchema; the CLI takes any 2xx, heroku-go needs the
// JSON body).
func (s *Server) destroyVPNConnection(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, http.StatusAccepted, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		v, err := tx.DestroyVPNConnection(sp, r.PathValue("vpn"))
		if err != nil {
			return nil, err
		}
		return renderVPN(sp, v, emulator.VPNDeprovisioning), nil
	})
}
