package lab

import (
	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/netspec"
)

// dropPoint is the hop a probe watches for the drop the model predicts: the filter rule that
// drops the packets, or the host whose routing discards them, as explain names it (canonical
// host name). It is nil for refusals no hop witnesses (a tunnel that is down, a drop where the
// packet is sent, which the sender learns at once).
func dropPoint(spec *netspec.Spec, v explain.Verdict) *netspec.DropPoint {
	if v.Reachable || v.Drop == nil {
		return nil
	}
	h := spec.Resolve(v.Drop.Host)
	if h == nil {
		return nil
	}
	d := *v.Drop
	d.Host = h.Name
	return &d
}
