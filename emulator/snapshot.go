package emulator

import (
	"reflect"
	"unsafe"
)

// A full snapshot of the model: a deep copy of every map and slice field of World, found by
// reflection so new fields are covered without a list to forget. Checkpoints (reset) and dry runs
// copy the whole model this way; Update does not (it journals what each operation names, see
// journal.go), except in test binaries, where the snapshot checks the journal.

// modelField reports whether a World field holds model data (maps and slices of resources).
func modelField(f reflect.StructField) bool {
	if f.Name == "waiters" || f.Name == "netLog" { // not model: who waits, what changed
		return false
	}
	k := f.Type.Kind()
	return k == reflect.Map || k == reflect.Slice
}

type snapshot []reflect.Value

func (w *World) snapshot() snapshot {
	v := reflect.ValueOf(w).Elem()
	t := v.Type()
	var s snapshot
	for i := range t.NumField() {
		if modelField(t.Field(i)) {
			s = append(s, deepCopy(field(v, i)))
		}
	}
	return s
}

func (w *World) restore(s snapshot) {
	v := reflect.ValueOf(w).Elem()
	t := v.Type()
	n := 0
	for i := range t.NumField() {
		if modelField(t.Field(i)) {
			field(v, i).Set(s[n])
			n++
		}
	}
}

// field returns a settable view of a (possibly unexported) struct field.
func field(v reflect.Value, i int) reflect.Value {
	f := v.Field(i)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// deepCopy copies maps, slices, pointers and structs recursively. Struct values are copied
// whole first (unexported scalar fields included), then their exported reference fields are
// replaced by copies. Values behind unexported pointers (inside netip.Addr, say) are immutable
// and shared.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(deepCopy(v.Elem()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			switch v.Field(i).Kind() {
			case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Struct, reflect.Interface:
				n.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			n.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := deepCopy(v.Elem())
		n := reflect.New(v.Type()).Elem()
		n.Set(c)
		return n
	}
	return v
}
