package fakeheroku

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFile is the official Platform API hyper-schema as shipped in heroku-go v5.5.0.
const schemaFile = "testdata/heroku-platform-schema-v5.json"

// schemaLink is one link of the hyper-schema: a method and href template, and the schema its
// response must satisfy.
type schemaLink struct {
	method   string
	href     string // as in the schema, decoded
	re       *regexp.Regexp
	literals int // literal path segments, to prefer the most specific match
	target   *jsonschema.Schema
}

// schemaChecker validates responses against the hyper-schema: for a 2xx with a body, the
// link's targetSchema (or, when the link has none, the definition the link belongs to, the
// interagent convention heroku-go follows). Answers from endpoints the schema does not define
// are checked only for being JSON; errors must be {"id","message"}; a 204 must be empty.
type schemaChecker struct {
	links []schemaLink
}

var (
	checkerOnce sync.Once
	checker     *schemaChecker
	checkerErr  error
)

// loadChecker compiles the schema once per test binary.
func loadChecker(t testing.TB) *schemaChecker {
	t.Helper()
	checkerOnce.Do(func() { checker, checkerErr = newSchemaChecker(schemaFile) })
	if checkerErr != nil {
		t.Fatalf("schema: %v", checkerErr)
	}
	return checker
}

var placeholderRE = regexp.MustCompile(`\{\([^)]*\)\}`)

func newSchemaChecker(path string) (*schemaChecker, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	stripMeta(doc)
	widenProviderRegions(doc)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(mustJSON(doc)))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	c.UseRegexpEngine(schemaRegexp)
	const base = "file:///heroku-platform-schema-v5.json"
	if err := c.AddResource(base, inst); err != nil {
		return nil, err
	}
	sc := &schemaChecker{}
	defs := doc["definitions"].(map[string]any)
	for name, d := range defs {
		links, _ := d.(map[string]any)["links"].([]any)
		for i, l := range links {
			link := l.(map[string]any)
			href, err := url.PathUnescape(link["href"].(string))
			if err != nil {
				return nil, err
			}
			loc := base + "#/definitions/" + name
			if _, ok := link["targetSchema"]; ok {
				loc = fmt.Sprintf("%s#/definitions/%s/links/%d/targetSchema", base, name, i)
			}
			target, err := c.Compile(loc)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", link["method"], href, err)
			}
			pat := "^" + strings.Join(splitTemplate(href), "") + "$"
			sc.links = append(sc.links, schemaLink{
				method: link["method"].(string), href: href, re: regexp.MustCompile(pat),
				literals: literalSegments(href), target: target,
			})
		}
	}
	for i, x := range extraLinks {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(strings.ReplaceAll(x.schema, "BASE", base)))
		if err != nil {
			return nil, fmt.Errorf("extra link %s %s: %w", x.method, x.href, err)
		}
		loc := fmt.Sprintf("file:///extra-%d.json", i)
		if err := c.AddResource(loc, doc); err != nil {
			return nil, err
		}
		target, err := c.Compile(loc)
		if err != nil {
			return nil, fmt.Errorf("extra link %s %s: %w", x.method, x.href, err)
		}
		sc.links = append(sc.links, schemaLink{method: x.method, href: x.href,
			re: regexp.MustCompile("^" + strings.Join(splitTemplate(x.href), "") + "$"), literals: literalSegments(x.href), target: target})
	}
	return sc, nil
}

// extraLinks are endpoints the CLI uses that the schema lacks but whose answers are made of
// schema resources: the CLI's accept (POST …/peerings {"pcx_id"}) answers a peering, and
// spaces:ps's GET …/dynos lists apps with schema dynos. BASE stands for the schema's URL.
var extraLinks = []struct{ method, href, schema string }{
	{"POST", "/spaces/{(space)}/peerings", `{"$ref": "BASE#/definitions/peering"}`},
	{"GET", "/spaces/{(space)}/dynos", `{"type": "array", "items": {"type": "object", "required": ["app_id", "app_name", "dynos"],
		"properties": {"app_id": {"$ref": "BASE#/definitions/app/definitions/id"}, "app_name": {"$ref": "BASE#/definitions/app/definitions/name"},
		"dynos": {"type": "array", "items": {"$ref": "BASE#/definitions/dyno"}}}}}`},
}

// splitTemplate turns an href template into regexp parts: literals quoted, placeholders as
// one path segment.
func splitTemplate(href string) []string {
	var parts []string
	rest := href
	for {
		loc := placeholderRE.FindStringIndex(rest)
		if loc == nil {
			return append(parts, regexp.QuoteMeta(rest))
		}
		parts = append(parts, regexp.QuoteMeta(rest[:loc[0]]), "[^/]+")
		rest = rest[loc[1]:]
	}
}

