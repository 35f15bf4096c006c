package fakeaws

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeInstanceAttribute", describeInstanceAttribute)
	register("ModifyInstanceAttribute", modifyInstanceAttribute)
}

// runInstancesParams are the RunInstances parameters spacelab honours (by prefix, for lists and
// structures). Anything else is refused by name rather than dropped.
var runInstancesParams = []string{
	"Action", "Version", "DryRun", "ImageId", "MinCount", "MaxCount", "InstanceType", "KeyName", "ClientToken",
	"SubnetId", "PrivateIpAddress", "SecurityGroupId.", "SecurityGroup.", "TagSpecification.",
	"NetworkInterface.1.AssociatePublicIpAddress", "NetworkInterface.1.DeviceIndex", "NetworkInterface.1.NetworkInterfaceId",
	"NetworkInterface.1.PrivateIpAddress", "NetworkInterface.1.SecurityGroupId.", "NetworkInterface.1.SubnetId",
	"NetworkInterface.1.DeleteOnTermination",
	"UserData", "DisableApiTermination", "DisableApiStop", "InstanceInitiatedShutdownBehavior", "EbsOptimized",
	"Monitoring.Enabled", "MetadataOptions.HttpTokens", "MetadataOptions.HttpEndpoint", "MetadataOptions.HttpPutResponseHopLimit",
	"CreditSpecification.CpuCredits", "HibernationOptions.Configured", "Placement.AvailabilityZone", "Placement.Tenancy",
}

// refuseUnknownParams answers UnsupportedOperation naming the first parameter not in known.
func refuseUnknownParams(p params, action string, known []string) error {
	var keys []string
	for k := range p.v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ok := false
		for _, name := range known {
			if k == name || (strings.HasSuffix(name, ".") && strings.HasPrefix(k, name)) {
				ok = true
				break
			}
		}
		if !ok {
			return emulator.AWSErr("UnsupportedOperation", "spacelab does not model the %s parameter %s", action, k)
		}
	}
	return nil
}

// launchAttributes reads the instance attributes a RunInstances request sets.
func launchAttributes(p params) (*emulator.InstanceAttributes, error) {
	a := emulator.DefaultInstanceAttributes()
	var err error
	if ud := p.get("UserData"); ud != "" {
		if _, err := base64.StdEncoding.DecodeString(ud); err != nil {
			return nil, emulator.AWSErr("InvalidParameterValue", "Invalid BASE64 encoding of user data.")
		}
		a.UserData = ud
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"DisableApiTermination", &a.DisableAPITermination}, {"DisableApiStop", &a.DisableAPIStop}, {"EbsOptimized", &a.EBSOptimized}, {"Monitoring.Enabled", &a.Monitoring}} {
		if *f.dst, err = p.boolean(f.name, *f.dst); err != nil {
			return nil, err
		}
	}
	if v := p.get("InstanceInitiatedShutdownBehavior"); v != "" {
		a.ShutdownBehavior = v
	}
	if v := p.get("MetadataOptions.HttpTokens"); v != "" {
		a.HTTPTokens = v
	}
	if v := p.get("MetadataOptions.HttpEndpoint"); v != "" {
		a.HTTPEndpoint = v
	}
	if n, set, err := p.integer("MetadataOptions.HttpPutResponseHopLimit"); err != nil {
		return nil, err
	} else if set {
		a.HopLimit = n
	}
	a.CPUCredits = p.get("CreditSpecification.CpuCredits")
	if a.Hibernation, err = p.boolean("HibernationOptions.Configured", false); err != nil {
		return nil, err
	}
	if t := p.get("Placement.Tenancy"); t != "" && t != "default" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models shared tenancy only (Placement.Tenancy %s)", t)
	}
	return &a, a.Validate()
}

// burstable reports whether an instance type earns CPU credits (the T families).
func burstable(typ string) bool {
	t, ok := findInstanceType(typ)
	return ok && t.burstable
}

func cpuCredits(i *emulator.Instance) string {
	if !burstable(i.InstanceType) {
		return ""
	}
	if i.Attributes.CPUCredits != "" {
		return i.Attributes.CPUCredits
	}
	if strings.HasPrefix(i.InstanceType, "t2.") {
		return "standard"
	}
	return "unlimited"
}

// optValue is an attribute whose <value> is absent when unset.
type optValue struct {
	Value *string `xml:"value,omitempty"`
}

type attrValue struct {
	Value string `xml:"value"`
}

