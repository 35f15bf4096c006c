// Package fakeheroku is spacelab's fake Heroku Platform API: the endpoints the real `heroku`
// CLI (npm package heroku, v10/v11) and github.com/heroku/heroku-go call for Private Spaces,
// their peerings, VPN connections, trusted IP ranges, apps, formations and dynos. It is a thin
// JSON facade over the one model in package emulator: every answer is rendered from an
// emulator.World and every change goes through World.Update, so a peering requested in fake
// AWS shows up here as pending-acceptance and accepting it here makes it active on the AWS
// side.
//
// Point the real CLI at it with HEROKU_HOST=http://127.0.0.1:PORT, HEROKU_API_KEY=<a user's
// token> and HEROKU_PARTICLEBOARD_URL=http://127.0.0.1:PORT (the CLI's delinquency side call
// is answered by the same GET /account). The wire conventions it follows are those of
// shared/reference/heroku-api.md: any Accept of application/vnd.heroku+json; version=3[.variant]
// or application/json, Bearer (or Basic with the token as password) authentication, Range /
// Next-Range pagination, {"id","message"} errors, JSON on every 2xx.
//
// Tests: go test ./fakeheroku/ — the real-CLI tests need /opt/heroku-cli/node_modules/.bin/heroku
// (npm i heroku@11.10.0 there); without it they skip, and under CI=true they fail.
package fakeheroku

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// Server is the fake Heroku Platform API. The zero value is usable: it lazily creates an empty
// world (which has no users, so every request is refused until a user is added to World).
// Fields must not be changed once the server has handled a request.
type Server struct {
	// World is the model the API reads and changes. Nil means a fresh, empty emulator.World.
	World *emulator.World

	// Logger receives one line per request (method, path, status, request ids) and the
	// details of internal errors, with the attribute component=fakeheroku. Nil discards.
	Logger *slog.Logger

	// PageSize is the number of list items served when the request has no Range max. Zero
	// means 200, Heroku's default page; tests set it small to exercise Next-Range the way
	// lists of more than 200 items would. Values above 1000 (Heroku's maximum) are clamped.
	PageSize int

	// RateLimitRemaining is the value of the RateLimit-Remaining header on every answer. Zero
	// means 4500, a full hourly budget. Heroku counts requests per account and answers 429
	// rate_limit when the budget is spent; the fake does not count (use Fault to model a 429).
	RateLimitRemaining int

	// Fault, when set, runs after authentication and before the endpoint. It models failures
	// of the real service: a returned *emulator.HerokuError is served as is (for example 503
	// unavailable or 429 rate_limit), any other error as 500, and a panic as 500 like a panic
	// in an endpoint. Returning nil lets the request through.
	Fault func(r *http.Request) error

	// SpaceAllocationTime is how long a space created through POST /spaces stays allocating
	// before it is allocated (Heroku takes minutes; spaces:wait polls for it). Zero allocates
	// it at the first request after the one that created it, so the create answer still says
	// allocating. The server moves due spaces on before handling each request (the model's
	// FinishSpaceAllocations); spaces loaded from a topology are allocated from the start.
	SpaceAllocationTime time.Duration

	// Logs, when set, is where `heroku logs` (POST /apps/{app}/log-sessions) reads an app's
	// log lines. Nil serves log sessions with no lines.
	Logs LogSource

	once sync.Once
	logs logSessions
	mux  *http.ServeMux
	log  *slog.Logger
}

func (s *Server) init() {
	s.once.Do(func() {
		if s.World == nil {
			s.World = emulator.NewWorld(emulator.Options{Logger: s.Logger})
		}
		l := s.Logger
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		s.log = l.With("component", "fakeheroku")
		s.mux = http.NewServeMux()
		s.routes()
	})
}

