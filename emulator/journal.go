package emulator

import (
	"flag"
	"fmt"
	"reflect"
	"testing"
)

// Nothing is half-applied, and a write costs what it changes. A writable Tx keeps a journal:
// before an operation mutates anything it names what it is about to change in tx.mustWrite,
// and the journal saves the state of each named thing the first time the Tx names it. A failed
// (or panicking) Update puts every saved state back; a successful one drops the journal.
//
// What an operation may name:
//   - a model object, by pointer (tx.mustWrite(sg)): its fields are saved (a deep copy of the
//     struct) and put back into the same object, so pointers to it stay valid;
//   - one field of an object, by pointer (tx.mustWrite(&vpc.Tags));
//   - a map or slice of objects, by pointer (tx.mustWrite(&tx.w.vpcs), tx.mustWrite(&sp.Rulesets)),
//     when the operation adds or removes entries: only its membership is saved (keys and
//     pointers, a shallow copy); objects in it that the operation changes are named too;
//   - a slice the operation only appends to, by pointer (tx.mustAppend(&sp.InboundRulesets)):
//     only its header is saved;
//   - nothing (tx.mustWrite()): every map and slice of World, the way an operation that has not
//     said what it touches is made safe. Correct for anything, cost proportional to the world.
//
// Naming also says whether the change reaches the data plane: mustWrite does (the reconciler
// renders and applies), mustWriteModel does not (tags, descriptions, names: the reconciler
// renders nothing). An Update that names nothing at all is taken to reach the data plane.
//
// In test binaries every Update also checks the journal against a full reflective snapshot
// (checkJournal): an operation that changes something it did not name fails there, whatever
// test runs it.

// journal is the undo log of one writable Tx.
type journal struct {
	saved   map[any]bool // pointers already saved
	undo    []func()     // in the order saved; run backwards
	all     bool         // every model field has been saved
	named   bool         // mustWrite or mustWriteModel was called
	network bool         // something with a data-plane effect was named
	netAll  bool         // mustWrite() named everything (or an Update named nothing)
	netWhat []Changed    // what mustWrite named, in order (the reconciler's change set)
}

// mustWrite panics outside a writable Tx and journals what the operation is about to change
// (see the file comment); the change reaches the data plane.
func (tx *Tx) mustWrite(what ...any) {
	tx.write(true, what)
}

// mustWriteModel is mustWrite for a change the data plane does not see (tags, descriptions).
func (tx *Tx) mustWriteModel(what ...any) {
	tx.write(false, what)
}

// mustAppend is mustWrite for a slice of objects the operation only appends to (a history,
// such as a space's rulesets): the journal keeps the slice's header, not a copy of its
// elements, so the write costs the same however long the history is. Appending never
// touches the elements the old header covers (it writes past them, or into a new array), so
// the old header is the old slice. The operation must not replace any element in place.
func (tx *Tx) mustAppend(p any) {
	if j := tx.j; j != nil && tx.writable && !j.saved[p] {
		target := reflect.ValueOf(p).Elem()
		if target.Kind() != reflect.Slice {
			panic(fmt.Sprintf("emulator: mustAppend(%T): want a pointer to a slice", p))
		}
		keep := reflect.New(target.Type()).Elem()
		keep.Set(target)
		j.saved[p] = true
		j.undo = append(j.undo, func() { target.Set(keep) })
	}
	tx.write(true, []any{p}) // names it for the data plane; already saved
}

// mustWriteFor is mustWrite for an operation whose data-plane change is known, but not by the
// kinds of what it names: entries added to or removed from a map of objects, or objects whose
// Changed kind would say less than c (a route of a table: the routing of its VPC). What is
// named is journaled as mustWrite does; the reconciler renders again what c says.
func (tx *Tx) mustWriteFor(c Changed, what ...any) {
	if len(what) == 0 {
		panic("emulator: mustWriteFor names nothing")
	}
	tx.write(false, what)
	tx.networkChange(c)
}

// networkChange adds to what mustWriteFor named: more of the network the same operation
// changes (the members of each of a new instance's groups).
func (tx *Tx) networkChange(cs ...Changed) {
	if j := tx.j; j != nil {
		j.network = true
		if !j.netAll {
			j.netWhat = append(j.netWhat, cs...)
		}
	}
}

// Changing is mustWrite for callers outside this package that change a model object directly
// (tests setting up a world): it names what they are about to change, so a failed Update puts
// it back.
func (tx *Tx) Changing(what ...any) {
	tx.write(true, what)
}

func (tx *Tx) write(network bool, what []any) {
	if !tx.writable {
		panic("emulator: write in a read-only transaction")
	}
	j := tx.j
	if j == nil { // a DryRun's private copy: nothing to put back
		return
	}
	j.named = true
	j.network = j.network || network
	if network && !j.netAll {
		if len(what) == 0 {
			j.netAll = true
		}
		for _, p := range what {
			c, ok := tx.w.changed(p)
			if !ok {
				j.netAll, j.netWhat = true, nil
				break
			}
			j.netWhat = append(j.netWhat, c)
		}
	}
	if len(what) == 0 {
		j.saveAll(tx.w)
		return
	}
	for _, p := range what {
		j.save(p, false)
	}
}

func (j *journal) saveAll(w *World) {
	if j.all {
		return
	}
	j.all = true
	v := reflect.ValueOf(w).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if modelField(t.Field(i)) {
			j.save(field(v, i).Addr().Interface(), true)
		}
	}
}