type describeInstanceAttributeResponse struct {
	InstanceID                        string              `xml:"instanceId"`
	InstanceType                      *attrValue          `xml:"instanceType,omitempty"`
	UserData                          *optValue           `xml:"userData,omitempty"`
	DisableAPITermination             *attrValue          `xml:"disableApiTermination,omitempty"`
	DisableAPIStop                    *attrValue          `xml:"disableApiStop,omitempty"`
	InstanceInitiatedShutdownBehavior *attrValue          `xml:"instanceInitiatedShutdownBehavior,omitempty"`
	RootDeviceName                    *attrValue          `xml:"rootDeviceName,omitempty"`
	SourceDestCheck                   *attrValue          `xml:"sourceDestCheck,omitempty"`
	EbsOptimized                      *attrValue          `xml:"ebsOptimized,omitempty"`
	EnaSupport                        *attrValue          `xml:"enaSupport,omitempty"`
	SriovNetSupport                   *attrValue          `xml:"sriovNetSupport,omitempty"`
	GroupSet                          *items[groupIdent]  `xml:"groupSet,omitempty"`
	BlockDeviceMapping                *items[instanceBDM] `xml:"blockDeviceMapping,omitempty"`
	ProductCodes                      *items[struct{}]    `xml:"productCodes,omitempty"`
	EnclaveOptions                    *struct {
		Enabled bool `xml:"enabled"`
	} `xml:"enclaveOptions,omitempty"`
}

