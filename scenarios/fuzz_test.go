package scenarios

import (
	"testing"
)

// FuzzScenario feeds arbitrary documents to the scenario parser: it never panics, and a
// scenario it accepts has steps that each do exactly one thing.
func FuzzScenario(f *testing.F) {
	for _, name := range Shipped() {
		if b, err := shipped.ReadFile(name + ".yaml"); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{"steps: [{heroku: spaces}]", "steps: [{http: {from: a}, dns: {from: b}}]", "topology: x\nsteps: []", "{", "steps: [{}]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if len(doc) > 8<<10 {
			return
		}
		s, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		for i, st := range s.Steps {
			n := 0
			for _, set := range []bool{st.Heroku != "", st.AWS != nil, st.Exec != nil, st.HTTP != nil, st.DNS != nil, st.TCP != nil, st.ICMP != nil, st.Clock != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("step %d of an accepted scenario does %d things", i, n)
			}
		}
	})
}

// FuzzResponsePath: the path lookups scenario expectations make into API answers (JSON and
// XML) never panic on any document or path.
func FuzzResponsePath(f *testing.F) {
	f.Add(`{"a":[{"b":1}]}`, "a.0.b")
	f.Add(`<R><vpcSet><item><vpcId>vpc-1</vpcId></item></vpcSet></R>`, "vpcSet.item.vpcId")
	f.Add(`[[[]]]`, "0.0.0.0")
	f.Fuzz(func(t *testing.T, doc, path string) {
		for _, dec := range []func([]byte) (any, error){decodeJSON, decodeXML} {
			v, err := dec([]byte(doc))
			if err != nil {
				continue
			}
			if got, err := lookup(v, path); err == nil {
				_ = scalar(got)
			}
		}
	})
}