// routes registers every endpoint. Paths follow the Platform API schema; identities in the
// path are names or ids.
func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /account", s.getAccount)
	m.HandleFunc("GET /regions", s.listRegions)
	m.HandleFunc("GET /regions/{region}", s.getRegion)

	m.HandleFunc("GET /spaces", s.listSpaces)
	m.HandleFunc("POST /spaces", s.createSpace)
	m.HandleFunc("GET /spaces/{space}", s.getSpace)
	m.HandleFunc("PATCH /spaces/{space}", s.updateSpace)
	m.HandleFunc("DELETE /spaces/{space}", s.deleteSpace)
	m.HandleFunc("GET /spaces/{space}/nat", s.getSpaceNAT)
	m.HandleFunc("GET /spaces/{space}/topology", s.getSpaceTopology)
	m.HandleFunc("GET /spaces/{space}/dynos", s.listSpaceDynos)
	m.HandleFunc("GET /spaces/{space}/hosts", s.listSpaceHosts)

	m.HandleFunc("GET /spaces/{space}/peering-info", s.getPeeringInfo)
	m.HandleFunc("GET /spaces/{space}/peerings", s.listPeerings)
	m.HandleFunc("POST /spaces/{space}/peerings", s.acceptPeeringByBody)
	m.HandleFunc("GET /spaces/{space}/peerings/{pcx}", s.getPeering)
	m.HandleFunc("POST /spaces/{space}/peerings/{pcx}/actions/accept", s.acceptPeering)
	m.HandleFunc("DELETE /spaces/{space}/peerings/{pcx}", s.destroyPeering)

	m.HandleFunc("GET /spaces/{space}/vpn-connections", s.listVPNConnections)
	m.HandleFunc("POST /spaces/{space}/vpn-connections", s.createVPNConnection)
	m.HandleFunc("GET /spaces/{space}/vpn-connections/{vpn}", s.getVPNConnection)
	m.HandleFunc("PATCH /spaces/{space}/vpn-connections/{vpn}", s.updateVPNConnection)
	m.HandleFunc("DELETE /spaces/{space}/vpn-connections/{vpn}", s.destroyVPNConnection)

	m.HandleFunc("GET /spaces/{space}/inbound-ruleset", s.getInboundRuleset)
	m.HandleFunc("PUT /spaces/{space}/inbound-ruleset", s.putInboundRuleset)
	m.HandleFunc("GET /spaces/{space}/inbound-rulesets", s.listInboundRulesets)
	m.HandleFunc("GET /spaces/{space}/inbound-rulesets/{id}", s.getInboundRulesetByID)

	m.HandleFunc("GET /teams/{team}", s.getTeam)
	m.HandleFunc("GET /teams/{team}/spaces", s.listTeamSpaces)
	m.HandleFunc("GET /teams/{team}/apps", s.listTeamApps)
	m.HandleFunc("POST /teams/apps", s.createTeamApp)

	m.HandleFunc("GET /apps", s.listApps)
	m.HandleFunc("POST /apps", s.createApp)

	m.HandleFunc("GET /apps/{app}", s.getApp)
	m.HandleFunc("DELETE /apps/{app}", s.deleteApp)
	m.HandleFunc("GET /apps/{app}/addons", s.listAddons)
	m.HandleFunc("POST /apps/{app}/addons", s.createAddon)
	m.HandleFunc("GET /apps/{app}/addons/{addon}", s.getAddon)
	m.HandleFunc("DELETE /apps/{app}/addons/{addon}", s.destroyAddon)
	m.HandleFunc("GET /apps/{app}/addon-attachments", s.listAttachments)
	m.HandleFunc("GET /addons", s.listAddons)
	m.HandleFunc("GET /addons/{addon}", s.getAddon)
	m.HandleFunc("GET /addons/{addon}/addon-attachments", s.listAttachments)
	m.HandleFunc("GET /addon-attachments", s.listAttachments)
	m.HandleFunc("POST /actions/addons/resolve", s.resolveAddon)
	m.HandleFunc("POST /actions/addon-attachments/resolve", s.resolveAttachment)
	m.HandleFunc("GET /apps/{app}/collaborators", s.listCollaborators)
	m.HandleFunc("GET /apps/{app}/pipeline-couplings", s.getPipelineCoupling)
	m.HandleFunc("GET /apps/{app}/dynos", s.listDynos)
	m.HandleFunc("POST /apps/{app}/log-sessions", s.createLogSession)
	m.HandleFunc("DELETE /apps/{app}/dynos", s.restartDynos)
	m.HandleFunc("DELETE /apps/{app}/dynos/{dyno}", s.restartDynos)
	m.HandleFunc("DELETE /apps/{app}/formations/{type}", s.restartDynos)
	m.HandleFunc("GET /apps/{app}/config-vars", s.getConfigVars)
	m.HandleFunc("PATCH /apps/{app}/config-vars", s.updateConfigVars)
	m.HandleFunc("GET /apps/{app}/releases", s.listReleases)
	m.HandleFunc("GET /apps/{app}/formation", s.listFormation)
	m.HandleFunc("PATCH /apps/{app}/formation", s.batchUpdateFormation)
	m.HandleFunc("GET /apps/{app}/formation/{type}", s.getFormation)
	m.HandleFunc("PATCH /apps/{app}/formation/{type}", s.updateFormation)

	m.HandleFunc("/", s.unknownRoute)
}

