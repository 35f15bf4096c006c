package fakeheroku

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// LogSource gives the lines an app's dynos and routers logged, in Heroku's log format
// (TIMESTAMP SOURCE[NAME]: text), oldest first. lab.Lab implements it from the data plane's
// output logs.
type LogSource interface {
	AppLogs(ctx context.Context, app string) ([]string, error)
}

// logplexPath is where the fake serves the log sessions' streams (the logplex_url of a log
// session), on the API's own listener. Like Heroku's logplex URL it needs no token: the
// session id is the secret.
const logplexPath = "/_spacelab/logplex/sessions/"

// logSessionTTL is how long a log session's URL may be opened after it was created.
const logSessionTTL = 5 * time.Minute

type logSession struct {
	app, dyno, source string
	lines             int
	tail              bool
	created           time.Time
}

type logSessions struct {
	mu sync.Mutex
	m  map[string]*logSession
}

func (ls *logSessions) add(id string, s *logSession) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.m == nil {
		ls.m = map[string]*logSession{}
	}
	for k, v := range ls.m {
		if time.Since(v.created) > logSessionTTL {
			delete(ls.m, k)
		}
	}
	ls.m[id] = s
}

func (ls *logSessions) get(id string) *logSession {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	s := ls.m[id]
	if s == nil || time.Since(s.created) > logSessionTTL {
		return nil
	}
	return s
}

type logSessionJSON struct {
	CreatedAt  *string `json:"created_at"`
	ID         string  `json:"id"`
	LogplexURL string  `json:"logplex_url"`
	UpdatedAt  *string `json:"updated_at"`
}

// createLogSession serves POST /apps/{app}/log-sessions (heroku logs): a session whose
// logplex_url streams the app's log lines as server-sent events, the last `lines` (default
// 100, at most 1500) of them, then, with tail, new lines as they are written.
func (s *Server) createLogSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Dyno   string `json:"dyno"`
		Lines  *int   `json:"lines"`
		Source string `json:"source"`
		Tail   bool   `json:"tail"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	lines := 100
	if body.Lines != nil {
		lines = *body.Lines
	}
	if lines < 0 || lines > 1500 {
		s.fail(w, r, herr(http.StatusUnprocessableEntity, "invalid_params", "lines must be between 0 and 1500."))
		return
	}
	s.view(w, r, http.StatusCreated, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		id := newUUID()
		s.logs.add(id, &logSession{app: app.Name, dyno: body.Dyno, source: body.Source, lines: lines, tail: body.Tail, created: time.Now()})
		now := ts(time.Now())
		return logSessionJSON{CreatedAt: now, ID: id, LogplexURL: "http://" + r.Host + logplexPath + id, UpdatedAt: now}, nil
	})
}

// serveLogplex streams a log session: each line is one server-sent event. Without tail the
// stream ends after the recent lines; with tail it stays open and sends new lines until the
// client goes away. An unknown or expired session is 404, which the CLI reports as a timed
// out log stream.
func (s *Server) serveLogplex(w http.ResponseWriter, r *http.Request) {
	sess := s.logs.get(strings.TrimPrefix(r.URL.Path, logplexPath))
	if sess == nil || r.Method != http.MethodGet {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	read := func() []string {
		if s.Logs == nil {
			return nil
		}
		all, err := s.Logs.AppLogs(r.Context(), sess.app)
		if err != nil {
			s.log.Info("log session: no logs", "app", sess.app, "err", err)
			return nil
		}
		var out []string
		for _, l := range all {
			if sess.keeps(l) {
				out = append(out, l)
			}
		}
		return out
	}
	rc := http.NewResponseController(w)
	if sess.tail {
		_ = rc.SetWriteDeadline(time.Time{}) // a tail lasts as long as the client stays
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flush := func() { _ = rc.Flush() }
	lines := read()
	start := max(0, len(lines)-sess.lines)
	for _, l := range lines[start:] {
		fmt.Fprintf(w, "data: %s\n\n", l)
	}
	flush()
	if !sess.tail {
		return
	}
	seen := len(lines)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		lines := read()
		if len(lines) < seen { // a restarted data plane: the logs began again
			seen = 0
		}
		for _, l := range lines[seen:] {
			fmt.Fprintf(w, "data: %s\n\n", l)
		}
		if len(lines) > seen {
			flush()
		}
		seen = len(lines)
	}
}

// keeps says whether the session's filters (dyno: a name like web.1, a process type like web,
// or router; source: app or heroku) let line through.
func (sess *logSession) keeps(line string) bool {
	_, rest, ok := strings.Cut(line, " ")
	if !ok {
		return false
	}
	tag, _, ok := strings.Cut(rest, ": ")
	if !ok {
		return false
	}
	source, name, _ := strings.Cut(strings.TrimSuffix(tag, "]"), "[")
	if sess.source != "" && sess.source != source {
		return false
	}
	if sess.dyno != "" && name != sess.dyno && !strings.HasPrefix(name, sess.dyno+".") {
		return false
	}
	return true
}