func describeInstanceAttribute(s *Server, r *request) (response, error) {
	id, err := r.Params.required("InstanceId")
	if err != nil {
		return nil, err
	}
	attr, err := r.Params.required("Attribute")
	if err != nil {
		return nil, err
	}
	resp := &describeInstanceAttributeResponse{InstanceID: id}
	err = s.view(r, func(tx *emulator.Tx) error {
		i := tx.Instance(id)
		if i == nil || !r.Caller.Owns(i.Account, i.Region) {
			return emulator.AWSErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
		a := i.Attributes
		b := func(v bool) *attrValue { return &attrValue{strconv.FormatBool(v)} }
		switch attr {
		case "instanceType":
			resp.InstanceType = &attrValue{i.InstanceType}
		case "userData":
			// EC2 answers an empty <userData/> when the instance has none.
			resp.UserData = &optValue{}
			if a.UserData != "" {
				resp.UserData.Value = &a.UserData
			}
		case "disableApiTermination":
			resp.DisableAPITermination = b(a.DisableAPITermination)
		case "disableApiStop":
			resp.DisableAPIStop = b(a.DisableAPIStop)
		case "instanceInitiatedShutdownBehavior":
			resp.InstanceInitiatedShutdownBehavior = &attrValue{a.ShutdownBehavior}
		case "rootDeviceName":
			resp.RootDeviceName = &attrValue{rootDevice(i)}
		case "sourceDestCheck":
			resp.SourceDestCheck = b(a.SourceDestCheck)
		case "ebsOptimized":
			resp.EbsOptimized = b(a.EBSOptimized)
		case "enaSupport":
			resp.EnaSupport = b(true)
		case "sriovNetSupport":
			resp.SriovNetSupport = &attrValue{"simple"}
		case "groupSet":
			g := renderInstance(tx, i).GroupSet
			resp.GroupSet = &g
		case "blockDeviceMapping":
			bdm := list(rootVolume(i))
			resp.BlockDeviceMapping = &bdm
		case "productCodes":
			resp.ProductCodes = &items[struct{}]{}
		case "enclaveOptions":
			resp.EnclaveOptions = &struct {
				Enabled bool `xml:"enabled"`
			}{}
		case "kernel", "ramdisk":
			return emulator.AWSErr("UnsupportedInstanceAttribute", "Attribute '%s' is not supported for this instance", attr)
		default:
			return emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// modifyInstanceAttribute changes one attribute, given either as Attribute+Value or as its own
// parameter (DisableApiTermination.Value, SourceDestCheck.Value, UserData.Value, …).
func modifyInstanceAttribute(s *Server, r *request) (response, error) {
	p := r.Params
	id, err := p.required("InstanceId")
	if err != nil {
		return nil, err
	}
	type change struct {
		name  string
		apply func(a *emulator.InstanceAttributes, v string) error
	}
	boolSet := func(name string, dst func(a *emulator.InstanceAttributes) *bool) func(a *emulator.InstanceAttributes, v string) error {
		return func(a *emulator.InstanceAttributes, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected: 'true' or 'false'.", v, name)
			}
			*dst(a) = b
			return nil
		}
	}
	changes := map[string]func(a *emulator.InstanceAttributes, v string) error{
		"disableApiTermination":             boolSet("disableApiTermination", func(a *emulator.InstanceAttributes) *bool { return &a.DisableAPITermination }),
		"disableApiStop":                    boolSet("disableApiStop", func(a *emulator.InstanceAttributes) *bool { return &a.DisableAPIStop }),
		"sourceDestCheck":                   boolSet("sourceDestCheck", func(a *emulator.InstanceAttributes) *bool { return &a.SourceDestCheck }),
		"ebsOptimized":                      boolSet("ebsOptimized", func(a *emulator.InstanceAttributes) *bool { return &a.EBSOptimized }),
		"instanceInitiatedShutdownBehavior": func(a *emulator.InstanceAttributes, v string) error { a.ShutdownBehavior = v; return nil },
		"userData": func(a *emulator.InstanceAttributes, v string) error {
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				return emulator.AWSErr("InvalidParameterValue", "Invalid BASE64 encoding of user data.")
			}
			a.UserData = v
			return nil
		},
	}
	params := map[string]string{"DisableApiTermination.Value": "disableApiTermination", "DisableApiStop.Value": "disableApiStop",
		"SourceDestCheck.Value": "sourceDestCheck", "EbsOptimized.Value": "ebsOptimized",
		"InstanceInitiatedShutdownBehavior.Value": "instanceInitiatedShutdownBehavior", "UserData.Value": "userData"}
	var todo []change
	if attr := p.get("Attribute"); attr != "" {
		fn := changes[attr]
		if fn == nil {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not modify the instance attribute %s", attr)
		}
		todo = append(todo, change{attr, func(a *emulator.InstanceAttributes, _ string) error { return fn(a, p.get("Value")) }})
	}
	var names []string
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if p.has(k) {
			fn, v := changes[params[k]], p.get(k)
			todo = append(todo, change{params[k], func(a *emulator.InstanceAttributes, _ string) error { return fn(a, v) }})
		}
	}
	for _, k := range []string{"InstanceType.Value", "Kernel.Value", "Ramdisk.Value", "SriovNetSupport.Value", "EnaSupport.Value", "DisableApiStop", "BlockDeviceMapping.1.DeviceName"} {
		if p.has(k) {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not modify the instance attribute %s", k)
		}
	}
	if len(p.indexes("GroupId")) > 0 {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not change an instance's security groups with ModifyInstanceAttribute; use ModifyNetworkInterfaceAttribute")
	}
	switch {
	case len(todo) == 0:
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter attribute")
	case len(todo) > 1:
		return nil, emulator.AWSErr("InvalidParameterCombination", "Fields for multiple attribute types specified: %s, %s", todo[0].name, todo[1].name)
	}
	err = s.update(r, func(tx *emulator.Tx) error {
		return tx.SetInstanceAttributes(r.Caller, id, func(a *emulator.InstanceAttributes) error { return todo[0].apply(a, "") })
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

// instanceBDM is an instance's blockDeviceMapping item.
type instanceBDM struct {
	DeviceName string `xml:"deviceName"`
	Ebs        struct {
		VolumeID            string `xml:"volumeId"`
		Status              string `xml:"status"`
		AttachTime          string `xml:"attachTime"`
		DeleteOnTermination bool   `xml:"deleteOnTermination"`
	} `xml:"ebs"`
}

func rootDevice(i *emulator.Instance) string {
	for _, im := range publicImages {
		if imageID(i.Region, im.name) == i.ImageID {
			return im.rootDevice
		}
	}
	return "/dev/xvda"
}

// rootVolume is the root EBS volume every instance shows (spacelab stores nothing on it).
func rootVolume(i *emulator.Instance) []instanceBDM {
	var b instanceBDM
	b.DeviceName = rootDevice(i)
	b.Ebs.VolumeID = "vol-" + strings.TrimPrefix(i.ID, "i-")
	b.Ebs.Status = "attached"
	b.Ebs.AttachTime = timestamp(i.LaunchTime)
	b.Ebs.DeleteOnTermination = true
	return []instanceBDM{b}
}

func init() {
	register("DescribeInstanceCreditSpecifications", describeInstanceCreditSpecifications)
}

type creditSpecXML struct {
	InstanceID string `xml:"instanceId"`
	CPUCredits string `xml:"cpuCredits"`
}

type describeCreditSpecsResponse struct {
	InstanceCreditSpecificationSet items[creditSpecXML] `xml:"instanceCreditSpecificationSet"`
	NextToken                      string               `xml:"nextToken,omitempty"`
}

// describeInstanceCreditSpecifications answers for the caller's live burstable instances.
func describeInstanceCreditSpecifications(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("InstanceId")
	resp := &describeCreditSpecsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []creditSpecXML
		for _, i := range tx.Instances() {
			if i.State != "terminated" && r.Caller.Owns(i.Account, i.Region) {
				all = append(all, creditSpecXML{InstanceID: i.ID, CPUCredits: cpuCredits(i)})
			}
		}
		sel := selection[creditSpecXML]{id: func(c creditSpecXML) string { return c.InstanceID },
			notFound: idsNotFound("InvalidInstanceID.NotFound", "instance"),
			fields:   fields[creditSpecXML]{"instance-id": func(c creditSpecXML) []string { return one(c.InstanceID) }},
			tags:     func(creditSpecXML) emulator.Tags { return nil }, maxPage: 1000}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		for _, c := range pg.Items {
			if c.CPUCredits == "" {
				return emulator.AWSErr("UnsupportedOperation", "The instance ID '%s' is not valid. The requested operation is supported only for burstable performance instances.", c.InstanceID)
			}
		}
		resp.InstanceCreditSpecificationSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
