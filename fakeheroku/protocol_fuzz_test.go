package fakeheroku

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spacelab-dev/spacelab/emulator"
)

// FuzzAccept: content negotiation never panics, lets through only Accept values that name
// JSON, and refuses others with Heroku's 406.
func FuzzAccept(f *testing.F) {
	for _, s := range []string{"application/vnd.heroku+json; version=3", "application/vnd.heroku+json; version=3.sdk", "application/json",
		"*/*", "text/html", "application/vnd.heroku+json; version=2", "application/vnd.heroku+json; version=3.", ";;,,", "application/vnd.heroku+json; version=\"3\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		r := httptest.NewRequest("GET", "/account", nil)
		r.Header["Accept"] = []string{accept}
		err := negotiate(r)
		if err == nil {
			if strings.TrimSpace(accept) != "" && !strings.Contains(accept, "json") && !strings.Contains(accept, "*") {
				t.Fatalf("Accept %q let through", accept)
			}
			return
		}
		var he *emulator.HerokuError
		if !errors.As(err, &he) || he.Status != http.StatusNotAcceptable || he.ID != "not_acceptable" {
			t.Fatalf("Accept %q refused with %v, want 406 not_acceptable", accept, err)
		}
	})
}

// FuzzDecodeBody: request bodies of every shape the endpoints read never panic the decoder;
// a refusal is a 400, 413 or 422 Heroku error naming no Go type; an accepted body is UTF-8,
// JSON by its Content-Type, and holds no control characters.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"name":"s","team":"t"}`, `{"updates":[{"type":"web","quantity":"+1"}]}`, `{"rules":[{"action":"allow","source":"1.2.3.4/32"}]}`,
		`{"name":"x","public_ip":"1.2.3.4","routable_cidrs":["10.0.0.0/8"]}`, `{"quantity":1e400}`, "\xff", `{"name":"a\u0000"}`, `[]`, `null`, ``} {
		f.Add(s, "application/json")
		f.Add(s, "text/plain")
	}
	f.Fuzz(func(t *testing.T, body, ctype string) {
		targets := []any{&spaceCreateBody{}, &teamAppCreateBody{}, &struct {
			Updates []formationUpdate `json:"updates"`
		}{}, &formationUpdate{}, &struct {
			Name          *string  `json:"name"`
			PublicIP      *string  `json:"public_ip"`
			RoutableCIDRs []string `json:"routable_cidrs"`
		}{}, &struct {
			Rules []struct {
				Action *string `json:"action"`
				Source *string `json:"source"`
			} `json:"rules"`
		}{}}
		for _, v := range targets {
			r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
			r.Header["Content-Type"] = []string{ctype}
			err := decodeBody(r, v)
			if err != nil {
				var he *emulator.HerokuError
				if !errors.As(err, &he) || (he.Status != 400 && he.Status != 413 && he.Status != 422) {
					t.Fatalf("body %q refused with %v", body, err)
				}
				for _, leak := range []string{"*string", "[]string", "int64", "json.RawMessage", "struct {", "fakeheroku."} {
					if strings.Contains(he.Message, leak) {
						t.Fatalf("message %q leaks %q", he.Message, leak)
					}
				}
				continue
			}
			if strings.TrimSpace(body) == "" {
				continue
			}
			if !utf8.ValidString(body) || !json.Valid([]byte(body)) || !jsonContentType(ctype) {
				t.Fatalf("body %q with Content-Type %q accepted", body, ctype)
			}
			if p, bad := controlIn(reflect.ValueOf(v), ""); bad {
				t.Fatalf("body %q accepted with a control character at %s", body, p)
			}
		}
	})
}

// FuzzFormationQuantity: a formation update's quantity (a JSON integer, or a string with an
// optional sign for a relative change, as ps:scale sends) never panics the reader, and an
// accepted one means what it says.
func FuzzFormationQuantity(f *testing.F) {
	for _, s := range []string{`1`, `0`, `-1`, `"+2"`, `"-1"`, `" 3 "`, `"abc"`, `1.5`, `1e3`, `null`, `"99999999999999999999"`, `[1]`, `true`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if strings.TrimSpace(q) != "" && !json.Valid([]byte(q)) {
			return // the quantity is a value inside a body decodeBody has already found to be JSON
		}
		u := formationUpdate{Quantity: json.RawMessage(q)}
		su, err := u.scaleUpdate("web")
		if err != nil {
			var he *emulator.HerokuError
			if !errors.As(err, &he) || he.Status != 422 {
				t.Fatalf("quantity %q refused with %v, want 422", q, err)
			}
			return
		}
		if su.Quantity == nil {
			if b := bytes.TrimSpace([]byte(q)); len(b) != 0 && string(b) != "null" {
				t.Fatalf("quantity %q accepted as no change", q)
			}
			return
		}
		var n int
		var str string
		switch {
		case json.Unmarshal([]byte(q), &n) == nil:
			if su.Relative || *su.Quantity != n {
				t.Fatalf("quantity %s read as %d (relative %v)", q, *su.Quantity, su.Relative)
			}
		case json.Unmarshal([]byte(q), &str) == nil:
			str = strings.TrimSpace(str)
			rel := strings.HasPrefix(str, "+") || strings.HasPrefix(str, "-")
			if su.Relative != rel {
				t.Fatalf("quantity %s: relative %v", q, su.Relative)
			}
		default:
			t.Fatalf("quantity %q accepted though it is neither an integer nor a string", q)
		}
	})
}

