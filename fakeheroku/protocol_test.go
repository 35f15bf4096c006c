package fakeheroku

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestProtocol covers the wire conventions every endpoint shares: authentication, Accept
// negotiation, unknown routes, body errors.
func TestProtocol(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	tests := []struct {
		apiCase
		headers []string
	}{
		{apiCase{"bearer token", "GET", "/account", "", 200, ""}, nil},
		{apiCase{"bearer scheme is case-insensitive", "GET", "/account", "", 200, ""}, []string{"Authorization", "bearer " + testToken}},
		{apiCase{"basic with the token as password", "GET", "/account", "", 200, ""}, []string{"Authorization", basic("user@example.com", testToken)}},
		{apiCase{"no credentials", "GET", "/account", "", 401, "unauthorized"}, []string{"Authorization", ""}},
		{apiCase{"wrong token", "GET", "/spaces", "", 401, "unauthorized"}, []string{"Authorization", "Bearer nope"}},
		{apiCase{"empty bearer", "GET", "/spaces", "", 401, "unauthorized"}, []string{"Authorization", "Bearer "}},
		{apiCase{"basic with a wrong password", "GET", "/account", "", 401, "unauthorized"}, []string{"Authorization", basic("user@example.com", "x")}},
		{apiCase{"unknown route needs auth too", "GET", "/nope", "", 401, "unauthorized"}, []string{"Authorization", ""}},
		{apiCase{"accept version=3.sdk", "GET", "/spaces", "", 200, ""}, []string{"Accept", "application/vnd.heroku+json; version=3.sdk"}},
		{apiCase{"accept version=3.fir", "GET", "/spaces/" + seedSpace, "", 200, ""}, []string{"Accept", "application/vnd.heroku+json; version=3.fir"}},
		{apiCase{"accept version=3.dogwood", "GET", "/spaces", "", 200, ""}, []string{"Accept", "application/vnd.heroku+json; version=3.dogwood"}},
		{apiCase{"accept application/json (heroku-go without Transport)", "GET", "/spaces", "", 200, ""}, []string{"Accept", "application/json"}},
		{apiCase{"no accept header", "GET", "/spaces", "", 200, ""}, []string{"Accept", ""}},
		{apiCase{"accept version=2", "GET", "/spaces", "", 406, "not_acceptable"}, []string{"Accept", "application/vnd.heroku+json; version=2"}},
		{apiCase{"accept text/html", "GET", "/spaces", "", 406, "not_acceptable"}, []string{"Accept", "text/html"}},
		{apiCase{"unknown path", "GET", "/nope", "", 404, "not_found"}, nil},
		{apiCase{"unknown nested path", "GET", "/spaces/" + seedSpace + "/nope", "", 404, "not_found"}, nil},
		{apiCase{"wrong method on a known path", "PUT", "/account", "", 405, "method_not_allowed"}, nil},
		{apiCase{"missing space", "GET", "/spaces/no-such-space", "", 404, "not_found"}, nil},
		{apiCase{"missing app", "GET", "/apps/no-such-app/dynos", "", 404, "not_found"}, nil},
		{apiCase{"missing team", "GET", "/teams/no-such-team", "", 404, "not_found"}, nil},
		{apiCase{"bad JSON", "POST", "/spaces/" + seedSpace + "/peerings", `{"pcx_id":`, 400, "bad_request"}, nil},
		{apiCase{"body not an object", "POST", "/spaces/" + seedSpace + "/peerings", `["pcx-1"]`, 400, "bad_request"}, nil},
		{apiCase{"pcx_id of the wrong type", "POST", "/spaces/" + seedSpace + "/peerings", `{"pcx_id":42}`, 422, "invalid_params"}, nil},
		{apiCase{"pcx_id missing", "POST", "/spaces/" + seedSpace + "/peerings", `{}`, 422, "invalid_params"}, nil},
		{apiCase{"unknown pcx", "POST", "/spaces/" + seedSpace + "/peerings", `{"pcx_id":"pcx-00000000000000000"}`, 404, "not_found"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(t, e, tc.headers...)
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if !uuidRE.MatchString(r.Header.Get("Request-Id")) {
				t.Errorf("Request-Id %q is not a UUID", r.Header.Get("Request-Id"))
			}
			if r.Header.Get("RateLimit-Remaining") != "4500" {
				t.Errorf("RateLimit-Remaining %q", r.Header.Get("RateLimit-Remaining"))
			}
		})
	}
}

