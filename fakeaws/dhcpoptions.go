package fakeaws

import "github.com/spacelab-dev/spacelab/emulator"

func init() {
	register("CreateDhcpOptions", createDhcpOptions)
	register("AssociateDhcpOptions", associateDhcpOptions)
	register("DeleteDhcpOptions", deleteDhcpOptions)
	register("DescribeDhcpOptions", describeDhcpOptions)
}

// dhcpOptionsXML is EC2's DhcpOptions shape.
type dhcpOptionsXML struct {
	DhcpOptionsID        string                   `xml:"dhcpOptionsId"`
	DhcpConfigurationSet items[dhcpConfiguration] `xml:"dhcpConfigurationSet"`
	OwnerID              string                   `xml:"ownerId"`
	TagSet               items[tagXML]            `xml:"tagSet"`
}

type dhcpConfiguration struct {
	Key      string                `xml:"key"`
	ValueSet items[attributeValue] `xml:"valueSet"`
}

type attributeValue struct {
	Value string `xml:"value"`
}

func renderDhcpOptions(d *emulator.DHCPOptions) dhcpOptionsXML {
	x := dhcpOptionsXML{DhcpOptionsID: d.ID, OwnerID: d.Account, TagSet: tagSet(d.Tags)}
	for _, o := range d.Options {
		c := dhcpConfiguration{Key: o.Key}
		for _, v := range o.Values {
			c.ValueSet.Items = append(c.ValueSet.Items, attributeValue{Value: v})
		}
		x.DhcpConfigurationSet.Items = append(x.DhcpConfigurationSet.Items, c)
	}
	return x
}

type createDhcpOptionsResponse struct {
	DhcpOptions dhcpOptionsXML `xml:"dhcpOptions"`
}

func createDhcpOptions(s *Server, r *request) (response, error) {
	p := r.Params
	tags, err := p.tagSpecs("dhcp-options")
	if err != nil {
		return nil, err
	}
	var opts []emulator.DHCPOption
	for _, n := range p.indexes("DhcpConfiguration") {
		opts = append(opts, emulator.DHCPOption{Key: p.get(member("DhcpConfiguration", n, "Key")),
			Values: p.list(member("DhcpConfiguration", n, "Value"))})
	}
	resp := &createDhcpOptionsResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		d, err := tx.CreateDHCPOptions(r.Caller, opts, tags)
		if err != nil {
			return err
		}
		resp.DhcpOptions = renderDhcpOptions(d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func associateDhcpOptions(s *Server, r *request) (response, error) {
	id, err := r.Params.required("DhcpOptionsId")
	if err != nil {
		return nil, err
	}
	vpc, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.AssociateDHCPOptions(r.Caller, id, vpc) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func deleteDhcpOptions(s *Server, r *request) (response, error) {
	id, err := r.Params.required("DhcpOptionsId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteDHCPOptions(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

var dhcpOptionsFields = fields[dhcpOptionsXML]{
	"dhcp-options-id": func(x dhcpOptionsXML) []string { return one(x.DhcpOptionsID) },
	"owner-id":        func(x dhcpOptionsXML) []string { return one(x.OwnerID) },
	"key": func(x dhcpOptionsXML) []string {
		return mapItems(x.DhcpConfigurationSet.Items, func(c dhcpConfiguration) string { return c.Key })
	},
	"value": func(x dhcpOptionsXML) []string {
		var out []string
		for _, c := range x.DhcpConfigurationSet.Items {
			out = append(out, mapItems(c.ValueSet.Items, func(v attributeValue) string { return v.Value })...)
		}
		return out
	},
}

type describeDhcpOptionsResponse struct {
	DhcpOptionsSet items[dhcpOptionsXML] `xml:"dhcpOptionsSet"`
	NextToken      string                `xml:"nextToken,omitempty"`
}

func describeDhcpOptions(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("DhcpOptionsId")
	resp := &describeDhcpOptionsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []dhcpOptionsXML
		tagsOf := map[string]emulator.Tags{}
		for _, d := range tx.DHCPOptionsSets() {
			if d.Account == r.Caller.Account && d.Region == r.Caller.Region {
				all = append(all, renderDhcpOptions(d))
				tagsOf[d.ID] = d.Tags
			}
		}
		sel := selection[dhcpOptionsXML]{id: func(x dhcpOptionsXML) string { return x.DhcpOptionsID },
			notFound: idsNotFound("InvalidDhcpOptionID.NotFound", "dhcpOption"),
			fields:   dhcpOptionsFields, tags: func(x dhcpOptionsXML) emulator.Tags { return tagsOf[x.DhcpOptionsID] }, maxPage: 1000}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.DhcpOptionsSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
