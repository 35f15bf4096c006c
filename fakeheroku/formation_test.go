package fakeheroku

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScaleQuantities: quantities as integers, numeric strings and relative strings; sizes
// as size or v6 dyno_size; malformed input refused with the model untouched.
func TestScaleQuantities(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/apps/" + seedApp + "/formation"
	tests := []struct {
		apiCase
		want []string // type:quantity:size of the answer
	}{
		{apiCase{"string quantity", "PATCH", path, `{"updates":[{"type":"web","quantity":"3"}]}`, 200, ""}, []string{"web:3:Private-S"}},
		{apiCase{"relative up", "PATCH", path, `{"updates":[{"type":"web","quantity":"+1"}]}`, 200, ""}, []string{"web:4:Private-S"}},
		{apiCase{"relative down", "PATCH", path, `{"updates":[{"type":"web","quantity":"-2"}]}`, 200, ""}, []string{"web:2:Private-S"}},
		{apiCase{"integer quantity and size", "PATCH", path, `{"updates":[{"type":"worker","quantity":1,"size":"Private-M"}]}`, 200, ""}, []string{"worker:1:Private-M"}},
		{apiCase{"v6 dyno_size by name", "PATCH", path, `{"updates":[{"type":"worker","dyno_size":{"name":"Private-L"}}]}`, 200, ""}, []string{"worker:1:Private-L"}},
		{apiCase{"v6 dyno_size by id", "PATCH", path, `{"updates":[{"type":"worker","dyno_size":{"id":"` + stableUUID("dyno-size", "Private-S") + `"}}]}`, 200, ""}, []string{"worker:1:Private-S"}},
		{apiCase{"single type", "PATCH", path + "/worker", `{"quantity":"0"}`, 200, ""}, []string{"worker:0:Private-S"}},
		{apiCase{"below zero", "PATCH", path, `{"updates":[{"type":"web","quantity":"-5"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"absolute negative", "PATCH", path, `{"updates":[{"type":"web","quantity":-1}]}`, 422, "invalid_params"}, nil},
		{apiCase{"not a number", "PATCH", path, `{"updates":[{"type":"web","quantity":"lots"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"fraction", "PATCH", path, `{"updates":[{"type":"web","quantity":2.5}]}`, 422, "invalid_params"}, nil},
		{apiCase{"too many", "PATCH", path, `{"updates":[{"type":"web","quantity":100000}]}`, 422, "invalid_params"}, nil},
		{apiCase{"huge string", "PATCH", path, `{"updates":[{"type":"web","quantity":"99999999999999999999999"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"bool quantity", "PATCH", path, `{"updates":[{"type":"web","quantity":true}]}`, 422, "invalid_params"}, nil},
		{apiCase{"common runtime size in a space", "PATCH", path, `{"updates":[{"type":"web","size":"Standard-1X"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"unknown dyno_size id", "PATCH", path, `{"updates":[{"type":"web","dyno_size":{"id":"nope"}}]}`, 422, "invalid_params"}, nil},
		{apiCase{"bad type", "PATCH", path, `{"updates":[{"type":"we b","quantity":1}]}`, 422, "invalid_params"}, nil},
		{apiCase{"missing type", "PATCH", path, `{"updates":[{"quantity":1}]}`, 422, "invalid_params"}, nil},
		{apiCase{"no updates", "PATCH", path, `{"updates":[]}`, 422, "invalid_params"}, nil},
		{apiCase{"one bad update spoils the batch", "PATCH", path, `{"updates":[{"type":"web","quantity":5},{"type":"worker","quantity":"-9"}]}`, 422, "invalid_params"}, nil},
		{apiCase{"missing app", "PATCH", "/apps/nope/formation", `{"updates":[{"type":"web","quantity":1}]}`, 404, "not_found"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(t, e)
			if tc.wantID != "" {
				return
			}
			var fs []formationJSON
			if r.Body[0] == '{' {
				var f formationJSON
				r.JSON(t, &f)
				fs = append(fs, f)
			} else {
				r.JSON(t, &fs)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.Type+":"+strconv.Itoa(f.Quantity)+":"+f.Size)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	// Dynos follow the formation.
	var dynos []dynoJSON
	e.do("GET", "/apps/"+seedApp+"/dynos", "").JSON(t, &dynos)
	var names []string
	for _, d := range dynos {
		names = append(names, d.Name)
	}
	if d := cmp.Diff([]string{"web.1", "web.2"}, names); d != "" {
		t.Errorf("dynos (-want +got):\n%s", d)
	}
}
