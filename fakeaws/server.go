// Package fakeaws is spacelab's fake AWS endpoint: the EC2 Query API (Version 2016-11-15) and
// STS GetCallerIdentity (Version 2011-06-15), served over plain HTTP from the shared model in
// package emulator. Real clients drive it unchanged — AWS CLI v2 with --endpoint-url,
// aws-sdk-go-v2 with BaseEndpoint, boto3 with endpoint_url.
//
// Every request must carry a valid SigV4 signature made with an access key the world knows
// (emulator.Tx.AddAccessKey). The key decides the caller's account and the credential scope its
// region, so one endpoint serves every account and region: a caller sees only the resources of
// its own account and region, as on AWS. Responses are rendered from the model on each call;
// errors are EC2's (or STS's) error documents with EC2's codes, messages and HTTP statuses.
//
// Actions: docs/ec2-actions.md lists every EC2 action served and every well-known networking
// action refused (InvalidAction, like any action not served), generated from the handler table
// by Actions (go run ./cmd/ec2-actions); STS serves GetCallerIdentity. Regions and zones
// are AWS's commercial ones (emulator.AWSRegions); an opt-in region the account has not
// enabled answers AuthFailure. Unknown parameters are ignored (newer clients send members
// the emulator does not know); parameters for features spacelab does not model (IPv6
// addresses on instances, egress-only gateways, IPv6 prefix lists) are refused with
// UnsupportedOperation.
//
// The package needs no privilege and no network beyond loopback:
//
//	go test ./fakeaws/
//
// The tests that run the real AWS CLI v2 use /usr/bin/aws (Debian's awscli), the boto3 test
// Debian's /usr/bin/python3 with python3-boto3 (testdata/boto3/flow.py); they are skipped
// without them, or fail under CI=true.
package fakeaws

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// Server is the fake EC2 + STS endpoint. The zero value is usable: it lazily creates an empty
// world (which knows no access keys, so every request is refused until one is added). Set the
// fields before the server handles its first request and leave them alone afterwards; the
// world itself is safe to change at any time through World.Update.
type Server struct {
	// World is the model the API reads and changes. Nil means a new empty world on first use.
	World *emulator.World

	// Logger receives one record per request (component=fakeaws). Nil discards them.
	Logger *slog.Logger

	// Now is the clock the SigV4 check compares X-Amz-Date with; EC2 refuses requests more
	// than 15 minutes off (RequestExpired). Nil means time.Now. Resource timestamps come from
	// the world's own clock instead.
	Now func() time.Time

	// Inject, when set, is called for every authenticated request before it is served. A
	// non-nil *emulator.AWSError it returns is answered instead of the real result, which
	// models service-side faults (throttling, outages) deterministically; real EC2 has no such
	// switch. A panic in it is treated like a panic anywhere in a handler: the caller gets a
	// 500 InternalError and the server keeps running.
	Inject func(action string, c emulator.Caller) *emulator.AWSError

	once sync.Once
	log  *slog.Logger
}

func (s *Server) init() {
	s.once.Do(func() {
		if s.World == nil {
			s.World = emulator.NewWorld(emulator.Options{})
		}
		l := s.Logger
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		s.log = l.With("component", "fakeaws")
	})
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

var _ http.Handler = (*Server)(nil)
