package fakeheroku

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spacelab-dev/spacelab/emulator"
)

// What the API refuses before an endpoint runs, and how request bodies are read. Every refusal
// is a Heroku error document and happens before the model is touched.

// cleanPath reports whether p is already in the form http.ServeMux would redirect it to
// (no "." or ".." elements, no doubled slashes). The mux answers an unclean path with an HTML
// 307 to the cleaned one, which would let /spaces/../account reach /account; the API answers
// 404 not_found instead, as for any path it does not serve.
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// errUnknownEndpoint is Heroku's 404 for a path no endpoint serves.
func errUnknownEndpoint() *emulator.HerokuError {
	return &emulator.HerokuError{Status: http.StatusNotFound, ID: "not_found",
		Message: "The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?"}
}

// jsonContentType reports whether a request body's Content-Type says JSON: application/json
// or any type ending in +json (what the Platform API parses). An absent Content-Type is let
// through so that curl -d with a JSON body still works.
func jsonContentType(h string) bool {
	if strings.TrimSpace(h) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(h)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// decodeBody reads a JSON object body into v. An empty body counts as {}. A body that is not
// JSON by its Content-Type, not UTF-8 or larger than 1 MiB is 400 bad_request, as is a syntax
// error; a value of the wrong type (named in JSON's words: string, integer, array, …) or a
// string with control characters is 422 invalid_params. Unknown keys are ignored: the CLI
// sends keys the schema does not define (features, generation) and echoes read-only fields
// back (the inbound ruleset PUT).
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return herr(http.StatusRequestEntityTooLarge, "request_entity_too_large", "Request body is larger than %d bytes.", maxBody)
		}
		return herr(http.StatusBadRequest, "bad_request", "Request body could not be read.")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		b = []byte("{}")
	} else if !jsonContentType(r.Header.Get("Content-Type")) {
		return herr(http.StatusBadRequest, "bad_request", "Request body must be JSON, sent with Content-Type: application/json, not %s.", strconv.QuoteToASCII(r.Header.Get("Content-Type")))
	}
	if !utf8.Valid(b) {
		return herr(http.StatusBadRequest, "bad_request", "Request body is not valid UTF-8.")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return herr(http.StatusBadRequest, "bad_request", "Request body must be a JSON object.")
			}
			return herr(http.StatusUnprocessableEntity, "invalid_params", "Invalid type for %s: expected %s, got %s.", te.Field, jsonType(te.Type), te.Value)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return herr(http.StatusBadRequest, "bad_request", "Invalid JSON in request body at byte %d.", se.Offset)
		}
		return herr(http.StatusBadRequest, "bad_request", "Invalid JSON in request body.")
	}
	if field, ok := controlIn(reflect.ValueOf(v), ""); ok {
		return herr(http.StatusUnprocessableEntity, "invalid_params", "Invalid value for %s: control characters are not allowed.", field)
	}
	return nil
}

// jsonType names a Go type the way a JSON client thinks of it.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// controlIn finds a string in the decoded body that holds a control character, and names its
// field (JSON path).
func controlIn(v reflect.Value, at string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return controlIn(v.Elem(), at)
	case reflect.String:
		return at, strings.IndexFunc(v.String(), unicode.IsControl) >= 0
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if at != "" {
				name = at + "." + name
			}
			if p, ok := controlIn(v.Field(i), name); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p, ok := controlIn(v.Index(i), at+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if p, ok := controlIn(it.Value(), at+"."+it.Key().String()); ok {
				return p, true
			}
		}
	}
	return "", false
}