// TestRequestIDList: the CLI sends a growing comma-separated list of ids; the server answers
// with one fresh id of its own (as Heroku does), never the client's.
func TestRequestIDList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sent := "6ec3c9ee-9545-4e1a-a3ba-43f239e982d8,0a9d481c-0f85-43b0-a281-5865dd133cf1,not-a-uuid"
	r := e.do("GET", "/spaces", "", "Request-Id", sent)
	got := r.Header.Get("Request-Id")
	if r.Status != 200 || !uuidRE.MatchString(got) || strings.Contains(sent, got) {
		t.Fatalf("status %d, Request-Id %q", r.Status, got)
	}
	if again := e.do("GET", "/spaces", "").Header.Get("Request-Id"); again == got {
		t.Errorf("two requests got the same id %s", got)
	}
}

// TestPanicAndFaults: a panic becomes a 500 error document and the server keeps serving;
// Fault errors are served as Heroku errors.
func TestPanicAndFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *Server) {
		s.Fault = func(r *http.Request) error {
			switch r.Header.Get("X-Test-Fault") {
			case "panic":
				panic("boom")
			case "unavailable":
				return emulator.HerokuErr(http.StatusServiceUnavailable, "unavailable", "API is temporarily unavailable.")
			case "rate":
				return emulator.HerokuErr(http.StatusTooManyRequests, "rate_limit", "Your account reached the API rate limit.")
			case "plain":
				return errors.New("disk on fire")
			}
			return nil
		}
	})
	tests := []struct {
		fault      string
		wantStatus int
		wantID     string
	}{
		{"panic", 500, "internal_server_error"},
		{"unavailable", 503, "unavailable"},
		{"rate", 429, "rate_limit"},
		{"plain", 500, "internal_server_error"},
		{"", 200, ""},
	}
	for _, tc := range tests {
		t.Run("fault="+tc.fault, func(t *testing.T) {
			r := e.do("GET", "/spaces/"+seedSpace, "", "X-Test-Fault", tc.fault)
			if r.Status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.wantStatus, r.Body)
			}
			if tc.wantID != "" {
				var eb errorBody
				r.JSON(t, &eb)
				if eb.ID != tc.wantID {
					t.Errorf("id %q, want %q", eb.ID, tc.wantID)
				}
			}
		})
	}
}

// TestZeroValueServer: &Server{} works, with an empty world in which nobody is authorised.
func TestZeroValueServer(t *testing.T) {
	t.Parallel()
	s := &Server{}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/spaces", nil)
	req.Header.Set("Authorization", "Bearer anything")
	checked(t, s).ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", rec.Code)
	}
	_ = s.World.Update(func(tx *emulator.Tx) error { tx.AddUser("a@example.com", "t"); return nil })
	rec = httptest.NewRecorder()
	req.Header.Set("Authorization", "Bearer t")
	checked(t, s).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("status %d body %s, want 200 []", rec.Code, rec.Body)
	}
}

// TestParseRange covers the Range grammar `<field> [<start>]..[<end>][; max=N[, order=desc]]`.
func TestParseRange(t *testing.T) {
	tests := []struct {
		in      string
		want    Range
		wantErr bool
	}{
		{in: "id ..", want: Range{Field: "id"}},
		{in: "id ..; max=1", want: Range{Field: "id", Max: 1}},
		{in: "name ]web.1..; max=1", want: Range{Field: "name", Start: "web.1", StartExclusive: true, Max: 1}},
		{in: "name web.1..web.3", want: Range{Field: "name", Start: "web.1", End: "web.3"}},
		{in: "pcx_id ]pcx-0a1b..; max=200, order=desc", want: Range{Field: "pcx_id", Start: "pcx-0a1b", StartExclusive: true, Max: 200, Desc: true}},
		{in: "..; max=5", want: Range{Max: 5}},
		{in: "id", want: Range{Field: "id"}},
		{in: "id ..; max=5000", want: Range{Field: "id", Max: maxPageSize}},
		{in: "id ..; order=asc", want: Range{Field: "id"}},
		{in: "id x", wantErr: true},
		{in: "id ..; max=0", wantErr: true},
		{in: "id ..; max=-1", wantErr: true},
		{in: "id ..; max=lots", wantErr: true},
		{in: "id ..; order=sideways", wantErr: true},
		{in: "id ..; color=blue", wantErr: true},
		{in: "id ..; max", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRange(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, got); !tc.wantErr && d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// FuzzParseRange: parsing never panics, and what parses renders to a header that parses back
// to the same range.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"id ..", "name ]web.1..; max=1", "pcx_id a..b; max=3, order=desc", "..", "x ]..]", ";;", "id ..; max=99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		rg, err := ParseRange(h)
		if err != nil {
			return
		}
		if strings.ContainsAny(rg.Field, " ;") || strings.Contains(rg.Start, "..") || strings.ContainsAny(rg.End, ";") {
			return // not representable in a header; ParseRange is lenient about what it accepts
		}
		again, err := ParseRange(rg.String())
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose rendering %q does not parse: %v", h, rg, rg.String(), err)
		}
		if again != rg {
			t.Fatalf("%q → %+v → %q → %+v", h, rg, rg.String(), again)
		}
	})
}

