# Two VPCs of one account: A's main route table is replaced by one with a default route to its
# internet gateway and a route to B over a peering (aws_main_route_table_association), so A's
# subnet, which has no explicit association, follows it. The peering is requested without
# auto_accept and accepted by aws_vpc_peering_connection_accepter; its DNS options are set by
# aws_vpc_peering_connection_options. A has its own DHCP options (search domain and resolver).
# Data sources read everything back. The provider block is added by the test.

variable "domain" { default = "corp.example" }

resource "aws_vpc" "a" {
  cidr_block = "10.50.0.0/16"
  tags       = { Name = "extras-a", Project = "extras" }
}
resource "aws_vpc" "b" {
  cidr_block = "10.51.0.0/16"
  tags       = { Name = "extras-b", Project = "extras" }
}
resource "aws_internet_gateway" "a" {
  vpc_id = aws_vpc.a.id
}
resource "aws_subnet" "a" {
  vpc_id                  = aws_vpc.a.id
  cidr_block              = "10.50.1.0/24"
  availability_zone       = "us-east-1b"
  map_public_ip_on_launch = true
}
resource "aws_subnet" "b" {
  vpc_id     = aws_vpc.b.id
  cidr_block = "10.51.1.0/24"
}

resource "aws_vpc_peering_connection" "ab" {
  vpc_id      = aws_vpc.a.id
  peer_vpc_id = aws_vpc.b.id
  tags        = { Name = "a-b" }
}
resource "aws_vpc_peering_connection_accepter" "ab" {
  vpc_peering_connection_id = aws_vpc_peering_connection.ab.id
  auto_accept               = true
  # Same account: requester and accepter are one object with one set of tags.
  tags = { Name = "a-b" }
}
resource "aws_vpc_peering_connection_options" "ab" {
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.ab.id
  requester {
    allow_remote_vpc_dns_resolution = true
  }
  accepter {
    allow_remote_vpc_dns_resolution = true
  }
}

resource "aws_route_table" "main" {
  vpc_id = aws_vpc.a.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.a.id
  }
  route {
    cidr_block                = "10.51.0.0/16"
    vpc_peering_connection_id = aws_vpc_peering_connection_accepter.ab.id
  }
  tags = { Name = "a-main" }
}
resource "aws_main_route_table_association" "a" {
  vpc_id         = aws_vpc.a.id
  route_table_id = aws_route_table.main.id
}
resource "aws_route" "b_to_a" {
  route_table_id            = aws_vpc.b.main_route_table_id
  destination_cidr_block    = "10.50.0.0/16"
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.ab.id
}

resource "aws_vpc_dhcp_options" "corp" {
  domain_name         = var.domain
  domain_name_servers = ["AmazonProvidedDNS"]
  ntp_servers         = ["10.50.0.123"]
  tags                = { Name = "corp" }
}
resource "aws_vpc_dhcp_options_association" "a" {
  vpc_id          = aws_vpc.a.id
  dhcp_options_id = aws_vpc_dhcp_options.corp.id
}

resource "aws_security_group" "b" {
  name   = "b-web"
  vpc_id = aws_vpc.b.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["10.50.0.0/16"]
  }
}
resource "aws_instance" "a" {
  ami           = data.aws_ami.any.id
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id
  tags          = { Name = "extras-a" }
  depends_on    = [aws_internet_gateway.a, aws_vpc_dhcp_options_association.a]
}
resource "aws_instance" "b" {
  ami                    = data.aws_ami.any.id
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.b.id
  vpc_security_group_ids = [aws_security_group.b.id]
}

data "aws_ami" "any" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-*-x86_64"]
  }
}
data "aws_caller_identity" "me" {}
data "aws_region" "here" {}
data "aws_availability_zones" "zones" {}
data "aws_vpcs" "extras" {
  tags       = { Project = "extras" }
  depends_on = [aws_vpc.a, aws_vpc.b]
}
data "aws_vpc" "a" {
  id         = aws_vpc.a.id
  depends_on = [aws_vpc_dhcp_options_association.a]
}
data "aws_subnets" "a" {
  filter {
    name   = "vpc-id"
    values = [aws_vpc.a.id]
  }
  depends_on = [aws_subnet.a]
}
data "aws_subnet" "b" {
  id = aws_subnet.b.id
}
data "aws_route_table" "a_main" {
  vpc_id = aws_vpc.a.id
  filter {
    name   = "association.main"
    values = ["true"]
  }
  depends_on = [aws_main_route_table_association.a]
}
data "aws_security_group" "b" {
  id = aws_security_group.b.id
}
data "aws_instance" "a" {
  instance_id = aws_instance.a.id
}
data "aws_internet_gateway" "a" {
  filter {
    name   = "attachment.vpc-id"
    values = [aws_vpc.a.id]
  }
  depends_on = [aws_internet_gateway.a]
}
data "aws_vpc_peering_connection" "ab" {
  id         = aws_vpc_peering_connection_options.ab.id
  depends_on = [aws_vpc_peering_connection_options.ab]
}
data "aws_vpc_dhcp_options" "corp" {
  dhcp_options_id = aws_vpc_dhcp_options.corp.id
}

output "a" { value = aws_instance.a.id }
output "b" { value = aws_instance.b.id }
output "b_ip" { value = aws_instance.b.private_ip }
output "a_public_ip" { value = data.aws_instance.a.public_ip }
output "account" { value = data.aws_caller_identity.me.account_id }
output "region" { value = data.aws_region.here.name }
output "zones" { value = length(data.aws_availability_zones.zones.names) }
output "vpcs" { value = join(",", sort(data.aws_vpcs.extras.ids)) }
output "vpc_ids" { value = join(",", sort([aws_vpc.a.id, aws_vpc.b.id])) }
output "vpc_a_dhcp" { value = data.aws_vpc.a.dhcp_options_id }
output "dhcp" { value = aws_vpc_dhcp_options.corp.id }
output "dhcp_domain" { value = data.aws_vpc_dhcp_options.corp.domain_name }
output "subnets_a" { value = join(",", data.aws_subnets.a.ids) }
output "subnet_a" { value = aws_subnet.a.id }
output "subnet_b_cidr" { value = data.aws_subnet.b.cidr_block }
output "main_found" { value = data.aws_route_table.a_main.id }
output "main" { value = aws_route_table.main.id }
output "sg_b_name" { value = data.aws_security_group.b.name }
output "igw_found" { value = data.aws_internet_gateway.a.id }
output "igw" { value = aws_internet_gateway.a.id }
output "pcx_status" { value = data.aws_vpc_peering_connection.ab.status }
output "pcx_dns" { value = data.aws_vpc_peering_connection.ab.accepter["allow_remote_vpc_dns_resolution"] }
