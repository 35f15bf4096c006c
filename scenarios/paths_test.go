package scenarios

import "testing"

func TestLookup(t *testing.T) {
	j, _ := decodeJSON([]byte(`[{"pcx_id":"pcx-1","status":"active","cidr_blocks":["10.1.0.0/16"]},{"pcx_id":"pcx-2","status":"pending-acceptance"}]`))
	x, _ := decodeXML([]byte(`<R><routeTableSet><item><routeTableId>rtb-1</routeTableId><routeSet><item><destinationCidrBlock>172.16.0.0/16</destinationCidrBlock><state>active</state></item><item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><state>blackhole</state></item></routeSet></item></routeTableSet><one><item><v>x</v></item></one></R>`))
	tests := []struct {
		name string
		doc  any
		path string
		want string
		err  bool
	}{
		{"json select", j, "[pcx_id=pcx-2].status", "pending-acceptance", false},
		{"json index", j, "[0].pcx_id", "pcx-1", false},
		{"json list value", j, "[0].cidr_blocks", "10.1.0.0/16", false},
		{"xml nested select", x, "routeTableSet[0].routeSet[destinationCidrBlock=10.0.0.0/16].state", "blackhole", false},
		{"xml one-item list", x, "one[0].v", "x", false},
		{"missing key", j, "[0].nope", "", true},
		{"no match", j, "[pcx_id=pcx-9].status", "", true},
		{"out of range", x, "routeTableSet[3].routeTableId", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := lookup(tc.doc, tc.path)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if err == nil && scalar(v) != tc.want {
				t.Fatalf("got %q, want %q", scalar(v), tc.want)
			}
		})
	}
	for _, m := range []struct {
		got, want string
		ok        bool
	}{{"1.1 spaces-router (abc)", "1.1 spaces-router (*)", true}, {"x", "y", false}, {"2026-11-30T00:00:00Z", "20*Z", true}} {
		if matches(m.got, m.want) != m.ok {
			t.Errorf("matches(%q, %q) != %v", m.got, m.want, m.ok)
		}
	}
}