// ServeHTTP answers one API request: request id, panic recovery, content negotiation,
// authentication, the Fault hook, due space allocations, then the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w}
	id := newUUID()
	rw.Header().Set("Request-Id", id)
	limit := s.RateLimitRemaining
	if limit == 0 {
		limit = 4500
	}
	rw.Header().Set("RateLimit-Remaining", fmt.Sprint(limit))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "request_id", id, "panic", fmt.Sprint(v))
			if !rw.wrote {
				writeError(rw, internalError())
			}
		}
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rw.status, "request_id", id,
			"client_request_ids", r.Header.Get("Request-Id"), "duration", time.Since(start))
	}()
	if !cleanPath(r.URL.Path) {
		writeError(rw, errUnknownEndpoint())
		return
	}
	if strings.HasPrefix(r.URL.Path, logplexPath) {
		s.serveLogplex(rw, r)
		return
	}
	if err := negotiate(r); err != nil {
		s.fail(rw, r, err)
		return
	}
	user, err := s.authenticate(r)
	if err != nil {
		s.fail(rw, r, err)
		return
	}
	if s.Fault != nil {
		if err := s.Fault(r); err != nil {
			s.fail(rw, r, err)
			return
		}
	}
	if err := s.settleSpaces(); err != nil {
		s.fail(rw, r, err)
		return
	}
	s.mux.ServeHTTP(rw, r.WithContext(withUser(r.Context(), user)))
}

// settleSpaces allocates the spaces whose allocation time has come. It writes to the world
// only when one is due, so reads do not advance its generation.
func (s *Server) settleSpaces() error {
	due := false
	_ = s.World.View(func(tx *emulator.Tx) error {
		due = len(tx.DueSpaceAllocations(s.SpaceAllocationTime)) > 0
		return nil
	})
	if !due {
		return nil
	}
	return s.World.Update(func(tx *emulator.Tx) error {
		tx.FinishSpaceAllocations(s.SpaceAllocationTime)
		return nil
	})
}

// unknownRoute answers paths no endpoint serves: 405 when the path exists for another
// method, else Heroku's 404 for an unknown endpoint.
func (s *Server) unknownRoute(w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			writeError(w, &emulator.HerokuError{Status: http.StatusMethodNotAllowed, ID: "method_not_allowed",
				Message: fmt.Sprintf("The requested API endpoint does not support %s. Are you using the right HTTP verb?", r.Method)})
			return
		}
	}
	writeError(w, errUnknownEndpoint())
}

// statusWriter remembers the status for the access log and whether a header went out.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes, deadlines of a log stream).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newUUID returns a random version-4 UUID for request ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
