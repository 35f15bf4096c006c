package fakeaws

import (
	"sort"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("CreateTags", createTags)
	register("DeleteTags", deleteTags)
	register("DescribeTags", describeTags)
}

// tagXML is one <item> of a <tagSet>.
type tagXML struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// tagSet renders tags sorted by key.
func tagSet(t emulator.Tags) items[tagXML] {
	out := []tagXML{}
	for _, k := range t.Sorted() {
		out = append(out, tagXML{Key: k, Value: t[k]})
	}
	return list(out)
}

func createTags(s *Server, r *request) (response, error) {
	ids := r.Params.list("ResourceId")
	tags := r.Params.tags("Tag")
	err := s.update(r, func(tx *emulator.Tx) error { return tx.CreateTags(r.Caller, ids, tags) })
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func deleteTags(s *Server, r *request) (response, error) {
	ids := r.Params.list("ResourceId")
	var match []emulator.TagMatch
	for _, n := range r.Params.indexes("Tag") {
		m := emulator.TagMatch{Key: r.Params.get(member("Tag", n, "Key"))}
		if k := member("Tag", n, "Value"); r.Params.has(k) {
			v := r.Params.get(k)
			m.Value = &v
		}
		match = append(match, m)
	}
	err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteTags(r.Caller, ids, match) })
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

// tagDescription is one row of DescribeTags: one tag of one resource.
type tagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type describeTagsResponse struct {
	TagSet    items[tagDescription] `xml:"tagSet"`
	NextToken string                `xml:"nextToken,omitempty"`
}

var tagFields = fields[tagDescription]{
	"key":           func(t tagDescription) []string { return one(t.Key) },
	"value":         func(t tagDescription) []string { return one(t.Value) },
	"resource-id":   func(t tagDescription) []string { return one(t.ResourceID) },
	"resource-type": func(t tagDescription) []string { return one(t.ResourceType) },
}

func describeTags(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	resp := &describeTagsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var rows []tagDescription
		tagsOf := map[string]emulator.Tags{}
		for _, res := range tx.TaggedResources(r.Caller) {
			tagsOf[res.ID] = res.Tags
			for _, k := range res.Tags.Sorted() {
				rows = append(rows, tagDescription{ResourceID: res.ID, ResourceType: res.Type, Key: k, Value: res.Tags[k]})
			}
		}
		sort.SliceStable(rows, func(i, j int) bool { return tagKey(rows[i]) < tagKey(rows[j]) })
		rows, err := applyFilters(rows, fs, tagFields, func(t tagDescription) emulator.Tags { return tagsOf[t.ResourceID] })
		if err != nil {
			return err
		}
		pg, err := paginate(rows, tagKey, r.Params, 5, 1000)
		if err != nil {
			return err
		}
		resp.TagSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	return resp, err
}

func tagKey(t tagDescription) string { return t.ResourceID + "\x00" + t.Key }
