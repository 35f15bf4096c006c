package fakeaws

import (
	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeVolumes", describeVolumes)
}

// volumeXML is EC2's Volume shape. Every live instance has one root volume (8 GiB gp3,
// deleted with the instance); spacelab stores nothing on it, but tools read it back.
type volumeXML struct {
	VolumeID           string                 `xml:"volumeId"`
	Size               int                    `xml:"size"`
	SnapshotID         string                 `xml:"snapshotId"`
	AvailabilityZone   string                 `xml:"availabilityZone"`
	Status             string                 `xml:"status"`
	CreateTime         string                 `xml:"createTime"`
	AttachmentSet      items[volumeAttachXML] `xml:"attachmentSet"`
	VolumeType         string                 `xml:"volumeType"`
	Iops               int                    `xml:"iops"`
	Throughput         int                    `xml:"throughput"`
	Encrypted          bool                   `xml:"encrypted"`
	MultiAttachEnabled bool                   `xml:"multiAttachEnabled"`
	TagSet             items[tagXML]          `xml:"tagSet"`
}

type volumeAttachXML struct {
	VolumeID            string `xml:"volumeId"`
	InstanceID          string `xml:"instanceId"`
	Device              string `xml:"device"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

func renderVolume(tx *emulator.Tx, i *emulator.Instance) volumeXML {
	root := rootVolume(i)[0]
	az := ""
	if sn := tx.Subnet(i.SubnetID); sn != nil {
		az = sn.AZ
	}
	snap := ""
	for _, im := range publicImages {
		if imageID(i.Region, im.name) == i.ImageID {
			snap = renderImage(i.Region, im).BlockDeviceMapping.Items[0].Ebs.SnapshotID
		}
	}
	return volumeXML{VolumeID: root.Ebs.VolumeID, Size: 8, SnapshotID: snap, AvailabilityZone: az, Status: "in-use",
		CreateTime: timestamp(i.LaunchTime), VolumeType: "gp3", Iops: 3000, Throughput: 125,
		AttachmentSet: list([]volumeAttachXML{{VolumeID: root.Ebs.VolumeID, InstanceID: i.ID, Device: root.DeviceName,
			Status: "attached", AttachTime: root.Ebs.AttachTime, DeleteOnTermination: true}})}
}

var volumeFields = fields[volumeXML]{
	"volume-id":         func(v volumeXML) []string { return one(v.VolumeID) },
	"status":            func(v volumeXML) []string { return one(v.Status) },
	"volume-type":       func(v volumeXML) []string { return one(v.VolumeType) },
	"availability-zone": func(v volumeXML) []string { return one(v.AvailabilityZone) },
	"encrypted":         func(v volumeXML) []string { return one(boolStr(v.Encrypted)) },
	"attachment.instance-id": func(v volumeXML) []string {
		return mapItems(v.AttachmentSet.Items, func(a volumeAttachXML) string { return a.InstanceID })
	},
	"attachment.device": func(v volumeXML) []string {
		return mapItems(v.AttachmentSet.Items, func(a volumeAttachXML) string { return a.Device })
	},
	"attachment.status": func(v volumeXML) []string {
		return mapItems(v.AttachmentSet.Items, func(a volumeAttachXML) string { return a.Status })
	},
	"attachment.delete-on-termination": func(v volumeXML) []string {
		return mapItems(v.AttachmentSet.Items, func(a volumeAttachXML) string { return boolStr(a.DeleteOnTermination) })
	},
}

type describeVolumesResponse struct {
	VolumeSet items[volumeXML] `xml:"volumeSet"`
	NextToken string           `xml:"nextToken,omitempty"`
}

func describeVolumes(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("VolumeId")
	resp := &describeVolumesResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []volumeXML
		for _, i := range tx.Instances() {
			if i.State != "terminated" && r.Caller.Owns(i.Account, i.Region) {
				all = append(all, renderVolume(tx, i))
			}
		}
		sel := selection[volumeXML]{id: func(v volumeXML) string { return v.VolumeID },
			notFound: idsNotFound("InvalidVolume.NotFound", "volume"),
			fields:   volumeFields, tags: func(volumeXML) emulator.Tags { return nil }, maxPage: 500}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.VolumeSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
