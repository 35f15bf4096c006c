package main

import (
	"strings"
	"testing"
)

func TestCheckListen(t *testing.T) {
	tests := []struct {
		addr    string
		any     bool
		wantErr bool
		warns   bool
	}{
		{"127.0.0.1:5400", false, false, false},
		{"127.3.4.5:5400", false, false, false},
		{"localhost:5400", false, false, false},
		{"[::1]:5400", false, false, false},
		{"[::ffff:127.0.0.1]:5400", false, false, false},
		{"0.0.0.0:5400", false, true, false},
		{":5400", false, true, false},
		{"[::]:5400", false, true, false},
		{"192.168.1.10:5400", false, true, false},
		{"example.com:5400", false, true, false},
		{"0.0.0.0:5400", true, false, true},
		{":5400", true, false, true},
		{"127.0.0.1", false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			var w strings.Builder
			err := checkListen([]listenAddr{{"heroku-listen", tc.addr}}, tc.any, &w)
			if (err != nil) != tc.wantErr {
				t.Fatalf("checkListen(%q, any=%v) = %v, want error %v", tc.addr, tc.any, err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "--heroku-listen") {
				t.Errorf("error %q does not name the flag", err)
			}
			if got := strings.Contains(w.String(), "warning"); got != tc.warns {
				t.Errorf("warning %q, want one: %v", w.String(), tc.warns)
			}
		})
	}
}
