package emulator

import (
	"fmt"
	"strings"
)

const hexDigits = "0123456789abcdef"

// NewID returns a fresh AWS-style id such as vpc-0cb1a66017eed9372 (prefix, dash, 17 hex
// digits), unique within the world. It costs a lookup per object map, not a pass over the
// world (World.newIDTaken).
func (tx *Tx) NewID(prefix string) string {
	for {
		id := prefix + "-" + tx.w.hex(17)
		if !tx.w.newIDTaken(prefix, id) {
			tx.tookID(id)
			return id
		}
	}
}

// NewUUID returns a random RFC 4122 version-4 UUID string, as Heroku uses for ids.
func (tx *Tx) NewUUID() string { return tx.w.uuid() }

// NewHex returns n random lower-case hex digits.
func (tx *Tx) NewHex(n int) string { return tx.w.hex(n) }

func (w *World) hex(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(hexDigits[w.rng.IntN(16)])
	}
	return b.String()
}

func (w *World) digits(n int) string {
	var b strings.Builder
	b.WriteByte(byte('1' + w.rng.IntN(9)))
	for range n - 1 {
		b.WriteByte(byte('0' + w.rng.IntN(10)))
	}
	return b.String()
}

func (w *World) uuid() string {
	h := []byte(w.hex(32))
	h[12] = '4'
	h[16] = hexDigits[8+w.rng.IntN(4)]
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// eachID calls fn with every id idTaken looks for.
func (w *World) eachID(fn func(string)) {
	for _, m := range []func(func(string)){keysOf(w.vpcs), keysOf(w.subnets), keysOf(w.rtbs), keysOf(w.sgs),
		keysOf(w.instances), keysOf(w.pcxs), keysOf(w.nacls), keysOf(w.igws), keysOf(w.eips), keysOf(w.natgws),
		keysOf(w.cgws), keysOf(w.vgws), keysOf(w.s2svpns), keysOf(w.enis)} {
		m(fn)
	}
	for _, r := range w.rtbs {
		for _, a := range r.Associations {
			fn(a.ID)
		}
	}
	for _, n := range w.nacls {
		for _, a := range n.Associations {
			fn(a.ID)
		}
	}
	for _, g := range w.sgs {
		for _, r := range g.Ingress {
			fn(r.ID)
		}
		for _, r := range g.Egress {
			fn(r.ID)
		}
	}
	for _, i := range w.instances {
		fn(i.ENIID)
		fn(i.ReservationID)
	}
}

func keysOf[V any](m map[string]V) func(func(string)) {
	return func(fn func(string)) {
		for k := range m {
			fn(k)
		}
	}
}

// objectTaken reports whether one of the world's object maps holds id.
func (w *World) objectTaken(id string) bool {
	return w.vpcs[id] != nil || w.subnets[id] != nil || w.rtbs[id] != nil || w.sgs[id] != nil ||
		w.instances[id] != nil || w.pcxs[id] != nil || w.nacls[id] != nil || w.igws[id] != nil ||
		w.eips[id] != nil || w.natgws[id] != nil || w.cgws[id] != nil || w.vgws[id] != nil ||
		w.s2svpns[id] != nil || w.enis[id] != nil
}

// newIDTaken is idTaken for an id NewID made with prefix. Ids held below the object maps
// (associations, rules, an instance's primary interface and reservation) are all made by
// NewID with their own prefix, so only the kind the prefix names can hold this one; the
// object maps are looked up whatever the prefix (their ids may be given, as a topology does).
func (w *World) newIDTaken(prefix, id string) bool {
	return w.objectTaken(id) || w.nestedTaken(prefix, id)
}

// nestedTaken reports whether an id of the kind prefix names, held below the object maps,
// is id.
func (w *World) nestedTaken(prefix, id string) bool {
	switch prefix {
	case "rtbassoc":
		for _, r := range w.rtbs {
			for _, a := range r.Associations {
				if a.ID == id {
					return true
				}
			}
		}
	case "aclassoc":
		for _, n := range w.nacls {
			for _, a := range n.Associations {
				if a.ID == id {
					return true
				}
			}
		}
	case "sgr":
		for _, g := range w.sgs {
			for _, rules := range [][]*SGRule{g.Ingress, g.Egress} {
				for _, r := range rules {
					if r.ID == id {
						return true
					}
				}
			}
		}
	case "eni", "r":
		for _, i := range w.instances {
			if i.ENIID == id || i.ReservationID == id {
				return true
			}
		}
	}
	return false
}

// idTaken reports whether an object of the world has id (a whole-world search: a Tx asks
// its index first, see Tx.idTaken).
func (w *World) idTaken(id string) bool {
	return w.objectTaken(id) || w.nestedTaken("rtbassoc", id) || w.nestedTaken("aclassoc", id) ||
		w.nestedTaken("sgr", id) || w.nestedTaken("eni", id)
}