// literalSegments counts the path segments of an href template that are not placeholders.
func literalSegments(href string) int {
	n := 0
	for _, seg := range strings.Split(href, "/") {
		if seg != "" && !strings.Contains(seg, "{(") {
			n++
		}
	}
	return n
}

// stripMeta removes $schema and id keywords: the interagent meta-schema is not a draft the
// validator knows, and the definitions are plain draft-04 otherwise.
func stripMeta(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "$schema")
		if id, ok := x["id"].(string); ok && strings.HasPrefix(id, "http") {
			delete(x, "id")
		}
		for _, c := range x {
			stripMeta(c)
		}
	case []any:
		for _, c := range x {
			stripMeta(c)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// schemaRegexp compiles the schema's patterns with Go's regexp. The one construct RE2 lacks
// in this schema is the space name's "-(?!-)" (a dash not followed by a dash), which becomes
// a plain dash plus a separate "no --" check.
func schemaRegexp(s string) (jsonschema.Regexp, error) {
	if strings.Contains(s, "-(?!-)") {
		re, err := regexp.Compile(strings.ReplaceAll(s, "-(?!-)", "-"))
		if err != nil {
			return nil, err
		}
		return noDoubleDash{re}, nil
	}
	return regexp.Compile(s)
}

type noDoubleDash struct{ *regexp.Regexp }

func (r noDoubleDash) MatchString(s string) bool {
	return r.Regexp.MatchString(s) && !strings.Contains(s, "--")
}

// link finds the most specific link for a method and path.
func (sc *schemaChecker) link(method, path string) *schemaLink {
	var best *schemaLink
	for i := range sc.links {
		l := &sc.links[i]
		if l.method == method && l.re.MatchString(path) && (best == nil || l.literals > best.literals) {
			best = l
		}
	}
	return best
}

// check returns the problems of one response, or nil.
func (sc *schemaChecker) check(method, path string, status int, header http.Header, body []byte) error {
	if status == http.StatusNoContent {
		if len(body) != 0 {
			return fmt.Errorf("%s %s: 204 with a %d-byte body", method, path, len(body))
		}
		return nil
	}
	if ct := header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		return fmt.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %d body is not JSON: %v: %q", method, path, status, err, body)
	}
	if status/100 != 2 {
		e, ok := inst.(map[string]any)
		if !ok {
			return fmt.Errorf("%s %s: error body is not an object: %s", method, path, body)
		}
		if id, _ := e["id"].(string); id == "" {
			return fmt.Errorf("%s %s: error body has no id: %s", method, path, body)
		}
		if msg, _ := e["message"].(string); msg == "" {
			return fmt.Errorf("%s %s: error body has no message: %s", method, path, body)
		}
		return nil
	}
	l := sc.link(method, path)
	if l == nil {
		return nil // not in the schema: JSON is all that can be checked
	}
	if err := l.target.Validate(inst); err != nil {
		return fmt.Errorf("%s %s (schema link %s %s): %v\nbody: %s", method, path, l.method, l.href, err, body)
	}
	return nil
}

