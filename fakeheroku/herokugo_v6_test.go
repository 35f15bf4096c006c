package fakeheroku

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	heroku5 "github.com/heroku/heroku-go/v5"
	heroku6 "github.com/heroku/heroku-go/v6"
)

// herokuGo6 is a heroku-go v6 client for the server with the given token.
func (e *env) herokuGo6(token string) *heroku6.Service {
	svc := heroku6.NewService(&http.Client{Transport: &heroku6.Transport{BearerToken: token}})
	svc.URL = e.URL
	return svc
}

// TestHerokuGoV6BesideV5 calls every endpoint the fake serves through heroku-go v6 and, for
// the same resource, through v5: both decode it without error and see the same thing. Changes
// made with v6 are read back with v5.
func TestHerokuGoV6BesideV5(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	v5, v6 := e.herokuGo(testToken), e.herokuGo6(testToken)
	pcx := e.requestPeering()
	ptr := func(s string) *string { return &s }
	yes := true
	type pair struct {
		name   string
		v5, v6 func() (string, error)
	}
	same := func(name string, f5, f6 func() (string, error)) pair { return pair{name, f5, f6} }
	steps := []pair{
		same("account", func() (string, error) {
			a, err := v5.AccountInfo(ctx)
			return deref(a, func(a *heroku5.Account) string { return a.Email }), err
		},
			func() (string, error) {
				a, err := v6.AccountInfo(ctx)
				return deref(a, func(a *heroku6.Account) string { return a.Email }), err
			}),
		same("regions", func() (string, error) {
			rs, err := v5.RegionList(ctx, nil)
			var out []string
			for _, r := range rs {
				out = append(out, r.Name+"/"+r.Provider.Region)
			}
			return strings.Join(out, " "), err
		}, func() (string, error) {
			rs, err := v6.RegionList(ctx, nil)
			var out []string
			for _, r := range rs {
				out = append(out, r.Name+"/"+r.Provider.Region)
			}
			return strings.Join(out, " "), err
		}),
		same("region tokyo", func() (string, error) {
			r, err := v5.RegionInfo(ctx, "tokyo")
			return deref(r, func(r *heroku5.Region) string { return r.ID }), err
		},
			func() (string, error) {
				r, err := v6.RegionInfo(ctx, "tokyo")
				return deref(r, func(r *heroku6.Region) string { return r.ID }), err
			}),
		same("spaces", func() (string, error) {
			ss, err := v5.SpaceList(ctx, nil)
			var out []string
			for _, s := range ss {
				out = append(out, s.Name+" "+s.State+" "+s.CIDR)
			}
			return strings.Join(out, ","), err
		}, func() (string, error) {
			ss, err := v6.SpaceList(ctx, nil)
			var out []string
			for _, s := range ss {
				out = append(out, s.Name+" "+s.State+" "+s.CIDR)
			}
			return strings.Join(out, ","), err
		}),
		same("space", func() (string, error) {
			s, err := v5.SpaceInfo(ctx, seedSpace)
			return deref(s, func(s *heroku5.Space) string {
				return s.ID + " " + s.Region.Name + " " + s.DataCIDR + " " + s.Team.Name
			}), err
		}, func() (string, error) {
			s, err := v6.SpaceInfo(ctx, seedSpace)
			return deref(s, func(s *heroku6.Space) string {
				return s.ID + " " + s.Region.Name + " " + s.DataCIDR + " " + s.Team.Name
			}), err
		}),
		same("team spaces", func() (string, error) {
			ss, err := v5.TeamSpaceList(ctx, seedTeam, nil)
			return fmt.Sprint(len(ss)), err
		},
			func() (string, error) {
				ss, err := v6.TeamSpaceList(ctx, seedTeam, nil)
				return fmt.Sprint(len(ss)), err
			}),
		same("team", func() (string, error) {
			tm, err := v5.TeamInfo(ctx, seedTeam)
			return deref(tm, func(t *heroku5.Team) string { return t.ID + " " + deref(t.Role, func(s *string) string { return *s }) }), err
		},
			func() (string, error) {
				tm, err := v6.TeamInfo(ctx, seedTeam)
				return deref(tm, func(t *heroku6.Team) string { return t.ID + " " + deref(t.Role, func(s *string) string { return *s }) }), err
			}),
		same("nat", func() (string, error) {
			n, err := v5.SpaceNATInfo(ctx, seedSpace)
			return deref(n, func(n *heroku5.SpaceNAT) string { return n.State + strings.Join(n.Sources, ",") }), err
		},
			func() (string, error) {
				n, err := v6.SpaceNATInfo(ctx, seedSpace)
				return deref(n, func(n *heroku6.SpaceNAT) string { return n.State + strings.Join(n.Sources, ",") }), err
			}),
		same("topology", func() (string, error) {
			tp, err := v5.SpaceTopologyTopology(ctx, seedSpace)
			return deref(tp, func(t *heroku5.SpaceTopology) string { return fmt.Sprint(len(t.Apps)) }), err
		},
			func() (string, error) {
				tp, err := v6.SpaceTopologyTopology(ctx, seedSpace)
				return deref(tp, func(t *heroku6.SpaceTopology) string { return fmt.Sprint(len(t.Apps)) }), err
			}),
		same("peering-info", func() (string, error) {
			p, err := v5.PeeringInfoInfo(ctx, seedSpace)
			return deref(p, func(p *heroku5.PeeringInfo) string { return p.VpcID + " " + p.AwsRegion }), err
		},
			func() (string, error) {
				p, err := v6.PeeringInfoInfo(ctx, seedSpace)
				return deref(p, func(p *heroku6.PeeringInfo) string { return p.VpcID + " " + p.AwsRegion }), err
			}),
		same("peerings", func() (string, error) {
			ps, err := v5.PeeringList(ctx, seedSpace, nil)
			var out []string
			for _, p := range ps {
				out = append(out, p.PcxID+" "+p.Type+" "+p.Status)
			}
			return strings.Join(out, ","), err
		}, func() (string, error) {
			ps, err := v6.PeeringList(ctx, seedSpace, nil)
			var out []string
			for _, p := range ps {
				out = append(out, p.PcxID+" "+p.Type+" "+p.Status)
			}
			return strings.Join(out, ","), err
		}),
		same("peering", func() (string, error) {
			p, err := v5.PeeringInfo(ctx, seedSpace, pcx)
			return deref(p, func(p *heroku5.Peering) string { return p.Status }), err
		},
			func() (string, error) {
				p, err := v6.PeeringInfo(ctx, seedSpace, pcx)
				return deref(p, func(p *heroku6.Peering) string { return p.Status }), err
			}),
		same("accept (v6), read (v5)", func() (string, error) {
			p, err := v5.PeeringInfo(ctx, seedSpace, pcx)
			return deref(p, func(p *heroku5.Peering) string { return p.Status }), err
		},
			func() (string, error) {
				if _, err := v6.PeeringAccept(ctx, seedSpace, pcx); err != nil {
					return "", err
				}
				p, err := v6.PeeringInfo(ctx, seedSpace, pcx)
				return deref(p, func(p *heroku6.Peering) string { return p.Status }), err
			}),
		same("inbound ruleset (v6 create)", func() (string, error) {
			rs, err := v5.InboundRulesetCurrent(ctx, seedSpace)
			return deref(rs, rules5), err
		},
			func() (string, error) {
				o := heroku6.InboundRulesetCreateOpts{}
				o.Rules = append(o.Rules, &struct {
					Action string `json:"action" url:"action,key"`
					Source string `json:"source" url:"source,key"`
				}{Action: "allow", Source: "203.0.113.0/24"})
				rs, err := v6.InboundRulesetCreate(ctx, seedSpace, o)
				return deref(rs, rules6), err
			}),
		same("inbound ruleset by id", func() (string, error) {
			cur, err := v5.InboundRulesetCurrent(ctx, seedSpace)
			if err != nil {
				return "", err
			}
			rs, err := v5.InboundRulesetInfo(ctx, seedSpace, cur.ID)
			return deref(rs, rules5), err
		}, func() (string, error) {
			cur, err := v6.InboundRulesetCurrent(ctx, seedSpace)
			if err != nil {
				return "", err
			}
			rs, err := v6.InboundRulesetInfo(ctx, seedSpace, cur.ID)
			return deref(rs, rules6), err
		}),
		same("inbound rulesets", func() (string, error) {
			rs, err := v5.InboundRulesetList(ctx, seedSpace, nil)
			return fmt.Sprint(len(rs)), err
		},
			func() (string, error) {
				rs, err := v6.InboundRulesetList(ctx, seedSpace, nil)
				return fmt.Sprint(len(rs)), err
			}),
		same("vpn create (v6), info (v5)", func() (string, error) {
			v, err := v5.VPNConnectionInfo(ctx, seedSpace, "office")
			return deref(v, func(v *heroku5.VPNConnection) string {
				return v.PublicIP + " " + strings.Join(v.RoutableCidrs, ",") + fmt.Sprint(len(v.Tunnels))
			}), err
		}, func() (string, error) {
			v, err := v6.VPNConnectionCreate(ctx, seedSpace, heroku6.VPNConnectionCreateOpts{Name: "office", PublicIP: "203.0.113.20", RoutableCidrs: []string{"192.168.0.0/16"}})
			return deref(v, func(v *heroku6.VPNConnection) string {
				return v.PublicIP + " " + strings.Join(v.RoutableCidrs, ",") + fmt.Sprint(len(v.Tunnels))
			}), err
		}),
		same("vpn update (v6), list (v5)", func() (string, error) {
			vs, err := v5.VPNConnectionList(ctx, seedSpace, nil)
			if len(vs) != 1 {
				return fmt.Sprint(len(vs)), err
			}
			return strings.Join(vs[0].RoutableCidrs, ","), err
		}, func() (string, error) {
			v, err := v6.VPNConnectionUpdate(ctx, seedSpace, "office", heroku6.VPNConnectionUpdateOpts{RoutableCidrs: []string{"192.168.0.0/16", "172.31.0.0/16"}})
			return deref(v, func(v *heroku6.VPNConnection) string { return strings.Join(v.RoutableCidrs, ",") }), err
		}),
		same("vpn list", func() (string, error) {
			vs, err := v5.VPNConnectionList(ctx, seedSpace, nil)
			return fmt.Sprint(len(vs)), err
		},
			func() (string, error) {
				vs, err := v6.VPNConnectionList(ctx, seedSpace, nil)
				return fmt.Sprint(len(vs)), err
			}),
		same("vpn destroy (v6)", func() (string, error) {
			vs, err := v5.VPNConnectionList(ctx, seedSpace, nil)
			return fmt.Sprint(len(vs)), err
		},
			func() (string, error) {
				if _, err := v6.VPNConnectionDestroy(ctx, seedSpace, "office"); err != nil {
					return "", err
				}
				vs, err := v6.VPNConnectionList(ctx, seedSpace, nil)
				return fmt.Sprint(len(vs)), err
			}),
		same("team app create (v6), info (v5)", func() (string, error) { a, err := v5.AppInfo(ctx, "six-app"); return deref(a, app5), err },
			func() (string, error) {
				a, err := v6.TeamAppCreate(ctx, heroku6.TeamAppCreateOpts{Name: ptr("six-app"), Space: ptr(seedSpace), InternalRouting: &yes})
				if err != nil {
					return "", err
				}
				b, err := v6.AppInfo(ctx, a.Name)
				return deref(b, app6), err
			}),
		same("apps", func() (string, error) { as, err := v5.AppList(ctx, nil); return fmt.Sprint(len(as)), err },
			func() (string, error) { as, err := v6.AppList(ctx, nil); return fmt.Sprint(len(as)), err }),
		same("team apps", func() (string, error) {
			as, err := v5.TeamAppListByTeam(ctx, seedTeam, nil)
			return fmt.Sprint(len(as)), err
		},
			func() (string, error) {
				as, err := v6.TeamAppListByTeam(ctx, seedTeam, nil)
				return fmt.Sprint(len(as)), err
			}),
		same("formation batch (v6), list (v5)", func() (string, error) { fs, err := v5.FormationList(ctx, "six-app", nil); return formations5(fs), err },
			func() (string, error) {
				var o heroku6.FormationBatchUpdateOpts
				two, one := 2, 1
				o.Updates = append(o.Updates, struct {
					DynoSize *struct {
						ID   *string `json:"id,omitempty" url:"id,omitempty,key"`
						Name *string `json:"name,omitempty" url:"name,omitempty,key"`
					} `json:"dyno_size,omitempty" url:"dyno_size,omitempty,key"`
					Quantity *int   `json:"quantity,omitempty" url:"quantity,omitempty,key"`
					Type     string `json:"type" url:"type,key"`
				}{Quantity: &two, Type: "web"}, struct {
					DynoSize *struct {
						ID   *string `json:"id,omitempty" url:"id,omitempty,key"`
						Name *string `json:"name,omitempty" url:"name,omitempty,key"`
					} `json:"dyno_size,omitempty" url:"dyno_size,omitempty,key"`
					Quantity *int   `json:"quantity,omitempty" url:"quantity,omitempty,key"`
					Type     string `json:"type" url:"type,key"`
				}{Quantity: &one, Type: "worker", DynoSize: &struct {
					ID   *string `json:"id,omitempty" url:"id,omitempty,key"`
					Name *string `json:"name,omitempty" url:"name,omitempty,key"`
				}{Name: ptr("Private-M")}})
				if _, err := v6.FormationBatchUpdate(ctx, "six-app", o); err != nil {
					return "", err
				}
				fs, err := v6.FormationList(ctx, "six-app", nil)
				return formations6(fs), err
			}),
		same("formation update (v6), info (v5)", func() (string, error) {
			f, err := v5.FormationInfo(ctx, "six-app", "web")
			return deref(f, func(f *heroku5.Formation) string { return fmt.Sprint(f.Quantity, f.Size) }), err
		}, func() (string, error) {
			three := 3
			f, err := v6.FormationUpdate(ctx, "six-app", "web", heroku6.FormationUpdateOpts{Quantity: &three})
			return deref(f, func(f *heroku6.Formation) string { return fmt.Sprint(f.Quantity, f.DynoSize.Name) }), err
		}),
		same("dynos", func() (string, error) {
			ds, err := v5.DynoList(ctx, "six-app", nil)
			var out []string
			for _, d := range ds {
				out = append(out, d.Name+" "+d.State+" "+d.Size)
			}
			return strings.Join(out, ","), err
		}, func() (string, error) {
			ds, err := v6.DynoList(ctx, "six-app", nil)
			var out []string
			for _, d := range ds {
				out = append(out, d.Name+" "+d.State+" "+d.Size)
			}
			return strings.Join(out, ","), err
		}),
		same("add-ons", func() (string, error) {
			as, err := v5.AddOnListByApp(ctx, "six-app", nil)
			return fmt.Sprint(len(as)), err
		},
			func() (string, error) {
				as, err := v6.AddOnListByApp(ctx, "six-app", nil)
				return fmt.Sprint(len(as)), err
			}),
		same("collaborators", func() (string, error) {
			cs, err := v5.CollaboratorList(ctx, "six-app", nil)
			return fmt.Sprint(len(cs)), err
		},
			func() (string, error) {
				cs, err := v6.CollaboratorList(ctx, "six-app", nil)
				return fmt.Sprint(len(cs)), err
			}),
		same("pipeline coupling (none: both get the 404)", func() (string, error) {
			_, err := v5.PipelineCouplingInfoByApp(ctx, "six-app")
			return errText(err), nil
		},
			func() (string, error) {
				_, err := v6.PipelineCouplingInfoByApp(ctx, "six-app")
				return errText(err), nil
			}),
		same("common runtime app create (v6 AppCreate), info (v5)", func() (string, error) { a, err := v5.AppInfo(ctx, "six-common"); return deref(a, app5), err },
			func() (string, error) {
				a, err := v6.AppCreate(ctx, heroku6.AppCreateOpts{Name: ptr("six-common"), Region: ptr("eu")})
				return deref(a, app6), err
			}),
		same("app destroy (v6)", func() (string, error) { _, err := v5.AppInfo(ctx, "six-app"); return fmt.Sprint(err != nil), nil },
			func() (string, error) { _, err := v6.AppDelete(ctx, "six-app"); return fmt.Sprint(err == nil), err }),
		same("peering destroy (v6)", func() (string, error) {
			p, err := v5.PeeringInfo(ctx, seedSpace, pcx)
			return fmt.Sprint(p == nil || p.Status != "active"), ignoreNotFound(err)
		},
			func() (string, error) { _, err := v6.PeeringDestroy(ctx, seedSpace, pcx); return "true", err }),
		same("space create (v6), info (v5)", func() (string, error) {
			s, err := v5.SpaceInfo(ctx, "six-space")
			return deref(s, func(s *heroku5.Space) string { return s.Region.Name + " " + s.CIDR }), err
		}, func() (string, error) {
			s, err := v6.SpaceCreate(ctx, heroku6.SpaceCreateOpts{Name: "six-space", Team: seedTeam, Region: ptr("oregon"), CIDR: ptr("10.2.0.0/16")})
			return deref(s, func(s *heroku6.Space) string { return s.Region.Name + " " + s.CIDR }), err
		}),
		same("space rename (v6)", func() (string, error) {
			s, err := v5.SpaceInfo(ctx, "seven-space")
			return deref(s, func(s *heroku5.Space) string { return s.Name }), err
		},
			func() (string, error) {
				s, err := v6.SpaceUpdate(ctx, "six-space", heroku6.SpaceUpdateOpts{Name: ptr("seven-space")})
				return deref(s, func(s *heroku6.Space) string { return s.Name }), err
			}),
		same("space delete (v6)", func() (string, error) { _, err := v5.SpaceInfo(ctx, "seven-space"); return fmt.Sprint(err != nil), nil },
			func() (string, error) {
				_, err := v6.SpaceDelete(ctx, "seven-space")
				return fmt.Sprint(err == nil), err
			}),
	}
	for _, st := range steps {
		// v6 first: the steps that change something do it with v6, and v5 reads the result.
		got6, err6 := st.v6()
		got5, err5 := st.v5()
		t.Logf("%s: %s", st.name, got6)
		if err6 != nil || err5 != nil || got5 != got6 {
			t.Errorf("%s: v6 %q (%v), v5 %q (%v)", st.name, got6, err6, got5, err5)
		}
	}
}

