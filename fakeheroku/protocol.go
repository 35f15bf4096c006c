package fakeheroku

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// Heroku's page sizes (Platform API reference, "Ranges").
const (
	defaultPageSize = 200
	maxPageSize     = 1000
)

// maxBody bounds request bodies; the API's largest real bodies are a few kilobytes.
const maxBody = 1 << 20

func herr(status int, id, format string, args ...any) *emulator.HerokuError {
	return emulator.HerokuErr(status, id, format, args...)
}

func internalError() *emulator.HerokuError {
	return herr(http.StatusInternalServerError, "internal_server_error", "Internal server error.")
}

// negotiate accepts the Accept values real clients send: application/vnd.heroku+json;
// version=3 with or without a variant (.sdk, .fir, .dogwood, …), application/json (heroku-go
// without its Transport) and wildcards. A missing header is let through, although Heroku
// answers 406 then, so that curl and plain HTTP clients work.
func negotiate(r *http.Request) error {
	h := r.Header.Get("Accept")
	if strings.TrimSpace(h) == "" {
		return nil
	}
	for _, part := range strings.Split(h, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json", "*/*", "application/*":
			return nil
		case "application/vnd.heroku+json":
			v := params["version"]
			if v == "3" || strings.HasPrefix(v, "3.") && len(v) > 2 {
				return nil
			}
		}
	}
	return herr(http.StatusNotAcceptable, "not_acceptable", "Accept header must be application/vnd.heroku+json; version=3, not %q.", h)
}

type userKey struct{}

func withUser(ctx context.Context, u *emulator.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// currentUser is the authenticated user of a request that passed ServeHTTP.
func currentUser(r *http.Request) *emulator.User {
	u, _ := r.Context().Value(userKey{}).(*emulator.User)
	return u
}

// authenticate finds the user of the request's token: "Authorization: Bearer TOKEN", or Basic
// with the token as password (the form netrc-based clients and heroku-go's Username/Password
// use).
func (s *Server) authenticate(r *http.Request) (*emulator.User, error) {
	token := ""
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		token = cred
	case "basic":
		if b, err := base64.StdEncoding.DecodeString(cred); err == nil {
			_, token, _ = strings.Cut(string(b), ":")
		}
	}
	var u *emulator.User
	if token != "" {
		_ = s.World.View(func(tx *emulator.Tx) error {
			u = tx.UserByToken(token)
			return nil
		})
	}
	if u == nil {
		return nil, herr(http.StatusUnauthorized, "unauthorized", "Invalid credentials provided.")
	}
	return u, nil
}

// errorBody is Heroku's error document.
type errorBody struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	URL     string `json:"url,omitempty"`
}

func writeError(w http.ResponseWriter, e *emulator.HerokuError) {
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, errorBody{ID: e.ID, Message: e.Message})
}

// fail serves err: a model refusal as its Heroku error, anything else as a logged 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := emulator.AsHeroku(err); ok {
		writeError(w, e)
		return
	}
	s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, internalError())
}

// writeJSON serves v with status. A 204 carries no body (a body on a 204 hangs the CLI).
func writeJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{ID: "internal_server_error", Message: "Internal server error."})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// view runs fn in a read transaction and serves its value with status.
func (s *Server) view(w http.ResponseWriter, r *http.Request, status int, fn func(tx *emulator.Tx) (any, error)) {
	var out any
	err := s.World.View(func(tx *emulator.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	s.reply(w, r, status, out, err)
}

// update runs fn in a write transaction and serves its value with status. A refusal leaves
// the model as it was (emulator operations validate before they change anything).
func (s *Server) update(w http.ResponseWriter, r *http.Request, status int, fn func(tx *emulator.Tx) (any, error)) {
	var out any
	err := s.World.Update(func(tx *emulator.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	s.reply(w, r, status, out, err)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, out any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p, ok := out.(page); ok {
		p.serve(w, r)
		return
	}
	writeJSON(w, status, out)
}

// ts renders a time as RFC 3339 in UTC, and the zero time as null (never "").
func ts(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// Range is a parsed Range request header: `<field> [<start>]..[<end>][; max=N[, order=desc]]`.
// A start written `]x` excludes x.
type Range struct {
	Field          string
	Start          string
	StartExclusive bool
	End            string
	Max            int // 0: the server's page size
	Desc           bool
}

// ParseRange parses a Range header. Values may contain dots (web.1), so the bounds are split at
// the first "..", and the field is separated from the bounds by the first space.
func ParseRange(h string) (Range, error) {
	var rg Range
	spec, params, _ := strings.Cut(strings.TrimSpace(h), ";")
	spec = strings.TrimSpace(spec)
	if field, bounds, ok := strings.Cut(spec, " "); ok {
		rg.Field, spec = field, strings.TrimSpace(bounds)
	} else if !strings.Contains(spec, "..") {
		rg.Field, spec = spec, ".."
	}
	start, end, ok := strings.Cut(spec, "..")
	if !ok {
		return Range{}, fmt.Errorf("range %q has no '..'", h)
	}
	if s, ok := strings.CutPrefix(start, "]"); ok {
		rg.Start, rg.StartExclusive = s, true
	} else {
		rg.Start = start
	}
	rg.End = end
	if strings.TrimSpace(params) != "" {
		for _, p := range strings.Split(params, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok {
				return Range{}, fmt.Errorf("range parameter %q is not key=value", p)
			}
			switch strings.TrimSpace(k) {
			case "max":
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 1 {
					return Range{}, fmt.Errorf("range max %q is not a positive integer", v)
				}
				rg.Max = min(n, maxPageSize)
			case "order":
				switch strings.TrimSpace(v) {
				case "asc":
					rg.Desc = false
				case "desc":
					rg.Desc = true
				default:
					return Range{}, fmt.Errorf("range order %q is neither asc nor desc", v)
				}
			default:
				return Range{}, fmt.Errorf("unknown range parameter %q", k)
			}
		}
	}
	return rg, nil
}

// String renders the range as a Range / Next-Range header value.
func (rg Range) String() string {
	var b strings.Builder
	if rg.Field != "" {
		b.WriteString(rg.Field + " ")
	}
	if rg.StartExclusive {
		b.WriteString("]")
	}
	b.WriteString(rg.Start + ".." + rg.End)
	if rg.Max > 0 {
		fmt.Fprintf(&b, "; max=%d", rg.Max)
		if rg.Desc {
			b.WriteString(", order=desc")
		}
	} else if rg.Desc {
		b.WriteString("; order=desc")
	}
	return b.String()
}

// page is a list answer still to be cut to the request's Range.
type page struct {
	items  []any
	keys   map[string][]string // range field → each item's key for that field
	fields []string            // fields allowed in Range, the first is the default
	size   int
}

// newPage prepares items for ranged serving. keyFns gives, per allowed Range field, the key
// of an item; keys must be unique per field so that Next-Range always makes progress.
func newPage[T any](s *Server, items []T, fields []string, keyFns ...func(T) string) page {
	p := page{keys: map[string][]string{}, fields: fields, size: s.PageSize}
	for _, it := range items {
		p.items = append(p.items, it)
	}
	for i, f := range fields {
		ks := make([]string, len(items))
		for j, it := range items {
			ks[j] = keyFns[i](it)
		}
		p.keys[f] = ks
	}
	return p
}

// serve answers with the part of the list the Range header asks for: sorted by the range
// field, after the start, up to the end, at most max items (default the page size, 200). When
// items remain it answers 206 with Next-Range `<field> ]<last key>..; max=N`, which starts
// strictly after the last item served; the last page has no Next-Range.
func (p page) serve(w http.ResponseWriter, r *http.Request) {
	rg := Range{}
	if h := r.Header.Get("Range"); strings.TrimSpace(h) != "" {
		var err error
		if rg, err = ParseRange(h); err != nil {
			writeError(w, herr(http.StatusRequestedRangeNotSatisfiable, "requested_range_not_satisfiable", "Invalid Range header: %v.", err))
			return
		}
	}
	if rg.Field == "" {
		rg.Field = p.fields[0]
	}
	keys, ok := p.keys[rg.Field]
	if !ok {
		writeError(w, herr(http.StatusRequestedRangeNotSatisfiable, "requested_range_not_satisfiable",
			"Range field %q is not supported here; use one of: %s.", rg.Field, strings.Join(p.fields, ", ")))
		return
	}
	size := rg.Max
	if size == 0 {
		size = p.size
		if size <= 0 {
			size = defaultPageSize
		}
		size = min(size, maxPageSize)
	}
	idx := make([]int, len(p.items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		c := strings.Compare(keys[a], keys[b])
		if rg.Desc {
			c = -c
		}
		return c
	})
	before := func(a, b string) bool { // a comes before b in the requested order
		if rg.Desc {
			return a > b
		}
		return a < b
	}
	out := []any{}
	more := false
	last := ""
	for _, i := range idx {
		k := keys[i]
		if rg.Start != "" && (before(k, rg.Start) || rg.StartExclusive && k == rg.Start) {
			continue
		}
		if rg.End != "" && before(rg.End, k) {
			continue
		}
		if len(out) == size {
			more = true
			break
		}
		out = append(out, p.items[i])
		last = k
	}
	status := http.StatusOK
	if more {
		next := Range{Field: rg.Field, Start: last, StartExclusive: true, End: rg.End, Max: size, Desc: rg.Desc}
		w.Header().Set("Next-Range", next.String())
		status = http.StatusPartialContent
	}
	writeJSON(w, status, out)
}

// required refuses a body that lacks required parameters (present[name] is false), naming
// them in order.
func required(present map[string]bool) error {
	var missing []string
	for name, ok := range present {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return herr(http.StatusUnprocessableEntity, "invalid_params", "Missing required params: %s.", strings.Join(missing, ", "))
}
