package fakeaws

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/xml"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

// getCallerIdentityResponse is STS's answer. The GetCallerIdentityResult wrapper is what
// clients require (AWS CLI and the Go SDK fail without it).
type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// serveSTS serves the STS actions: only GetCallerIdentity.
func (s *Server) serveSTS(r *request) (any, error) {
	if r.Action != "GetCallerIdentity" {
		return nil, emulator.AWSErr("InvalidAction", "Could not find operation %s for version %s", r.Action, stsVersion)
	}
	user := r.Key.User
	if user == "" {
		user = "admin"
	}
	resp := &getCallerIdentityResponse{Xmlns: stsNS, RequestID: r.RequestID}
	resp.Result.Arn = "arn:aws:iam::" + r.Key.Account + ":user/" + user
	resp.Result.UserID = userID(r.Key)
	resp.Result.Account = r.Key.Account
	return resp, nil
}

// userID derives a stable IAM unique id (AIDA + 17 characters) from the access key.
func userID(k *emulator.AccessKey) string {
	h := sha256.Sum256([]byte(k.Account + "/" + k.User))
	return "AIDA" + strings.ToUpper(base32.StdEncoding.EncodeToString(h[:]))[:17]
}