// FuzzCIDRList: VPN routable_cidrs never panic the reader; an accepted list has one block per
// entry, each as written (give or take spaces).
func FuzzCIDRList(f *testing.F) {
	for _, s := range []string{"192.168.0.0/16", "10.0.0.0/8, 172.16.0.0/12", " 1.2.3.4/32 ", "::/0", "1.2.3.4", "300.1.1.1/8", "1.2.3.4/33", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		in := strings.Split(list, ",")
		out, err := parseCIDRs(in)
		if err != nil {
			var he *emulator.HerokuError
			if !errors.As(err, &he) || he.Status != 422 {
				t.Fatalf("%q refused with %v, want 422", list, err)
			}
			return
		}
		if len(out) != len(in) {
			t.Fatalf("%q: %d blocks from %d entries", list, len(out), len(in))
		}
	})
}

// FuzzServeHTTP sends arbitrary requests with the token of team beta's admin to a world where
// team alpha owns a space and an app: nothing panics, every answer is a JSON document, and no
// refused request and no request of beta's changes what alpha has.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range [][4]string{
		{"GET", "/spaces/alpha-space", "", ""}, {"DELETE", "/spaces/alpha-space", "", ""},
		{"PUT", "/spaces/alpha-space/inbound-ruleset", `{"rules":[{"action":"allow","source":"0.0.0.0/0"}]}`, "application/json"},
		{"PATCH", "/apps/alpha-app/formation/web", `{"quantity":0}`, "application/json"},
		{"POST", "/spaces", `{"name":"b2","team":"beta"}`, "application/json"},
		{"PATCH", "/apps/beta-app/formation", `{"updates":[{"type":"web","quantity":"+1"}]}`, "application/json"},
		{"GET", "/spaces/../account", "", ""}, {"POST", "/teams/apps", `{"space":"alpha-space"}`, "text/plain"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	e := newTenantEnv(f)
	f.Fuzz(func(t *testing.T, method, path, body, ctype string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n?#%") || strings.ContainsAny(method, " \r\n/") || method == "" {
			return
		}
		// Spaces created by earlier inputs are allocated at the next request: let that happen
		// first, so that the request under test is the only thing that may change the world.
		warm := httptest.NewRequest("GET", "/account", nil)
		warm.Header.Set("Authorization", "Bearer tok-bob")
		e.srv.ServeHTTP(httptest.NewRecorder(), warm)
		before := alphaState(e)
		gen := e.world.Generation()
		r := httptest.NewRequest("GET", "/", strings.NewReader(body))
		r.Method, r.URL.Path, r.RequestURI = method, path, path
		r.Header.Set("Authorization", "Bearer tok-bob")
		r.Header.Set("Accept", "application/vnd.heroku+json; version=3")
		if ctype != "" {
			r.Header["Content-Type"] = []string{ctype}
		}
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: %d %q is not JSON", method, path, w.Code, w.Body)
		}
		if w.Code >= 400 && e.world.Generation() != gen {
			t.Fatalf("%s %s refused (%d) but changed the world", method, path, w.Code)
		}
		if after := alphaState(e); after != before {
			t.Fatalf("%s %s %q by beta changed alpha:\n%s\n%s", method, path, body, before, after)
		}
	})
}

// alphaState is what the model holds of team alpha's space and apps.
func alphaState(e *env) string {
	var b strings.Builder
	_ = e.world.View(func(tx *emulator.Tx) error {
		sp := tx.Space("alpha-space")
		if sp == nil {
			b.WriteString("no alpha-space")
			return nil
		}
		js, _ := json.Marshal(renderSpace(tx, sp, false))
		b.Write(js)
		if rs := sp.InboundRuleset(); rs != nil {
			js, _ = json.Marshal(renderRuleset(tx, sp, rs))
			b.Write(js)
		}
		for _, v := range tx.VPNConnections(sp.ID) {
			b.WriteString(v.ID + v.Name)
		}
		for _, app := range tx.AppsIn(sp.ID) {
			js, _ = json.Marshal(renderApp(tx, app))
			b.Write(js)
			for _, f := range sortedFormation(app) {
				b.WriteString(f.Type + ":" + strconv.Itoa(f.Quantity))
			}
		}
		return nil
	})
	return b.String()
}
