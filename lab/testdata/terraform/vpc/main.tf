# A customer VPC from scratch: DNS attributes, two subnets (one public on launch, AZ by name;
# one by zone id), an internet gateway, a public route table, a security group with inline
# rules (HTTP in from anywhere), a network ACL, and an instance found through data "aws_ami".
# The provider block is added by the test.

data "aws_region" "current" {}
data "aws_availability_zones" "available" { state = "available" }

resource "aws_vpc" "app" {
  cidr_block           = "10.20.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "app" }
}
resource "aws_subnet" "a" {
  vpc_id                  = aws_vpc.app.id
  cidr_block              = "10.20.1.0/24"
  availability_zone       = data.aws_availability_zones.available.names[0]
  map_public_ip_on_launch = true
  tags                    = { Name = "app-a" }
}
resource "aws_subnet" "b" {
  vpc_id               = aws_vpc.app.id
  cidr_block           = "10.20.2.0/24"
  availability_zone_id = data.aws_availability_zones.available.zone_ids[1]
}
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.app.id
}
resource "aws_route_table" "public" {
  vpc_id = aws_vpc.app.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
  tags = { Name = "public" }
}
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.public.id
}
resource "aws_security_group" "web" {
  name        = "web"
  description = "web servers"
  vpc_id      = aws_vpc.app.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
    description = "http"
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_network_acl" "a" {
  vpc_id     = aws_vpc.app.id
  subnet_ids = [aws_subnet.b.id]
  ingress {
    protocol   = "tcp"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 80
    to_port    = 80
  }
  egress {
    protocol   = "-1"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
}
data "aws_ami" "debian" {
  most_recent = true
  owners      = ["136693071363"]
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
}
resource "aws_instance" "web" {
  ami                    = data.aws_ami.debian.id
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.a.id
  vpc_security_group_ids = [aws_security_group.web.id]
  tags                   = { Name = "web" }
}

output "instance" { value = aws_instance.web.id }
output "public_ip" { value = aws_instance.web.public_ip }
output "private_ip" { value = aws_instance.web.private_ip }
