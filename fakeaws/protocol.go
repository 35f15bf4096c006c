package fakeaws

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// Namespaces and API versions of the two services.
const (
	ec2Version = "2016-11-15"
	ec2NS      = "http://ec2.amazonaws.com/doc/2016-11-15/"
	stsVersion = "2011-06-15"
	stsNS      = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// maxBody bounds a request body; EC2 Query requests are small.
const maxBody = 1 << 20

// request is one authenticated API call on its way through a handler.
type request struct {
	Action    string
	Params    params
	Caller    emulator.Caller
	Key       *emulator.AccessKey
	DryRun    bool
	RequestID string
}

// response is the body of an EC2 success document: a struct whose fields are the output
// members. The server wraps it in <ActionResponse xmlns=…><requestId>…</requestId>.
type response any

// ec2Doc is an EC2 success document around a rendered body.
type ec2Doc struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	RequestID string `xml:"requestId"`
	Body      string `xml:",innerxml"`
}

// ec2Document renders body's fields inside the response envelope of action.
func ec2Document(action, requestID string, body any) (*ec2Doc, error) {
	var b bytes.Buffer
	if err := xml.NewEncoder(&b).EncodeElement(body, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
		return nil, fmt.Errorf("fakeaws: render %s: %w", action, err)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(b.String(), "<x>"), "</x>")
	return &ec2Doc{XMLName: xml.Name{Local: action + "Response"}, Xmlns: ec2NS, RequestID: requestID, Body: inner}, nil
}

// returnResponse is the answer of actions with no output members: <return>true</return>.
type returnResponse struct {
	Return bool `xml:"return"`
}

func ok() response { return &returnResponse{Return: true} }

// handler serves one EC2 action.
type handler func(s *Server, r *request) (response, error)

// ec2Actions maps every EC2 action the server implements to its handler.
var ec2Actions = map[string]handler{}

func register(action string, h handler) { ec2Actions[action] = h }

// errDryRun is EC2's answer to a DryRun request that would have succeeded.
var errDryRun = &emulator.AWSError{Code: "DryRunOperation", Message: "Request would have succeeded, but DryRun flag is set.", Status: http.StatusPreconditionFailed}

// view runs fn read-only. A DryRun request gets DryRunOperation when fn succeeds.
func (s *Server) view(r *request, fn func(tx *emulator.Tx) error) error {
	if err := s.World.View(fn); err != nil {
		return err
	}
	if r.DryRun {
		return errDryRun
	}
	return nil
}

// update runs fn in a write transaction; a DryRun request runs it against a throw-away copy
// of the world and gets DryRunOperation when fn succeeds (or fn's error when it would fail).
func (s *Server) update(r *request, fn func(tx *emulator.Tx) error) error {
	if r.DryRun {
		if err := s.World.DryRun(fn); err != nil {
			return err
		}
		return errDryRun
	}
	return s.World.Update(fn)
}

// dialect is the error format a request is answered in.
type dialect int

const (
	dialectEC2 dialect = iota
	dialectSTS
)

// ServeHTTP serves one Query API request: read and parse the body, check the SigV4
// signature, dispatch on Action, and write the XML answer. It never panics.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	s.init()
	start := time.Now()
	reqID := newRequestID()
	st := &outcome{dialect: dialectEC2}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("handler panic", "panic", fmt.Sprint(p), "action", st.action, "request_id", reqID, "stack", string(debug.Stack()))
			st.err = errInternal
			st.resp = nil
		}
		s.write(w, st, reqID)
		s.log.Info("request", "action", st.action, "account", st.caller.Account, "region", st.caller.Region,
			"status", st.status, "code", st.code, "request_id", reqID, "duration", time.Since(start))
	}()
	st.resp, st.err = s.serve(hr, reqID, st)
}

// outcome collects what ServeHTTP writes and logs.
type outcome struct {
	dialect dialect
	action  string
	caller  emulator.Caller
	resp    any
	err     error
	status  int
	code    string
}