// checked wraps h so that every response it serves is checked against the schema; problems
// fail t. Tests get their servers through it.
func checked(t testing.TB, h http.Handler) http.Handler {
	sc := loadChecker(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if err := sc.check(r.Method, r.URL.Path, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Errorf("schema check: %v", err)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// TestSchemaCheckerCatchesBadResponses proves the checker can fail: each case is a response
// the real clients or the schema would reject.
func TestSchemaCheckerCatchesBadResponses(t *testing.T) {
	sc := loadChecker(t)
	jsonHdr := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	tests := []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		wantErr            string // substring; empty means the response is fine
	}{
		{"good space", "GET", "/spaces/s", 200, jsonHdr,
			`{"id":"01234567-89ab-cdef-0123-456789abcdef","name":"my-space","shield":false,"state":"allocated","created_at":"2020-01-01T00:00:00Z"}`, ""},
		{"empty time", "GET", "/spaces/s", 200, jsonHdr, `{"created_at":""}`, "created_at"},
		{"state not in enum", "GET", "/spaces/s", 200, jsonHdr, `{"state":"ready"}`, "state"},
		{"shield as string", "GET", "/spaces/s", 200, jsonHdr, `{"shield":"off"}`, "shield"},
		{"space name with double dash", "GET", "/spaces/s", 200, jsonHdr, `{"name":"a--b"}`, "name"},
		{"peering list of objects expected", "GET", "/spaces/s/peerings", 200, jsonHdr, `{"pcx_id":"pcx-1"}`, "array"},
		{"peering expires null", "GET", "/spaces/s/peerings", 200, jsonHdr, `[{"pcx_id":"pcx-1","expires":null}]`, "expires"},
		{"formation quantity as string", "PATCH", "/apps/a/formation", 200, jsonHdr, `[{"quantity":"2"}]`, "quantity"},
		{"topology domains not an array", "GET", "/spaces/s/topology", 200, jsonHdr, `{"apps":[{"domains":"x"}]}`, "domains"},
		{"accept link without targetSchema uses peering", "POST", "/spaces/s/peerings/pcx-1/actions/accept", 202, jsonHdr, `{"status":"done"}`, "status"},
		{"app web_url pattern", "GET", "/apps/x", 200, jsonHdr, `{"web_url":"http://x"}`, "web_url"},
		{"not JSON", "GET", "/account", 200, jsonHdr, `<html>`, "not JSON"},
		{"wrong content type", "GET", "/account", 200, http.Header{"Content-Type": {"text/plain"}}, `{}`, "Content-Type"},
		{"204 with body", "DELETE", "/spaces/s/peerings/p", 204, http.Header{}, `{}`, "204"},
		{"error without message", "GET", "/spaces/s", 404, jsonHdr, `{"id":"not_found"}`, "message"},
		{"error as text", "GET", "/spaces/s", 500, jsonHdr, `oops`, "not JSON"},
		{"undefined endpoint is JSON-checked only", "GET", "/spaces/s/hosts", 200, jsonHdr, `[{"anything":1}]`, ""},
		{"space dynos need app_name", "GET", "/spaces/s/dynos", 200, jsonHdr, `[{"app_id":"01234567-89ab-cdef-0123-456789abcdef","dynos":[]}]`, "app_name"},
		{"CLI accept answers a peering", "POST", "/spaces/s/peerings", 202, jsonHdr, `{"type":"friendly"}`, "type"},
		{"vpn ike_version as string", "GET", "/spaces/s/vpn-connections/office", 200, jsonHdr, `{"ike_version":"1"}`, "ike_version"},
		{"vpn status message null", "GET", "/spaces/s/vpn-connections", 200, jsonHdr, `[{"status_message":null}]`, "status_message"},
		{"vpn tunnel status lower case", "PATCH", "/spaces/s/vpn-connections/office", 200, jsonHdr, `{"tunnels":[{"status":"up"}]}`, "status"},
		{"vpn destroy answers a vpn-connection", "DELETE", "/spaces/s/vpn-connections/office", 202, jsonHdr, `{"status":"deleted"}`, "status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sc.check(tc.method, tc.path, tc.status, tc.header, []byte(tc.body))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected problem: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("checker accepted a bad response (want a problem mentioning %q)", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("problem %q does not mention %q", err, tc.wantErr)
			}
		})
	}
}

