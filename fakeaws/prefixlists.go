package fakeaws

import (
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("CreateManagedPrefixList", createManagedPrefixList)
	register("ModifyManagedPrefixList", modifyManagedPrefixList)
	register("RestoreManagedPrefixListVersion", restoreManagedPrefixListVersion)
	register("DeleteManagedPrefixList", deleteManagedPrefixList)
	register("DescribeManagedPrefixLists", describeManagedPrefixLists)
	register("GetManagedPrefixListEntries", getManagedPrefixListEntries)
	register("GetManagedPrefixListAssociations", getManagedPrefixListAssociations)
	register("DescribePrefixLists", describePrefixLists)
}

// managedPrefixListXML is EC2's ManagedPrefixList shape.
type managedPrefixListXML struct {
	PrefixListID   string        `xml:"prefixListId"`
	AddressFamily  string        `xml:"addressFamily"`
	State          string        `xml:"state"`
	PrefixListArn  string        `xml:"prefixListArn"`
	PrefixListName string        `xml:"prefixListName"`
	MaxEntries     int           `xml:"maxEntries"`
	Version        int           `xml:"version"`
	TagSet         items[tagXML] `xml:"tagSet"`
	OwnerID        string        `xml:"ownerId"`
}

func renderPrefixList(p *emulator.PrefixList, state string) managedPrefixListXML {
	if state == "" {
		state = p.State
	}
	return managedPrefixListXML{PrefixListID: p.ID, AddressFamily: p.AddressFamily, State: state, PrefixListArn: p.ARN(),
		PrefixListName: p.Name, MaxEntries: p.MaxEntries, Version: p.Version, TagSet: tagSet(p.Tags), OwnerID: p.Account}
}

type prefixListResponse struct {
	PrefixList managedPrefixListXML `xml:"prefixList"`
}

// entriesParam reads prefix.N.Cidr / prefix.N.Description.
func entriesParam(p params, prefix string) []emulator.PermissionCIDR {
	var out []emulator.PermissionCIDR
	for _, n := range p.indexes(prefix) {
		out = append(out, emulator.PermissionCIDR{CIDR: p.get(member(prefix, n, "Cidr")), Description: p.get(member(prefix, n, "Description"))})
	}
	return out
}

func optionalInt(p params, name string) (*int, error) {
	n, set, err := p.integer(name)
	if err != nil || !set {
		return nil, err
	}
	return &n, nil
}

