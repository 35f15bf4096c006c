# The account's default VPC, adopted: aws_default_vpc, _subnet, _route_table,
# _security_group (opened for HTTP) and _network_acl, and an instance in the default subnet of
# us-east-1a, public on launch. The provider block is added by the test.

resource "aws_default_vpc" "default" {
  tags = { Name = "Default VPC" }
}
resource "aws_default_subnet" "a" {
  availability_zone = "us-east-1a"
}
resource "aws_default_route_table" "main" {
  default_route_table_id = aws_default_vpc.default.main_route_table_id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = data.aws_internet_gateway.default.id
  }
}
data "aws_internet_gateway" "default" {
  filter {
    name   = "attachment.vpc-id"
    values = [aws_default_vpc.default.id]
  }
}
resource "aws_default_security_group" "default" {
  vpc_id = aws_default_vpc.default.id
  ingress {
    protocol  = "-1"
    self      = true
    from_port = 0
    to_port   = 0
  }
  ingress {
    protocol    = "tcp"
    from_port   = 80
    to_port     = 80
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_default_network_acl" "default" {
  default_network_acl_id = aws_default_vpc.default.default_network_acl_id
  subnet_ids             = data.aws_subnets.default.ids
  ingress {
    protocol   = -1
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
  egress {
    protocol   = -1
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
}
data "aws_vpcs" "all" {}
data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [aws_default_vpc.default.id]
  }
}
resource "aws_instance" "web" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  subnet_id     = aws_default_subnet.a.id
}
output "subnets" { value = data.aws_subnets.default.ids }
output "public_ip" { value = aws_instance.web.public_ip }
output "instance" { value = aws_instance.web.id }
