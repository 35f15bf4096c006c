package fakeaws

import (
	"strconv"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeInstanceTypes", describeInstanceTypes)
}

// instanceType is one EC2 instance type, with the figures tools read to pick defaults (CPU
// options, burstable credits, interfaces per instance). An instance is a network namespace in
// spacelab, so none of it changes what the data plane does.
type instanceType struct {
	name       string
	arch       string
	vcpus      int
	cores      int
	memMiB     int
	burstable  bool
	enis, ipv4 int
	network    string
	freeTier   bool
}

var instanceTypes = []instanceType{
	{"t2.micro", "x86_64", 1, 1, 1024, true, 2, 2, "Low to Moderate", true},
	{"t2.small", "x86_64", 1, 1, 2048, true, 3, 4, "Low to Moderate", false},
	{"t2.medium", "x86_64", 2, 2, 4096, true, 3, 6, "Low to Moderate", false},
	{"t3.nano", "x86_64", 2, 1, 512, true, 2, 2, "Up to 5 Gigabit", false},
	{"t3.micro", "x86_64", 2, 1, 1024, true, 2, 2, "Up to 5 Gigabit", true},
	{"t3.small", "x86_64", 2, 1, 2048, true, 3, 4, "Up to 5 Gigabit", false},
	{"t3.medium", "x86_64", 2, 1, 4096, true, 3, 6, "Up to 5 Gigabit", false},
	{"t3.large", "x86_64", 2, 1, 8192, true, 3, 12, "Up to 5 Gigabit", false},
	{"t4g.micro", "arm64", 2, 2, 1024, true, 2, 2, "Up to 5 Gigabit", false},
	{"t4g.small", "arm64", 2, 2, 2048, true, 3, 4, "Up to 5 Gigabit", false},
	{"m5.large", "x86_64", 2, 1, 8192, false, 3, 10, "Up to 10 Gigabit", false},
	{"m5.xlarge", "x86_64", 4, 2, 16384, false, 4, 15, "Up to 10 Gigabit", false},
	{"m6i.large", "x86_64", 2, 1, 8192, false, 3, 10, "Up to 12.5 Gigabit", false},
	{"c5.large", "x86_64", 2, 1, 4096, false, 3, 10, "Up to 10 Gigabit", false},
	{"c6g.large", "arm64", 2, 2, 4096, false, 3, 10, "Up to 10 Gigabit", false},
	{"r5.large", "x86_64", 2, 1, 16384, false, 3, 10, "Up to 10 Gigabit", false},
}

func findInstanceType(name string) (instanceType, bool) {
	for _, t := range instanceTypes {
		if t.name == name {
			return t, true
		}
	}
	return instanceType{}, false
}

type instanceTypeXML struct {
	InstanceType                  string        `xml:"instanceType"`
	CurrentGeneration             bool          `xml:"currentGeneration"`
	FreeTierEligible              bool          `xml:"freeTierEligible"`
	SupportedUsageClasses         items[string] `xml:"supportedUsageClasses"`
	SupportedRootDeviceTypes      items[string] `xml:"supportedRootDeviceTypes"`
	SupportedVirtualizationTypes  items[string] `xml:"supportedVirtualizationTypes"`
	BareMetal                     bool          `xml:"bareMetal"`
	Hypervisor                    string        `xml:"hypervisor"`
	ProcessorInfo                 processorXML  `xml:"processorInfo"`
	VCPUInfo                      vcpuXML       `xml:"vCpuInfo"`
	MemoryInfo                    memoryXML     `xml:"memoryInfo"`
	InstanceStorageSupported      bool          `xml:"instanceStorageSupported"`
	EbsInfo                       ebsInfoXML    `xml:"ebsInfo"`
	NetworkInfo                   networkXML    `xml:"networkInfo"`
	PlacementGroupInfo            strategiesXML `xml:"placementGroupInfo"`
	HibernationSupported          bool          `xml:"hibernationSupported"`
	BurstablePerformanceSupported bool          `xml:"burstablePerformanceSupported"`
	DedicatedHostsSupported       bool          `xml:"dedicatedHostsSupported"`
	AutoRecoverySupported         bool          `xml:"autoRecoverySupported"`
	SupportedBootModes            items[string] `xml:"supportedBootModes"`
}

type processorXML struct {
	SupportedArchitectures items[string] `xml:"supportedArchitectures"`
}

type vcpuXML struct {
	DefaultVCpus          int        `xml:"defaultVCpus"`
	DefaultCores          int        `xml:"defaultCores"`
	DefaultThreadsPerCore int        `xml:"defaultThreadsPerCore"`
	ValidCores            items[int] `xml:"validCores"`
	ValidThreadsPerCore   items[int] `xml:"validThreadsPerCore"`
}

type memoryXML struct {
	SizeInMiB int `xml:"sizeInMiB"`
}

type ebsInfoXML struct {
	EbsOptimizedSupport string `xml:"ebsOptimizedSupport"`
	EncryptionSupport   string `xml:"encryptionSupport"`
	NvmeSupport         string `xml:"nvmeSupport"`
}

