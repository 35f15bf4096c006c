package fakeaws

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sigV4Algorithm is the only signing algorithm EC2 and STS accept from current clients.
const sigV4Algorithm = "AWS4-HMAC-SHA256"

// amzDateFormat is the basic ISO 8601 form of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// maxSkew is how far X-Amz-Date may be from the server's clock.
const maxSkew = 15 * time.Minute

// credential is the parsed Authorization header of a SigV4 request.
type credential struct {
	AccessKey     string
	Date          string // yyyymmdd of the scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// errMalformedAuth reports an Authorization header that is not a SigV4 header.
var errMalformedAuth = errors.New("fakeaws: malformed Authorization header")

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/ec2/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (credential, error) {
	var c credential
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != sigV4Algorithm {
		return c, fmt.Errorf("%w: algorithm %q", errMalformedAuth, alg)
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return c, fmt.Errorf("%w: %q", errMalformedAuth, part)
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" {
				return c, fmt.Errorf("%w: credential %q", errMalformedAuth, v)
			}
			c.AccessKey, c.Date, c.Region, c.Service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			c.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			c.Signature = v
		}
	}
	if c.AccessKey == "" || len(c.SignedHeaders) == 0 || c.Signature == "" {
		return c, fmt.Errorf("%w: Credential, SignedHeaders and Signature are required", errMalformedAuth)
	}
	return c, nil
}

// requestTime reads X-Amz-Date (or Date). X-Amz-Date is read strictly as the basic ISO 8601
// form SigV4 signs (time.Parse alone would also take fractional seconds, which the client's
// string-to-sign does not have).
func requestTime(r *http.Request) (time.Time, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err == nil && t.Format(amzDateFormat) != v {
			err = fmt.Errorf("fakeaws: X-Amz-Date %q is not in the form %s", v, amzDateFormat)
		}
		return t, err
	}
	if v := r.Header.Get("Date"); v != "" {
		return http.ParseTime(v)
	}
	return time.Time{}, errors.New("fakeaws: no X-Amz-Date or Date header")
}

// signature computes the SigV4 signature the client should have sent for r with the given
// secret, from the raw body as received.
func signature(r *http.Request, body []byte, c credential, secret string) string {
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		if t, err := requestTime(r); err == nil {
			amzDate = t.UTC().Format(amzDateFormat)
		}
	}
	scope := c.Date + "/" + c.Region + "/" + c.Service + "/aws4_request"
	sts := sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(canonicalRequest(r, body, c.SignedHeaders)))
	k := hmacSHA256([]byte("AWS4"+secret), c.Date)
	k = hmacSHA256(k, c.Region)
	k = hmacSHA256(k, c.Service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, sts))
}

// canonicalRequest builds SigV4's canonical request: method, URI (escaped once more, the
// non-S3 rule), sorted query, the signed headers (host from r.Host, where net/http moves it),
// and the payload hash.
func canonicalRequest(r *http.Request, body []byte, signed []string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(uriEncode(path, false) + "\n")
	b.WriteString(canonicalQuery(r.URL.RawQuery) + "\n")
	for _, h := range signed {
		b.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n")
	if v := r.Header.Get("X-Amz-Content-Sha256"); v == "UNSIGNED-PAYLOAD" {
		b.WriteString(v)
	} else {
		b.WriteString(hexSHA256(body))
	}
	return b.String()
}

func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vs := r.Header.Values(http.CanonicalHeaderKey(name))
	for i, v := range vs {
		vs[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vs, ",")
}

func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return raw
	}
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(k, true)+"="+uriEncode(v, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode is SigV4's RFC 3986 encoding: unreserved characters stay, everything else is
// %XX; "/" stays unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signatureMatches compares signatures in constant time.
func signatureMatches(got, want string) bool {
	return hmac.Equal([]byte(strings.ToLower(got)), []byte(want))
}
