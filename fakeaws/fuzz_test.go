package fakeaws

import (
	"net/url"
	"testing"
)

// FuzzParseParams feeds arbitrary bodies to the Query parameter parser and the list and
// filter readers built on it: they must never panic, and what they return must come from the
// input.
func FuzzParseParams(f *testing.F) {
	for _, seed := range []string{
		"Action=DescribeVpcs&Version=2016-11-15",
		"Filter.1.Name=status-code&Filter.1.Value.1=pending-acceptance&Filter.1.Value.2=active&Filter.2.Name=requester-vpc-info.vpc-id&Filter.2.Value.1=vpc-1",
		"IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F16",
		"ResourceId.1=vpc-1&ResourceId.3=pcx-1&Tag.1.Key=Name&Tag.1.Value=peer&Tag.2.Key=env&Tag.2.Value=",
		"Filter.0.Name=x&Filter.01.Name=y&Filter.-1.Name=z&Filter.99999999999999999999.Name=w",
		"TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=a&%zz=1",
		"IpProtocol=-1&CidrIp=0.0.0.0/0&SourceSecurityGroupName=web",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := parseParams(body, "")
		q, qerr := url.ParseQuery(body)
		if err != nil {
			if qerr == nil {
				t.Fatalf("parseParams failed where url.ParseQuery did not: %v", err)
			}
			return
		}
		sent := map[string]bool{}
		for _, vs := range q {
			for _, v := range vs {
				sent[v] = true
			}
		}
		for _, prefix := range []string{"Filter", "ResourceId", "IpPermissions", "Tag", "TagSpecification"} {
			idx := p.indexes(prefix)
			for i := 1; i < len(idx); i++ {
				if idx[i] <= idx[i-1] || idx[i-1] < 1 {
					t.Fatalf("indexes(%q) = %v: not strictly increasing positive", prefix, idx)
				}
			}
			for _, v := range p.list(prefix) {
				if !sent[v] {
					t.Fatalf("list(%q) returned %q, which is not in the body", prefix, v)
				}
			}
		}
		if fs, err := p.filters(); err == nil {
			for _, f := range fs {
				if f.Name == "" {
					t.Fatal("filter without a name")
				}
			}
		}
		_ = p.tags("Tag")
		_, _ = p.tagSpecs("vpc")
		_, _, _ = permissionsParam(p)
		_, _, _, _ = routeArgs(p, true)
		_, _ = p.boolean("DryRun", false)
	})
}
