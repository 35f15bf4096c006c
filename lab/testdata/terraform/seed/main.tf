# The Private Space Peering procedure (the seed walkthrough) as a customer writes it in
# Terraform: the VPC, its main route table and default security group already exist and are
# read with data sources; the peering request, the route to the space and the rule that lets the
# space in are resources. The provider block is added by the test (endpoints of the lab).

variable "space_account" { default = "884226375513" }
variable "space_vpc" { default = "vpc-b39527d4" }
variable "space_region" { default = "ap-northeast-1" }
variable "space_cidr" { default = "10.0.0.0/16" }

data "aws_caller_identity" "me" {}

data "aws_vpc" "customer" {
  filter {
    name   = "cidr"
    values = ["172.16.0.0/16"]
  }
}

data "aws_route_table" "main" {
  vpc_id = data.aws_vpc.customer.id
  filter {
    name   = "association.main"
    values = ["true"]
  }
}

data "aws_security_group" "default" {
  vpc_id = data.aws_vpc.customer.id
  name   = "default"
}

resource "aws_vpc_peering_connection" "space" {
  vpc_id        = data.aws_vpc.customer.id
  peer_vpc_id   = var.space_vpc
  peer_owner_id = var.space_account
  peer_region   = var.space_region
  tags          = { Name = "to-enablement-jp" }
}

resource "aws_route" "space" {
  route_table_id            = data.aws_route_table.main.id
  destination_cidr_block    = var.space_cidr
  vpc_peering_connection_id = aws_vpc_peering_connection.space.id
}

resource "aws_security_group_rule" "from_space" {
  type              = "ingress"
  security_group_id = data.aws_security_group.default.id
  protocol          = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_blocks       = [var.space_cidr]
  description       = "HTTP from the Private Space"
}

output "account" { value = data.aws_caller_identity.me.account_id }
output "vpc" { value = data.aws_vpc.customer.id }
output "pcx" { value = aws_vpc_peering_connection.space.id }
