package netspec

import (
	"reflect"
	"slices"
)

// Delta is the change from one Spec to the next, host by host: the hosts that are new or
// differ in any way (whole), the names of hosts that are gone, the links that are new or
// differ (whole) and the keys of links that are gone. Base says which spec it applies to: a
// data plane holding another one must refuse it (the sender then applies the whole spec).
type Delta struct {
	Base         uint64
	Hosts        []*Host
	RemovedHosts []string
	Links        []*Link
	RemovedLinks []string
}

// Empty reports whether the delta changes nothing.
func (d *Delta) Empty() bool {
	return len(d.Hosts) == 0 && len(d.RemovedHosts) == 0 && len(d.Links) == 0 && len(d.RemovedLinks) == 0
}

// Touched returns the names of the hosts the delta changes: changed, removed, and both ends
// of every changed or removed link (removed links by key, looked up in old).
func (d *Delta) Touched(old *Spec) map[string]bool {
	out := map[string]bool{}
	for _, h := range d.Hosts {
		out[h.Name] = true
	}
	for _, n := range d.RemovedHosts {
		out[n] = true
	}
	for _, l := range d.Links {
		out[l.A.Host], out[l.B.Host] = true, true
	}
	if old != nil && len(d.RemovedLinks) > 0 {
		gone := map[string]bool{}
		for _, k := range d.RemovedLinks {
			gone[k] = true
		}
		for _, l := range old.Links {
			if gone[l.Key()] {
				out[l.A.Host], out[l.B.Host] = true, true
			}
		}
	}
	return out
}

// Diff returns what turns old into new. Hosts and links are compared whole; old may be nil.
// A host or link new shares with old (the same pointer, as a partial render leaves what it
// did not render again) is equal without looking further. Sorted specs (as Sort leaves them)
// are walked side by side, with no allocation but the delta's; others are sorted first, in
// copies.
func Diff(old, new *Spec) *Delta {
	if old == nil {
		old = &Spec{}
	}
	d := &Delta{}
	merge(sortedCopy(old.Hosts, compareHosts), sortedCopy(new.Hosts, compareHosts), compareHosts,
		func(h *Host) { d.Hosts = append(d.Hosts, h) },
		func(h *Host) { d.RemovedHosts = append(d.RemovedHosts, h.Name) },
		func(o, h *Host) {
			if o != h && !reflect.DeepEqual(o, h) {
				d.Hosts = append(d.Hosts, h)
			}
		})
	merge(sortedCopy(old.Links, compareLinks), sortedCopy(new.Links, compareLinks), compareLinks,
		func(l *Link) { d.Links = append(d.Links, l) },
		func(l *Link) { d.RemovedLinks = append(d.RemovedLinks, l.Key()) },
		func(o, l *Link) {
			if o != l && !reflect.DeepEqual(o, l) {
				d.Links = append(d.Links, l)
			}
		})
	return d
}

// sortedCopy returns s if it is in order, else a sorted copy.
func sortedCopy[T any](s []T, cmp func(a, b T) int) []T {
	if slices.IsSortedFunc(s, cmp) {
		return s
	}
	s = slices.Clone(s)
	slices.SortFunc(s, cmp)
	return s
}

// merge walks two sorted lists side by side: added for what only b has, removed for what
// only a has, both for what they share (by cmp), in order.
func merge[T any](a, b []T, cmp func(x, y T) int, added, removed func(T), both func(x, y T)) {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := cmp(a[i], b[j]); {
		case c < 0:
			removed(a[i])
			i++
		case c > 0:
			added(b[j])
			j++
		default:
			both(a[i], b[j])
			i++
			j++
		}
	}
	for ; i < len(a); i++ {
		removed(a[i])
	}
	for ; j < len(b); j++ {
		added(b[j])
	}
}

// Patch returns the spec d makes of s (s itself is not changed; unchanged hosts and links are
// shared). The result is sorted.
func (s *Spec) Patch(d *Delta) *Spec {
	out := &Spec{}
	hosts := map[string]*Host{}
	for _, h := range d.Hosts {
		hosts[h.Name] = h
	}
	gone := map[string]bool{}
	for _, n := range d.RemovedHosts {
		gone[n] = true
	}
	for _, h := range s.Hosts {
		if gone[h.Name] {
			continue
		}
		if n := hosts[h.Name]; n != nil {
			out.Hosts = append(out.Hosts, n)
			delete(hosts, h.Name)
			continue
		}
		out.Hosts = append(out.Hosts, h)
	}
	for _, h := range d.Hosts {
		if hosts[h.Name] != nil {
			out.Hosts = append(out.Hosts, h)
		}
	}
	links := map[string]*Link{}
	for _, l := range d.Links {
		links[l.Key()] = l
	}
	goneLinks := map[string]bool{}
	for _, k := range d.RemovedLinks {
		goneLinks[k] = true
	}
	for _, l := range s.Links {
		k := l.Key()
		if goneLinks[k] {
			continue
		}
		if n := links[k]; n != nil {
			out.Links = append(out.Links, n)
			delete(links, k)
			continue
		}
		out.Links = append(out.Links, l)
	}
	for _, l := range d.Links {
		if links[l.Key()] != nil {
			out.Links = append(out.Links, l)
		}
	}
	out.Sort()
	return out
}