type networkXML struct {
	NetworkPerformance        string `xml:"networkPerformance"`
	MaximumNetworkInterfaces  int    `xml:"maximumNetworkInterfaces"`
	Ipv4AddressesPerInterface int    `xml:"ipv4AddressesPerInterface"`
	Ipv6AddressesPerInterface int    `xml:"ipv6AddressesPerInterface"`
	Ipv6Supported             bool   `xml:"ipv6Supported"`
	EnaSupport                string `xml:"enaSupport"`
	EfaSupported              bool   `xml:"efaSupported"`
	EncryptionInTransit       bool   `xml:"encryptionInTransitSupported"`
}

type strategiesXML struct {
	SupportedStrategies items[string] `xml:"supportedStrategies"`
}

func renderInstanceType(t instanceType) instanceTypeXML {
	threads := t.vcpus / t.cores
	cores := make([]int, t.cores)
	for i := range cores {
		cores[i] = i + 1
	}
	tpc := []int{1}
	if threads > 1 {
		tpc = append(tpc, threads)
	}
	classes := []string{"on-demand", "spot"}
	family := strings.SplitN(t.name, ".", 2)[0]
	hypervisor, virt, boot := "nitro", []string{"hvm"}, []string{"legacy-bios", "uefi"}
	if family == "t2" {
		hypervisor, boot = "xen", []string{"legacy-bios"}
		virt = []string{"hvm"}
	}
	if t.arch == "arm64" {
		boot = []string{"uefi"}
	}
	ebsOpt := "default"
	if family == "t2" {
		ebsOpt = "unsupported"
	}
	return instanceTypeXML{InstanceType: t.name, CurrentGeneration: family != "t2", FreeTierEligible: t.freeTier,
		SupportedUsageClasses: list(classes), SupportedRootDeviceTypes: list([]string{"ebs"}),
		SupportedVirtualizationTypes: list(virt), Hypervisor: hypervisor,
		ProcessorInfo: processorXML{SupportedArchitectures: list([]string{t.arch})},
		VCPUInfo:      vcpuXML{DefaultVCpus: t.vcpus, DefaultCores: t.cores, DefaultThreadsPerCore: threads, ValidCores: list(cores), ValidThreadsPerCore: list(tpc)},
		MemoryInfo:    memoryXML{SizeInMiB: t.memMiB},
		EbsInfo:       ebsInfoXML{EbsOptimizedSupport: ebsOpt, EncryptionSupport: "supported", NvmeSupport: map[bool]string{true: "unsupported", false: "required"}[family == "t2"]},
		NetworkInfo: networkXML{NetworkPerformance: t.network, MaximumNetworkInterfaces: t.enis, Ipv4AddressesPerInterface: t.ipv4,
			Ipv6AddressesPerInterface: t.ipv4, Ipv6Supported: true, EnaSupport: map[bool]string{true: "unsupported", false: "required"}[family == "t2"]},
		PlacementGroupInfo:            strategiesXML{SupportedStrategies: list([]string{"partition", "spread"})},
		HibernationSupported:          t.arch == "x86_64",
		BurstablePerformanceSupported: t.burstable, AutoRecoverySupported: true,
		SupportedBootModes: list(boot)}
}

var instanceTypeFields = fields[instanceTypeXML]{
	"instance-type":                         func(x instanceTypeXML) []string { return one(x.InstanceType) },
	"current-generation":                    func(x instanceTypeXML) []string { return one(boolStr(x.CurrentGeneration)) },
	"free-tier-eligible":                    func(x instanceTypeXML) []string { return one(boolStr(x.FreeTierEligible)) },
	"burstable-performance-supported":       func(x instanceTypeXML) []string { return one(boolStr(x.BurstablePerformanceSupported)) },
	"processor-info.supported-architecture": func(x instanceTypeXML) []string { return x.ProcessorInfo.SupportedArchitectures.Items },
	"vcpu-info.default-vcpus":               func(x instanceTypeXML) []string { return one(strconv.Itoa(x.VCPUInfo.DefaultVCpus)) },
	"memory-info.size-in-mib":               func(x instanceTypeXML) []string { return one(strconv.Itoa(x.MemoryInfo.SizeInMiB)) },
	"hypervisor":                            func(x instanceTypeXML) []string { return one(x.Hypervisor) },
}

type describeInstanceTypesResponse struct {
	InstanceTypeSet items[instanceTypeXML] `xml:"instanceTypeSet"`
	NextToken       string                 `xml:"nextToken,omitempty"`
}

func describeInstanceTypes(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	names := r.Params.list("InstanceType")
	var all []instanceTypeXML
	for _, t := range instanceTypes {
		all = append(all, renderInstanceType(t))
	}
	sel := selection[instanceTypeXML]{id: func(x instanceTypeXML) string { return x.InstanceType },
		notFound: func(missing []string) error {
			return emulator.AWSErr("InvalidInstanceType", "The following supplied instance types do not exist: [%s]", joinIDs(missing))
		},
		fields: instanceTypeFields, tags: nil, maxPage: 100}
	pg, err := sel.page(all, names, fs, r.Params)
	if err != nil {
		return nil, err
	}
	if r.DryRun {
		return nil, errDryRun
	}
	return &describeInstanceTypesResponse{InstanceTypeSet: list(pg.Items), NextToken: pg.Next}, nil
}
