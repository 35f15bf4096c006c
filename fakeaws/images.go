package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeImages", describeImages)
}

// publicImage is one of the public machine images every region offers. spacelab boots no
// image (an instance is a network namespace), so the catalog only has to let tools find an
// AMI by owner and name, as Terraform's data "aws_ami" and launch scripts do.
type publicImage struct {
	owner, alias, name, description, arch, created, rootDevice string
}

var publicImages = []publicImage{
	{"137112412989", "amazon", "al2023-ami-2023.6.20241121.0-kernel-6.1-x86_64", "Amazon Linux 2023 AMI 2023.6.20241121.0 x86_64 HVM kernel-6.1", "x86_64", "2024-11-20T22:21:49.000Z", "/dev/xvda"},
	{"137112412989", "amazon", "al2023-ami-2023.6.20241121.0-kernel-6.1-arm64", "Amazon Linux 2023 AMI 2023.6.20241121.0 arm64 HVM kernel-6.1", "arm64", "2024-11-20T22:21:51.000Z", "/dev/xvda"},
	{"137112412989", "amazon", "amzn2-ami-kernel-5.10-hvm-2.0.20241113.1-x86_64-gp2", "Amazon Linux 2 Kernel 5.10 AMI 2.0.20241113.1 x86_64 HVM gp2", "x86_64", "2024-11-13T19:35:02.000Z", "/dev/xvda"},
	{"136693071363", "", "debian-12-amd64-20241201-1948", "Debian 12 (20241201-1948)", "x86_64", "2024-12-01T20:37:05.000Z", "/dev/xvda"},
	{"136693071363", "", "debian-12-arm64-20241201-1948", "Debian 12 (20241201-1948)", "arm64", "2024-12-01T20:37:09.000Z", "/dev/xvda"},
	{"099720109477", "", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241119", "Canonical, Ubuntu, 24.04, amd64 noble image", "x86_64", "2024-11-19T10:46:37.000Z", "/dev/sda1"},
	{"099720109477", "", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241119", "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image", "x86_64", "2024-11-19T09:21:24.000Z", "/dev/sda1"},
}

// imageID is an image's id in a region: stable, and different per region as in EC2.
func imageID(region, name string) string {
	h := sha256.Sum256([]byte("spacelab/ami/" + region + "/" + name))
	return "ami-" + hex.EncodeToString(h[:])[:17]
}

type imageXML struct {
	ImageID            string                `xml:"imageId"`
	ImageLocation      string                `xml:"imageLocation"`
	ImageState         string                `xml:"imageState"`
	ImageOwnerID       string                `xml:"imageOwnerId"`
	CreationDate       string                `xml:"creationDate"`
	IsPublic           bool                  `xml:"isPublic"`
	Architecture       string                `xml:"architecture"`
	ImageType          string                `xml:"imageType"`
	Name               string                `xml:"name"`
	Description        string                `xml:"description"`
	ImageOwnerAlias    string                `xml:"imageOwnerAlias,omitempty"`
	RootDeviceType     string                `xml:"rootDeviceType"`
	RootDeviceName     string                `xml:"rootDeviceName"`
	BlockDeviceMapping items[blockDeviceXML] `xml:"blockDeviceMapping"`
	VirtualizationType string                `xml:"virtualizationType"`
	Hypervisor         string                `xml:"hypervisor"`
	EnaSupport         bool                  `xml:"enaSupport"`
	SriovNetSupport    string                `xml:"sriovNetSupport"`
	PlatformDetails    string                `xml:"platformDetails"`
	UsageOperation     string                `xml:"usageOperation"`
	BootMode           string                `xml:"bootMode"`
	ImdsSupport        string                `xml:"imdsSupport"`
	TagSet             items[tagXML]         `xml:"tagSet"`
}

type blockDeviceXML struct {
	DeviceName string `xml:"deviceName"`
	Ebs        ebsXML `xml:"ebs"`
}

type ebsXML struct {
	SnapshotID          string `xml:"snapshotId"`
	VolumeSize          int    `xml:"volumeSize"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
	VolumeType          string `xml:"volumeType"`
	Encrypted           bool   `xml:"encrypted"`
}

func renderImage(region string, im publicImage) imageXML {
	id := imageID(region, im.name)
	loc := im.owner + "/" + im.name
	if im.alias != "" {
		loc = im.alias + "/" + im.name
	}
	return imageXML{ImageID: id, ImageLocation: loc, ImageState: "available", ImageOwnerID: im.owner,
		CreationDate: im.created, IsPublic: true, Architecture: im.arch, ImageType: "machine", Name: im.name,
		Description: im.description, ImageOwnerAlias: im.alias, RootDeviceType: "ebs", RootDeviceName: im.rootDevice,
		BlockDeviceMapping: list([]blockDeviceXML{{DeviceName: im.rootDevice, Ebs: ebsXML{
			SnapshotID: "snap-" + strings.TrimPrefix(id, "ami-"), VolumeSize: 8, DeleteOnTermination: true, VolumeType: "gp3"}}}),
		VirtualizationType: "hvm", Hypervisor: "xen", EnaSupport: true, SriovNetSupport: "simple",
		PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", BootMode: "uefi-preferred", ImdsSupport: "v2.0"}
}

var imageFields = fields[imageXML]{
	"image-id":            func(x imageXML) []string { return one(x.ImageID) },
	"name":                func(x imageXML) []string { return one(x.Name) },
	"description":         func(x imageXML) []string { return one(x.Description) },
	"architecture":        func(x imageXML) []string { return one(x.Architecture) },
	"owner-id":            func(x imageXML) []string { return one(x.ImageOwnerID) },
	"owner-alias":         func(x imageXML) []string { return one(x.ImageOwnerAlias) },
	"state":               func(x imageXML) []string { return one(x.ImageState) },
	"image-type":          func(x imageXML) []string { return one(x.ImageType) },
	"is-public":           func(x imageXML) []string { return one(boolStr(x.IsPublic)) },
	"root-device-type":    func(x imageXML) []string { return one(x.RootDeviceType) },
	"root-device-name":    func(x imageXML) []string { return one(x.RootDeviceName) },
	"virtualization-type": func(x imageXML) []string { return one(x.VirtualizationType) },
	"hypervisor":          func(x imageXML) []string { return one(x.Hypervisor) },
	"platform-details":    func(x imageXML) []string { return one(x.PlatformDetails) },
	"ena-support":         func(x imageXML) []string { return one(boolStr(x.EnaSupport)) },
	"block-device-mapping.volume-type": func(x imageXML) []string {
		return mapItems(x.BlockDeviceMapping.Items, func(b blockDeviceXML) string { return b.Ebs.VolumeType })
	},
}

type describeImagesResponse struct {
	ImagesSet items[imageXML] `xml:"imagesSet"`
	NextToken string          `xml:"nextToken,omitempty"`
}

// describeImages lists the public catalog of the caller's region. Owner takes account ids and
// the aliases self, amazon and aws-marketplace; the caller owns no images of its own.
func describeImages(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	owners := r.Params.list("Owner")
	for _, e := range r.Params.list("ExecutableBy") {
		if e != "all" && e != "self" && !isAccountID(e) {
			return nil, emulator.AWSErr("InvalidUserID.Malformed", "Invalid user id: \"%s\"", e)
		}
	}
	for _, flag := range []string{"IncludeDeprecated", "IncludeDisabled"} {
		if _, err := r.Params.boolean(flag, false); err != nil {
			return nil, err
		}
	}
	ids := r.Params.list("ImageId")
	for _, id := range ids {
		if !strings.HasPrefix(id, "ami-") || len(id) < 12 {
			return nil, emulator.AWSErr("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
		}
	}
	var all []imageXML
	for _, im := range publicImages {
		if len(owners) > 0 && !slices.ContainsFunc(owners, func(o string) bool { return o == im.owner || (im.alias != "" && o == im.alias) }) {
			continue
		}
		all = append(all, renderImage(r.Caller.Region, im))
	}
	sel := selection[imageXML]{id: func(x imageXML) string { return x.ImageID },
		notFound: func(missing []string) error {
			return emulator.AWSErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", joinIDs(missing))
		},
		fields: imageFields, tags: func(imageXML) emulator.Tags { return nil }, maxPage: 1000}
	pg, err := sel.page(all, ids, fs, r.Params)
	if err != nil {
		return nil, err
	}
	if r.DryRun {
		return nil, errDryRun
	}
	return &describeImagesResponse{ImagesSet: list(pg.Items), NextToken: pg.Next}, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