// save journals the value behind pointer p once. For a map or slice of objects, deep also
// saves every object in it.
func (j *journal) save(p any, deep bool) {
	if p == nil || j.saved[p] {
		return
	}
	pv := reflect.ValueOf(p)
	if pv.Kind() != reflect.Pointer {
		panic(fmt.Sprintf("emulator: mustWrite(%T): want a pointer", p))
	}
	if pv.IsNil() {
		return
	}
	j.saved[p] = true
	target := pv.Elem()
	switch {
	case target.Kind() == reflect.Map && target.Type().Elem().Kind() == reflect.Pointer:
		// A map of objects: keep its entries, and save each object in place.
		if target.IsNil() {
			j.undo = append(j.undo, func() { target.Set(reflect.Zero(target.Type())) })
			return
		}
		keep := reflect.MakeMapWithSize(target.Type(), target.Len())
		it := target.MapRange()
		for it.Next() {
			keep.SetMapIndex(it.Key(), it.Value())
			if deep {
				j.save(it.Value().Interface(), false)
			}
		}
		j.undo = append(j.undo, func() { target.Set(keep) })
	case target.Kind() == reflect.Slice && target.Type().Elem().Kind() == reflect.Pointer:
		keep := reflect.Zero(target.Type())
		if !target.IsNil() {
			keep = reflect.MakeSlice(target.Type(), target.Len(), target.Len())
			reflect.Copy(keep, target)
			for i := range target.Len() {
				if deep {
					j.save(target.Index(i).Interface(), false)
				}
			}
		}
		j.undo = append(j.undo, func() { target.Set(keep) })
	default:
		// A copy detached from target: deepCopy returns nil maps and scalars as they are,
		// which for an addressable value would still be the live field.
		keep := reflect.New(target.Type()).Elem()
		keep.Set(deepCopy(target))
		j.undo = append(j.undo, func() { target.Set(keep) })
	}
}

// Changed names a model object whose data-plane face an Update changed: what the reconciler
// renders again (render.affected). Kind says which face:
//   - "security-group": a group's rules (its members are named by their instances and
//     interfaces, not by the group);
//   - "inbound-ruleset": a space's trusted IP ranges (ID is the space's);
//   - "app": an app's formation and dynos, or the app created or deleted;
//   - "vpn-gateway": a virtual private gateway attached or detached (its unit, its VPC's
//     routing);
//   - "vpn-connection": a Site-to-Site VPN connection created or deleted, or its static
//     routes (its gateway's unit and VPC routing, the offices, the internet);
//   - "heroku-vpn": a space's VPN connection created, changed or destroyed (ID is the
//     space's);
//   - "prefix-list": a prefix list's entries (what references it: group rules, routes);
//   - "data": a data service of the space added or removed (ID is the space's);
//   - "space": an app of the space created or deleted (ID is the space's: its router's
//     backends, its VPC router's service discovery);
//   - "route-table": a VPC's routing: its route tables, their routes and subnet associations
//     (ID is the VPC's);
//   - "internet-gateway": a VPC's internet gateway attached or detached (ID is the VPC's);
//   - "dhcp-options": a VPC's DHCP options set replaced (ID is the VPC's);
//   - "nat-gateway": a NAT gateway created or deleted (its host, the routes to it, its
//     public mapping);
//   - "vpc": a VPC created or deleted with nothing in it (its router and wan link);
//   - "network-acl": a VPC's network ACLs, their entries and subnet associations (ID is the
//     VPC's);
//   - "peering": a peering connection's state, options, or the routes Heroku manages for it;
//   - "instance": an instance was launched or terminated (its host, its VPC's router);
//   - "sg-members": the members of a security group changed (ID is the group's: the filters
//     of instances whose rules name the group list its members' addresses).
type Changed struct {
	Kind string
	ID   string
}

// changed says what naming p for the data plane changes, when that is known precisely: an
// operation that names a map of objects (entries added or removed), a field, or an object of
// another kind makes the reconciler render everything.
func (w *World) changed(p any) (Changed, bool) {
	switch o := p.(type) {
	case *SecurityGroup:
		return Changed{"security-group", o.ID}, true
	case *App:
		return Changed{"app", o.ID}, true
	case *[]*InboundRuleset:
		for id, sp := range w.spaces {
			if &sp.InboundRulesets == o {
				return Changed{"inbound-ruleset", id}, true
			}
		}
	}
	return Changed{}, false
}

// rollback puts back everything saved, newest first.
func (j *journal) rollback() {
	for i := len(j.undo) - 1; i >= 0; i-- {
		j.undo[i]()
	}
	j.undo = nil
}

// checkJournals is on in test binaries (not while benchmarking): every Update proves that its
// journal alone could have put the world back (see checkJournal).
var checkJournals = testing.Testing()

func checking() bool {
	if !checkJournals {
		return false
	}
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		return false
	}
	return true
}

// checkJournal runs after fn, before the world is unlocked. before is a full snapshot taken
// before fn. After a failure (the journal already rolled back) the world must equal before;
// after a success, rolling the journal back must give before, and the world is then set to
// what fn made.
func (w *World) checkJournal(j *journal, before snapshot, failed bool) {
	if failed {
		w.mustEqual(before, "a failed Update left")
		return
	}
	after := w.snapshot()
	j.rollback()
	w.mustEqual(before, "rolling back a successful Update's journal left")
	w.restore(after)
}

func (w *World) mustEqual(s snapshot, what string) {
	now := w.snapshot()
	v := reflect.ValueOf(w).Elem()
	t := v.Type()
	n := 0
	for i := range t.NumField() {
		if !modelField(t.Field(i)) {
			continue
		}
		if !reflect.DeepEqual(now[n].Interface(), s[n].Interface()) {
			panic(fmt.Sprintf("emulator: %s World.%s changed: an operation changed it without naming it in tx.mustWrite (see journal.go)", what, t.Field(i).Name))
		}
		n++
	}
}