func deref[T any](p *T, f func(*T) string) string {
	if p == nil {
		return "<nil>"
	}
	return f(p)
}

func ignoreNotFound(err error) error {
	if err != nil && strings.Contains(err.Error(), "Couldn't find") {
		return nil
	}
	return err
}

func rules5(rs *heroku5.InboundRuleset) string {
	var out []string
	for _, r := range rs.Rules {
		out = append(out, r.Action+" "+r.Source)
	}
	return strings.Join(out, ",")
}

func rules6(rs *heroku6.InboundRuleset) string {
	var out []string
	for _, r := range rs.Rules {
		out = append(out, r.Action+" "+r.Source)
	}
	return strings.Join(out, ",")
}

func app5(a *heroku5.App) string {
	return fmt.Sprint(a.Name, " ", a.Space != nil && a.Space.Name == seedSpace, " ", a.InternalRouting != nil && *a.InternalRouting, " ", a.Region.Name)
}

func app6(a *heroku6.App) string {
	return fmt.Sprint(a.Name, " ", a.Space != nil && a.Space.Name == seedSpace, " ", a.InternalRouting != nil && *a.InternalRouting, " ", a.Region.Name)
}

func formations5(fs heroku5.FormationListResult) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprint(f.Type, "=", f.Quantity, ":", f.Size))
	}
	return strings.Join(out, " ")
}

func formations6(fs heroku6.FormationListResult) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprint(f.Type, "=", f.Quantity, ":", f.DynoSize.Name))
	}
	return strings.Join(out, " ")
}

// errText is an error's message, or "" for none.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