func createManagedPrefixList(s *Server, r *request) (response, error) {
	p := r.Params
	tags, err := p.tagSpecs("prefix-list")
	if err != nil {
		return nil, err
	}
	max, set, err := p.integer("MaxEntries")
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter MaxEntries")
	}
	spec := emulator.PrefixListSpec{Name: p.get("PrefixListName"), AddressFamily: p.get("AddressFamily"), MaxEntries: max,
		Entries: entriesParam(p, "Entry"), Tags: tags}
	resp := &prefixListResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		pl, err := tx.CreatePrefixList(r.Caller, spec)
		if err != nil {
			return err
		}
		// EC2 answers while the list is still being made; a describe right after sees it done.
		resp.PrefixList = renderPrefixList(pl, "create-in-progress")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func modifyManagedPrefixList(s *Server, r *request) (response, error) {
	p := r.Params
	id, err := p.required("PrefixListId")
	if err != nil {
		return nil, err
	}
	var ch emulator.PrefixListChange
	if ch.CurrentVersion, err = optionalInt(p, "CurrentVersion"); err != nil {
		return nil, err
	}
	if ch.MaxEntries, err = optionalInt(p, "MaxEntries"); err != nil {
		return nil, err
	}
	ch.Name = p.get("PrefixListName")
	ch.Add = entriesParam(p, "AddEntry")
	for _, e := range entriesParam(p, "RemoveEntry") {
		ch.Remove = append(ch.Remove, e.CIDR)
	}
	resp := &prefixListResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		pl, err := tx.ModifyPrefixList(r.Caller, id, ch)
		if err != nil {
			return err
		}
		resp.PrefixList = renderPrefixList(pl, "modify-in-progress")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func restoreManagedPrefixListVersion(s *Server, r *request) (response, error) {
	p := r.Params
	id, err := p.required("PrefixListId")
	if err != nil {
		return nil, err
	}
	prev, set1, err := p.integer("PreviousVersion")
	if err != nil {
		return nil, err
	}
	cur, set2, err := p.integer("CurrentVersion")
	if err != nil {
		return nil, err
	}
	if !set1 {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter PreviousVersion")
	}
	if !set2 {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter CurrentVersion")
	}
	resp := &prefixListResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		pl, err := tx.RestorePrefixListVersion(r.Caller, id, prev, cur)
		if err != nil {
			return err
		}
		resp.PrefixList = renderPrefixList(pl, "restore-in-progress")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteManagedPrefixList(s *Server, r *request) (response, error) {
	id, err := r.Params.required("PrefixListId")
	if err != nil {
		return nil, err
	}
	resp := &prefixListResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		pl, err := tx.DeletePrefixList(r.Caller, id)
		if err != nil {
			return err
		}
		resp.PrefixList = renderPrefixList(pl, "delete-in-progress")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

var prefixListFields = fields[managedPrefixListXML]{
	"owner-id":         func(x managedPrefixListXML) []string { return one(x.OwnerID) },
	"prefix-list-id":   func(x managedPrefixListXML) []string { return one(x.PrefixListID) },
	"prefix-list-name": func(x managedPrefixListXML) []string { return one(x.PrefixListName) },
}

type describeManagedPrefixListsResponse struct {
	PrefixListSet items[managedPrefixListXML] `xml:"prefixListSet"`
	NextToken     string                      `xml:"nextToken,omitempty"`
}

func describeManagedPrefixLists(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("PrefixListId")
	resp := &describeManagedPrefixListsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []managedPrefixListXML
		tagsOf := map[string]emulator.Tags{}
		for _, pl := range tx.PrefixLists() {
			if pl.Account == r.Caller.Account && pl.Region == r.Caller.Region {
				all = append(all, renderPrefixList(pl, ""))
				tagsOf[pl.ID] = pl.Tags
			}
		}
		sel := selection[managedPrefixListXML]{id: func(x managedPrefixListXML) string { return x.PrefixListID },
			notFound: idsNotFound("InvalidPrefixListID.NotFound", "prefix list"),
			fields:   prefixListFields, tags: func(x managedPrefixListXML) emulator.Tags { return tagsOf[x.PrefixListID] }, maxPage: 100}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.PrefixListSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type prefixListEntryXML struct {
	Cidr        string `xml:"cidr"`
	Description string `xml:"description,omitempty"`
}

type getEntriesResponse struct {
	EntrySet  items[prefixListEntryXML] `xml:"entrySet"`
	NextToken string                    `xml:"nextToken,omitempty"`
}

func getManagedPrefixListEntries(s *Server, r *request) (response, error) {
	id, err := r.Params.required("PrefixListId")
	if err != nil {
		return nil, err
	}
	version, _, err := r.Params.integer("TargetVersion")
	if err != nil {
		return nil, err
	}
	resp := &getEntriesResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		entries, err := tx.PrefixListEntriesAt(r.Caller, id, version)
		if err != nil {
			return err
		}
		var all []prefixListEntryXML
		for _, e := range entries {
			all = append(all, prefixListEntryXML{Cidr: e.CIDR.String(), Description: e.Description})
		}
		// Pages follow the entries' order, keyed by position.
		keyed := make([]keyedEntry, len(all))
		for i, e := range all {
			keyed[i] = keyedEntry{key: strconv.Itoa(100000 + i), entry: e}
		}
		pg, err := paginate(keyed, func(k keyedEntry) string { return k.key }, r.Params, 1, 100)
		if err != nil {
			return err
		}
		for _, k := range pg.Items {
			resp.EntrySet.Items = append(resp.EntrySet.Items, k.entry)
		}
		resp.NextToken = pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type keyedEntry struct {
	key   string
	entry prefixListEntryXML
}

type prefixListAssociationXML struct {
	ResourceID    string `xml:"resourceId"`
	ResourceOwner string `xml:"resourceOwner"`
}

type getAssociationsResponse struct {
	PrefixListAssociationSet items[prefixListAssociationXML] `xml:"prefixListAssociationSet"`
	NextToken                string                          `xml:"nextToken,omitempty"`
}

func getManagedPrefixListAssociations(s *Server, r *request) (response, error) {
	id, err := r.Params.required("PrefixListId")
	if err != nil {
		return nil, err
	}
	resp := &getAssociationsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		as, err := tx.PrefixListAssociations(r.Caller, id)
		if err != nil {
			return err
		}
		var all []prefixListAssociationXML
		for _, a := range as {
			all = append(all, prefixListAssociationXML{ResourceID: a.ResourceID, ResourceOwner: a.ResourceOwner})
		}
		pg, err := paginate(all, func(x prefixListAssociationXML) string { return x.ResourceID }, r.Params, 5, 255)
		if err != nil {
			return err
		}
		resp.PrefixListAssociationSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// awsPrefixListXML is EC2's PrefixList (an AWS-managed list of a service's CIDRs).
type awsPrefixListXML struct {
	CidrSet        items[string] `xml:"cidrSet"`
	PrefixListID   string        `xml:"prefixListId"`
	PrefixListName string        `xml:"prefixListName"`
}

type describePrefixListsResponse struct {
	PrefixListSet items[awsPrefixListXML] `xml:"prefixListSet"`
	NextToken     string                  `xml:"nextToken,omitempty"`
}

// describePrefixLists lists AWS-managed prefix lists (those of gateway endpoint services).
// spacelab models no AWS service endpoints, so there are none: an empty list, and the
// NotFound error for any id asked for.
func describePrefixLists(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.Name != "prefix-list-id" && f.Name != "prefix-list-name" {
			return nil, emulator.AWSErr("InvalidParameterValue", "The filter '%s' is invalid", f.Name)
		}
	}
	if ids := r.Params.list("PrefixListId"); len(ids) > 0 {
		return nil, notFound("InvalidPrefixListID.NotFound", "prefix list", ids)
	}
	if _, err := paginate([]awsPrefixListXML(nil), func(x awsPrefixListXML) string { return x.PrefixListID }, r.Params, 5, 1000); err != nil {
		return nil, err
	}
	return &describePrefixListsResponse{}, nil
}

// routeOp is what a route action does to a route whose destination is a prefix list.
type routeOp int

const (
	routeCreate routeOp = iota
	routeReplace
	routeDelete
)

// prefixListRoute runs CreateRoute / ReplaceRoute / DeleteRoute with DestinationPrefixListId.
func prefixListRoute(s *Server, r *request, op routeOp) (response, error) {
	p := r.Params
	rtb, err := p.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	pl := p.get("DestinationPrefixListId")
	if p.get("DestinationCidrBlock") != "" || p.get("DestinationIpv6CidrBlock") != "" {
		return nil, emulator.AWSErr("InvalidParameterCombination", "The parameter destinationPrefixListId cannot be used with the parameter destinationCidrBlock or destinationIpv6CidrBlock")
	}
	var t emulator.RouteTarget
	if op != routeDelete {
		if t, err = routeTarget(p); err != nil {
			return nil, err
		}
	}
	err = s.update(r, func(tx *emulator.Tx) error {
		switch op {
		case routeCreate:
			return tx.CreatePrefixListRoute(r.Caller, rtb, pl, t)
		case routeReplace:
			return tx.ReplacePrefixListRoute(r.Caller, rtb, pl, t)
		}
		return tx.DeletePrefixListRoute(r.Caller, rtb, pl)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}