// TestSchemaLinksResolve checks that every endpoint the server implements finds its schema
// link (or is one of the few the schema lacks), so the wrapper really validates them.
func TestSchemaLinksResolve(t *testing.T) {
	sc := loadChecker(t)
	tests := []struct {
		method, path string
		wantHref     string // "" when the schema has no such link (JSON is checked only)
	}{
		{"GET", "/account", "/account"},
		{"GET", "/spaces", "/spaces"},
		{"GET", "/spaces/enablement-jp", "/spaces/{(#/definitions/space/definitions/identity)}"},
		{"GET", "/spaces/enablement-jp/nat", "/spaces/{(#/definitions/space/definitions/identity)}/nat"},
		{"GET", "/spaces/enablement-jp/peering-info", "/spaces/{(#/definitions/space/definitions/identity)}/peering-info"},
		{"GET", "/spaces/enablement-jp/peerings", "/spaces/{(#/definitions/space/definitions/identity)}/peerings"},
		{"GET", "/spaces/enablement-jp/peerings/pcx-1", "/spaces/{(#/definitions/space/definitions/identity)}/peerings/{(#/definitions/peering/definitions/pcx_id)}"},
		{"POST", "/spaces/enablement-jp/peerings/pcx-1/actions/accept", "/spaces/{(#/definitions/space/definitions/identity)}/peerings/{(#/definitions/peering/definitions/pcx_id)}/actions/accept"},
		{"DELETE", "/spaces/enablement-jp/peerings/pcx-1", "/spaces/{(#/definitions/space/definitions/identity)}/peerings/{(#/definitions/peering/definitions/pcx_id)}"},
		{"GET", "/spaces/enablement-jp/topology", "/spaces/{(#/definitions/space/definitions/identity)}/topology"},
		{"GET", "/teams/enablement", "/teams/{(#/definitions/team/definitions/identity)}"},
		{"GET", "/teams/enablement/spaces", "/teams/{(#/definitions/team/definitions/identity)}/spaces"},
		{"GET", "/apps/test-vpn-compute", "/apps/{(#/definitions/app/definitions/identity)}"},
		{"GET", "/apps/test-vpn-compute/dynos", "/apps/{(#/definitions/app/definitions/identity)}/dynos"},
		{"GET", "/apps/test-vpn-compute/formation", "/apps/{(#/definitions/app/definitions/identity)}/formation"},
		{"PATCH", "/apps/test-vpn-compute/formation/web", "/apps/{(#/definitions/app/definitions/identity)}/formation/{(#/definitions/formation/definitions/identity)}"},
		{"GET", "/apps/test-vpn-compute/addons", "/apps/{(#/definitions/app/definitions/identity)}/addons"},
		{"GET", "/apps/test-vpn-compute/collaborators", "/apps/{(#/definitions/app/definitions/identity)}/collaborators"},
		{"POST", "/teams/apps", "/teams/apps"},
		{"GET", "/spaces/enablement-jp/inbound-ruleset", "/spaces/{(#/definitions/space/definitions/identity)}/inbound-ruleset"},
		{"PUT", "/spaces/enablement-jp/inbound-ruleset", "/spaces/{(#/definitions/space/definitions/identity)}/inbound-ruleset"},
		{"GET", "/spaces/enablement-jp/dynos", "/spaces/{(space)}/dynos"},
		{"POST", "/spaces/enablement-jp/peerings", "/spaces/{(space)}/peerings"},
		{"GET", "/spaces/enablement-jp/hosts", ""},
		{"GET", "/apps", "/apps"},
		{"GET", "/teams/enablement/apps", "/teams/{(#/definitions/team/definitions/identity)}/apps"},
		{"GET", "/spaces/enablement-jp/inbound-rulesets/0a9d481c-0f85-43b0-a281-5865dd133cf1", "/spaces/{(#/definitions/space/definitions/identity)}/inbound-rulesets/{(#/definitions/inbound-ruleset/definitions/identity)}"},
		{"PATCH", "/apps/test-vpn-compute/formation", "/apps/{(#/definitions/app/definitions/identity)}/formation"},
		{"POST", "/spaces", "/spaces"},
		{"DELETE", "/apps/test-vpn-compute", "/apps/{(#/definitions/app/definitions/identity)}"},
		{"GET", "/spaces/enablement-jp/vpn-connections", "/spaces/{(#/definitions/space/definitions/identity)}/vpn-connections"},
		{"POST", "/spaces/enablement-jp/vpn-connections", "/spaces/{(#/definitions/space/definitions/identity)}/vpn-connections"},
		{"GET", "/spaces/enablement-jp/vpn-connections/office", "/spaces/{(#/definitions/space/definitions/identity)}/vpn-connections/{(#/definitions/vpn-connection/definitions/identity)}"},
		{"PATCH", "/spaces/enablement-jp/vpn-connections/office", "/spaces/{(#/definitions/space/definitions/identity)}/vpn-connections/{(#/definitions/vpn-connection/definitions/identity)}"},
		{"DELETE", "/spaces/enablement-jp/vpn-connections/123456789012", "/spaces/{(#/definitions/space/definitions/identity)}/vpn-connections/{(#/definitions/vpn-connection/definitions/identity)}"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			l := sc.link(tc.method, tc.path)
			got := ""
			if l != nil {
				got = l.href
			}
			if got != tc.wantHref {
				t.Fatalf("link = %q, want %q", got, tc.wantHref)
			}
		})
	}
}

// widenProviderRegions adds the AWS regions of the London and Montreal Private Space regions
// (eu-west-2, ca-central-1) to the region provider's enum: the v5.5.0 schema predates them,
// the schema shipped with heroku-go v6.1.0 lists them.
func widenProviderRegions(doc map[string]any) {
	region, _ := doc["definitions"].(map[string]any)["region"].(map[string]any)
	provider, _ := region["definitions"].(map[string]any)["provider"].(map[string]any)
	prop, _ := provider["properties"].(map[string]any)["region"].(map[string]any)
	if enum, ok := prop["enum"].([]any); ok {
		prop["enum"] = append(enum, "eu-west-2", "ca-central-1")
	}
}
