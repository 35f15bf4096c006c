package fakeaws

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSigV4Authorization: the Authorization parser never panics, and what it accepts has the
// parts a signature check needs, taken from the header.
func FuzzSigV4Authorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIAWNSPACELAB435886/20261123/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123abcd",
		"AWS4-HMAC-SHA256 Credential=/20261123/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=x",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/aws4_request,SignedHeaders=,Signature=",
		"AWS4-HMAC-SHA256", "Basic dXNlcjpwYXNz", "AWS4-HMAC-SHA256 ,,,", "AWS4-HMAC-SHA256 Credential==/=/=/=/aws4_request",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, err := parseAuthorization(h)
		if err != nil {
			return
		}
		if c.AccessKey == "" || c.Signature == "" || len(c.SignedHeaders) == 0 {
			t.Fatalf("%q accepted without key, signature or signed headers: %+v", h, c)
		}
		for _, part := range []string{c.AccessKey, c.Date, c.Region, c.Service, c.Signature} {
			if !strings.Contains(h, part) {
				t.Fatalf("%q: part %q is not from the header", h, part)
			}
		}
	})
}

// FuzzAmzDate: X-Amz-Date is read strictly as YYYYMMDD'T'HHMMSS'Z' (what SigV4 signs), so an
// accepted value writes back as itself; Date is HTTP's date.
func FuzzAmzDate(f *testing.F) {
	for _, s := range []string{"20261123T101500Z", "20261123T101500.123Z", "2026-11-23T10:15:00Z", "20261323T101500Z", "", "Mon, 23 Nov 2026 10:15:00 GMT"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, v string, asDate bool) {
		r := &http.Request{Header: http.Header{}}
		if asDate {
			r.Header.Set("Date", v)
		} else {
			r.Header.Set("X-Amz-Date", v)
		}
		when, err := requestTime(r)
		if err != nil || asDate {
			return
		}
		if got := when.UTC().Format(amzDateFormat); got != v {
			t.Fatalf("X-Amz-Date %q accepted as %s (writes as %q)", v, when, got)
		}
	})
}

// FuzzCanonicalQuery: the canonical query string never panics and is a fixed point: the
// canonical form of a canonical form is itself (else a client and the server could disagree
// on what was signed).
func FuzzCanonicalQuery(f *testing.F) {
	for _, s := range []string{"", "Action=DescribeVpcs&Version=2016-11-15", "b=2&a=1&a=0", "a=%2F%20+~", "=x", "a", "%zz", "a=1;b=2", "k=%E2%82%AC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c := canonicalQuery(raw)
		if _, err := url.ParseQuery(raw); err != nil {
			return
		}
		if again := canonicalQuery(c); again != c {
			t.Fatalf("canonicalQuery(%q) = %q, but canonicalQuery of that is %q", raw, c, again)
		}
	})
}

// FuzzFilterGlob: EC2 filter wildcards (* any run, ? one character, \ quotes the next) match
// exactly what the equivalent regular expression matches.
func FuzzFilterGlob(f *testing.F) {
	for _, s := range [][2]string{{"vpc-*", "vpc-0abc"}, {"*", ""}, {"?", "é"}, {`\*`, "*"}, {`a\`, "a"}, {"*a*b*", "xaxbx"}, {"pcx-??", "pcx-1"}, {`\?`, "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) || len(pattern) > 64 {
			return // the server refuses text that is not UTF-8 before filters run
		}
		want := globRegexp(pattern).MatchString(s)
		if got := globMatch(pattern, s); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, the regexp says %v", pattern, s, got, want)
		}
	})
}

// globRegexp is the reference: the wildcard pattern as an anchored regular expression.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			} else {
				b.WriteString(`[^\x00-\x{10FFFF}]`) // a trailing backslash matches nothing
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}