func (s *Server) serve(hr *http.Request, reqID string, st *outcome) (any, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, hr.Body, maxBody))
	if err != nil {
		return nil, &emulator.AWSError{Code: "RequestEntityTooLarge", Message: "Request body is too large or unreadable", Status: http.StatusRequestEntityTooLarge}
	}
	p, err := parseParams(string(body), hr.URL.RawQuery)
	if err != nil {
		return nil, emulator.AWSErr("MalformedQueryString", "The request's query string is malformed: %v", err)
	}
	st.action = p.get("Action")
	if p.get("Version") == stsVersion {
		st.dialect = dialectSTS
	}
	auth := hr.Header.Get("Authorization")
	if auth == "" {
		return nil, s.authErr(st, "MissingAuthenticationToken", "Request is missing Authentication Token", "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.")
	}
	cred, err := parseAuthorization(auth)
	if err != nil {
		return nil, &emulator.AWSError{Code: "IncompleteSignature", Message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters with the AWS4-HMAC-SHA256 algorithm.", Status: s.statusFor(st, http.StatusBadRequest)}
	}
	switch cred.Service {
	case "sts":
		st.dialect = dialectSTS
	case "ec2":
		st.dialect = dialectEC2
	default:
		return nil, s.authErr(st, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'ec2'.", "Credential should be scoped to correct service: 'ec2'.")
	}
	when, err := requestTime(hr)
	if err != nil {
		return nil, &emulator.AWSError{Code: "IncompleteSignature", Message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", Status: s.statusFor(st, http.StatusBadRequest)}
	}
	now := s.now()
	if d := now.Sub(when); d > maxSkew || d < -maxSkew {
		if st.dialect == dialectSTS {
			return nil, &emulator.AWSError{Code: "SignatureDoesNotMatch", Status: http.StatusForbidden,
				Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)", when.UTC().Format(amzDateFormat), now.Add(-maxSkew).UTC().Format(amzDateFormat), now.UTC().Format(amzDateFormat))}
		}
		return nil, emulator.AWSErr("RequestExpired", "Request has expired. Timestamp date is %s", when.UTC().Format(amzDateFormat))
	}
	var key *emulator.AccessKey
	_ = s.World.View(func(tx *emulator.Tx) error {
		if k := tx.AccessKey(cred.AccessKey); k != nil {
			kk := *k
			key = &kk
		}
		return nil
	})
	if key == nil {
		return nil, s.authErr(st, "InvalidClientTokenId", "The security token included in the request is invalid.", "AWS was not able to validate the provided access credentials")
	}
	if cred.Date != when.UTC().Format("20060102") || !slices.Contains(emulator.Regions(), cred.Region) ||
		!signatureMatches(cred.Signature, signature(hr, body, cred, key.Secret)) {
		return nil, s.authErr(st, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", "AWS was not able to validate the provided access credentials")
	}
	st.caller = emulator.Caller{Account: key.Account, Region: cred.Region}
	if !s.regionEnabled(st.caller) {
		// A region the account has not enabled does not know its credentials.
		return nil, s.authErr(st, "InvalidClientTokenId", "The security token included in the request is invalid.", "AWS was not able to validate the provided access credentials")
	}
	r := &request{Action: st.action, Params: p, Caller: st.caller, Key: key, RequestID: reqID}
	if st.action == "" {
		return nil, emulator.AWSErr("MissingAction", "The request must contain the parameter Action")
	}
	if err := checkInput(p, st.dialect, st.action); err != nil {
		return nil, err
	}
	if s.Inject != nil {
		if e := s.Inject(r.Action, r.Caller); e != nil {
			return nil, e
		}
	}
	if st.dialect == dialectSTS {
		return s.serveSTS(r)
	}
	h := ec2Actions[r.Action]
	if h == nil {
		return nil, emulator.AWSErr("InvalidAction", "The action %s is not valid for this web service.", r.Action)
	}
	if err := s.ensureDefaultVPC(r.Caller); err != nil {
		return nil, err
	}
	if r.DryRun, err = p.boolean("DryRun", false); err != nil {
		return nil, err
	}
	return h(s, r)
}

// regionEnabled reports whether the caller's account may call the caller's region: an
// opt-in region it has not enabled answers every call with an authentication failure.
func (s *Server) regionEnabled(c emulator.Caller) bool {
	ok := false
	_ = s.World.View(func(tx *emulator.Tx) error { ok = tx.RegionEnabled(c.Account, c.Region); return nil })
	return ok
}

// authErr picks the STS or EC2 spelling of an authentication failure: STS answers 403 with
// its own code, EC2 answers 401 AuthFailure (MissingAuthenticationToken keeps its code).
func (s *Server) authErr(st *outcome, stsCode, stsMsg, ec2Msg string) error {
	if st.dialect == dialectSTS {
		return &emulator.AWSError{Code: stsCode, Message: stsMsg, Status: http.StatusForbidden}
	}
	code := "AuthFailure"
	if stsCode == "MissingAuthenticationToken" {
		code = stsCode
	}
	return &emulator.AWSError{Code: code, Message: ec2Msg, Status: http.StatusUnauthorized}
}

func (s *Server) statusFor(st *outcome, ec2Status int) int {
	if st.dialect == dialectSTS {
		return http.StatusBadRequest
	}
	return ec2Status
}

// errInternal is the answer to a bug: a handler panic or a response that cannot be rendered.
var errInternal = &emulator.AWSError{Code: "InternalError", Message: "An internal error has occurred", Status: http.StatusInternalServerError}

// write sends the outcome: the success document, or the error document of the dialect.
func (s *Server) write(w http.ResponseWriter, st *outcome, reqID string) {
	body := s.render(st, reqID)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(st.status)
	_, _ = w.Write(body)
}

func (s *Server) render(st *outcome, reqID string) []byte {
	if st.err == nil {
		b, err := s.renderSuccess(st, reqID)
		if err == nil {
			st.status = http.StatusOK
			return b
		}
		s.log.Error("render response", "action", st.action, "err", err)
		st.err = errInternal
	}
	e, ok := emulator.AsAWS(st.err)
	if !ok {
		s.log.Error("unexpected error", "action", st.action, "err", st.err)
		e = errInternal
	}
	st.status, st.code = e.HTTPStatus(), e.Code
	var doc any = ec2ErrorDoc{Errors: []ec2Error{{Code: e.Code, Message: e.Message}}, RequestID: reqID}
	if st.dialect == dialectSTS {
		doc = stsErrorDoc{Xmlns: stsNS, Error: stsError{Type: stsErrorType(e), Code: e.Code, Message: e.Message}, RequestID: reqID}
	}
	b, _ := marshal(doc) // the error documents are plain strings and always encode
	return b
}

func (s *Server) renderSuccess(st *outcome, reqID string) ([]byte, error) {
	doc := st.resp
	if st.dialect == dialectEC2 {
		d, err := ec2Document(st.action, reqID, st.resp)
		if err != nil {
			return nil, err
		}
		doc = d
	}
	return marshal(doc)
}

func marshal(doc any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
		return nil, fmt.Errorf("fakeaws: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// ec2ErrorDoc is EC2's error document:
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
type ec2ErrorDoc struct {
	XMLName   xml.Name   `xml:"Response"`
	Errors    []ec2Error `xml:"Errors>Error"`
	RequestID string     `xml:"RequestID"`
}

type ec2Error struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// stsErrorDoc is the Query-protocol error document STS uses.
type stsErrorDoc struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     stsError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

type stsError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func stsErrorType(e *emulator.AWSError) string {
	if e.HTTPStatus() >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// newRequestID returns a random UUID, the form EC2 request ids take.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// notFound builds an EC2 NotFound error for ids that do not exist.
func notFound(code, noun string, ids []string) error {
	if len(ids) == 1 {
		return emulator.AWSErr(code, "The %s ID '%s' does not exist", noun, ids[0])
	}
	return emulator.AWSErr(code, "The %s IDs '%s' do not exist", noun, joinIDs(ids))
}

func joinIDs(ids []string) string {
	var b bytes.Buffer
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(id)
	}
	return b.String()
}

// items is an EC2 list: a wrapper element with one <item> per entry. It always renders the
// wrapper, so an empty list reads as [] rather than a missing member.
type items[T any] struct {
	Items []T `xml:"item"`
}

func list[T any](xs []T) items[T] { return items[T]{Items: xs} }

// timestamp spells a time the way EC2 does: 2026-11-30T07:14:03.000Z.
func timestamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05.000Z")
}
