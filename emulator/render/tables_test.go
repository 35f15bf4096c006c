package render

import (
	"net/netip"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
)

// TestRouteTableNumbersStayDistinct: a route table created later whose id sorts before the
// VPC's existing tables gets a kernel table number of its own, not one an existing table keeps.
func TestRouteTableNumbersStayDistinct(t *testing.T) {
	c := emulator.Caller{Account: "111122223333", Region: "us-east-1"}
	w := emulator.NewWorld(emulator.Options{Seed: 3})
	var vpc string
	if err := w.Update(func(tx *emulator.Tx) error {
		v, err := tx.CreateVPC(c, netip.MustParsePrefix("10.40.0.0/16"), emulator.VPCOptions{})
		vpc = v.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	book := newAddrBook()
	w.View(func(tx *emulator.Tx) error { render(tx, book, nil); return nil })
	for n := 0; n < 6; n++ {
		if err := w.Update(func(tx *emulator.Tx) error { _, err := tx.CreateRouteTable(c, vpc, nil); return err }); err != nil {
			t.Fatal(err)
		}
		w.View(func(tx *emulator.Tx) error {
			render(tx, book, nil)
			seen := map[int]string{}
			for _, rt := range tx.RouteTables() {
				if rt.VPCID != vpc {
					continue
				}
				num := book.tables[rt.ID]
				if other, dup := seen[num]; dup {
					t.Fatalf("%s and %s share kernel table %d", rt.ID, other, num)
				}
				seen[num] = rt.ID
			}
			return nil
		})
	}
}
