package emulator

import (
	"log/slog"
	"math/rand/v2"
	"reflect"
)

// DryRun runs fn against a private deep copy of the world, with a writable transaction, and
// throws the copy away afterwards: fn can call any operation to learn whether it would
// succeed, and nothing it does reaches the real world, its generation or its watchers. This is
// what EC2's DryRun parameter needs (validate fully, change nothing).
func (w *World) DryRun(fn func(tx *Tx) error) error {
	w.mu.RLock()
	c := w.clone()
	w.mu.RUnlock()
	return fn(&Tx{w: c, writable: true, now: c.now()})
}

// clone deep-copies every resource map. Ids the copy generates come from its own random
// source, so a dry run does not disturb the sequence a seeded world produces.
func (w *World) clone() *World {
	c := &World{
		gen:  w.gen,
		now:  w.now,
		rng:  rand.New(rand.NewPCG(w.gen, 0xd7e5)),
		log:  slog.New(slog.DiscardHandler),
		opts: w.opts,
	}
	copyMap(&c.accounts, w.accounts)
	copyMap(&c.keys, w.keys)
	copyMap(&c.vpcs, w.vpcs)
	copyMap(&c.subnets, w.subnets)
	copyMap(&c.rtbs, w.rtbs)
	copyMap(&c.sgs, w.sgs)
	copyMap(&c.instances, w.instances)
	copyMap(&c.pcxs, w.pcxs)
	copyMap(&c.nacls, w.nacls)
	copyMap(&c.igws, w.igws)
	copyMap(&c.users, w.users)
	copyMap(&c.teams, w.teams)
	copyMap(&c.spaces, w.spaces)
	copyMap(&c.apps, w.apps)
	return c
}

func copyMap[M any](dst *M, src M) {
	*dst = deepCopy(reflect.ValueOf(src)).Interface().(M)
}

// deepCopy copies pointers, slices, maps and the exported fields of structs recursively.
// Unexported struct fields are copied by value: in this package they hold only immutable
// values (strings, netip and time values).
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(deepCopy(v.Index(i)))
		}
		return s
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			m.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return m
	case reflect.Struct:
		s := reflect.New(v.Type()).Elem()
		s.Set(v)
		for i := range v.NumField() {
			if f := s.Field(i); f.CanSet() {
				f.Set(deepCopy(v.Field(i)))
			}
		}
		return s
	}
	return v
}