// TestPagination walks lists page by page with Range / Next-Range, the way the CLI does, and
// checks every item comes exactly once, pages are 206 until the last, and the last page has no
// Next-Range.
func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *Server) { s.PageSize = 1 })
	pcx := e.requestPeering()
	var spaceID string
	_ = e.world.View(func(tx *emulator.Tx) error { spaceID = tx.Space(seedSpace).ID; return nil })
	want := []string{e.dataPeering(), pcx}
	if want[0] > want[1] {
		want[0], want[1] = want[1], want[0]
	}
	tests := []struct {
		name, path, firstRange string
		key                    string
		want                   []string
	}{
		{"peerings", "/spaces/" + seedSpace + "/peerings", "", "pcx_id", want},
		{"dynos by name", "/apps/" + seedApp + "/dynos", "", "name", []string{"web.1", "web.2"}},
		{"dynos descending", "/apps/" + seedApp + "/dynos", "name ..; max=1, order=desc", "name", []string{"web.2", "web.1"}},
		{"dynos up to web.1", "/apps/" + seedApp + "/dynos", "name ..web.1; max=1", "name", []string{"web.1"}},
		{"dynos after web.1", "/apps/" + seedApp + "/dynos", "name ]web.1..", "name", []string{"web.2"}},
		{"dynos from web.1 inclusive", "/apps/" + seedApp + "/dynos", "name web.1..; max=5", "name", []string{"web.1", "web.2"}},
		{"spaces", "/spaces", "", "id", []string{spaceID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			rg := tc.firstRange
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("Next-Range does not end")
				}
				r := e.do("GET", tc.path, "", "Range", rg)
				var items []map[string]any
				r.JSON(t, &items)
				for _, it := range items {
					got = append(got, it[tc.key].(string))
				}
				next := r.Header.Get("Next-Range")
				if next == "" {
					if r.Status != http.StatusOK {
						t.Errorf("last page status %d, want 200", r.Status)
					}
					break
				}
				if r.Status != http.StatusPartialContent || len(items) == 0 {
					t.Fatalf("page with Next-Range %q: status %d, %d items", next, r.Status, len(items))
				}
				if next == rg {
					t.Fatalf("Next-Range %q makes no progress", next)
				}
				rg = next
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("items (-want +got):\n%s", d)
			}
		})
	}
	t.Run("unsupported field", func(t *testing.T) {
		r := e.do("GET", "/spaces", "", "Range", "color ..")
		if r.Status != http.StatusRequestedRangeNotSatisfiable {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		r := e.do("GET", "/spaces", "", "Range", "id ..; max=0")
		if r.Status != http.StatusRequestedRangeNotSatisfiable {
			t.Fatalf("status %d", r.Status)
		}
	})
}

// TestDefaultPage: without a Range the page holds 200 items (heroku-go reads only page one).
func TestDefaultPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := 250
	if err := e.world.Update(func(tx *emulator.Tx) error {
		_, err := tx.Scale(seedApp, []emulator.ScaleUpdate{{Type: "worker", Quantity: &q}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/apps/"+seedApp+"/dynos", "")
	var items []map[string]any
	r.JSON(t, &items)
	if r.Status != http.StatusPartialContent || len(items) != defaultPageSize || r.Header.Get("Next-Range") == "" {
		t.Fatalf("status %d, %d items, Next-Range %q", r.Status, len(items), r.Header.Get("Next-Range"))
	}
	r = e.do("GET", "/apps/"+seedApp+"/dynos", "", "Range", r.Header.Get("Next-Range"))
	r.JSON(t, &items)
	if r.Status != http.StatusOK || len(items) != 252-defaultPageSize {
		t.Fatalf("second page: status %d, %d items", r.Status, len(items))
	}
}
