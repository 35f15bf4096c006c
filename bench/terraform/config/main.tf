# Fifty resources of plain VPC networking that both spacelab and moto_server accept: two VPCs
# of one account peered with each other, each with three subnets, an internet gateway, a public
# and a private route table (associations, a default route, routes over the peering), two
# security groups with rules, and a network ACL with rules. The provider block is added by
# bench/terraform (the endpoint of the backend it measures).

locals {
  vpcs = {
    a = "10.10.0.0/16"
    b = "10.20.0.0/16"
  }
  subnets = {
    a0 = { vpc = "a", cidr = "10.10.0.0/24", public = true }
    a1 = { vpc = "a", cidr = "10.10.1.0/24", public = false }
    a2 = { vpc = "a", cidr = "10.10.2.0/24", public = false }
    b0 = { vpc = "b", cidr = "10.20.0.0/24", public = true }
    b1 = { vpc = "b", cidr = "10.20.1.0/24", public = false }
    b2 = { vpc = "b", cidr = "10.20.2.0/24", public = false }
  }
  peer = { a = "b", b = "a" }
  tags = { Project = "tfbench", Owner = "bench" }
}

data "aws_availability_zones" "here" {
  state = "available"
}

# 2
resource "aws_vpc" "v" {
  for_each             = local.vpcs
  cidr_block           = each.value
  enable_dns_hostnames = each.key == "a"
  tags                 = merge(local.tags, { Name = "tfbench-${each.key}" })
}

# 6
resource "aws_subnet" "s" {
  for_each                = local.subnets
  vpc_id                  = aws_vpc.v[each.value.vpc].id
  cidr_block              = each.value.cidr
  availability_zone       = data.aws_availability_zones.here.names[0]
  map_public_ip_on_launch = each.value.public
  tags                    = merge(local.tags, { Name = "tfbench-${each.key}" })
}

# 2
resource "aws_internet_gateway" "igw" {
  for_each = local.vpcs
  vpc_id   = aws_vpc.v[each.key].id
  tags     = merge(local.tags, { Name = "tfbench-${each.key}" })
}

# 1
resource "aws_vpc_peering_connection" "ab" {
  vpc_id      = aws_vpc.v["a"].id
  peer_vpc_id = aws_vpc.v["b"].id
  auto_accept = true
  tags        = merge(local.tags, { Name = "tfbench-a-b" })
}

# 2 + 2
resource "aws_route_table" "public" {
  for_each = local.vpcs
  vpc_id   = aws_vpc.v[each.key].id
  tags     = merge(local.tags, { Name = "tfbench-${each.key}-public" })
}

resource "aws_route_table" "private" {
  for_each = local.vpcs
  vpc_id   = aws_vpc.v[each.key].id
  tags     = merge(local.tags, { Name = "tfbench-${each.key}-private" })
}

# 6
resource "aws_route_table_association" "s" {
  for_each       = local.subnets
  subnet_id      = aws_subnet.s[each.key].id
  route_table_id = each.value.public ? aws_route_table.public[each.value.vpc].id : aws_route_table.private[each.value.vpc].id
}

# 2 + 4
resource "aws_route" "internet" {
  for_each               = local.vpcs
  route_table_id         = aws_route_table.public[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.igw[each.key].id
}

resource "aws_route" "peer_public" {
  for_each                  = local.vpcs
  route_table_id            = aws_route_table.public[each.key].id
  destination_cidr_block    = local.vpcs[local.peer[each.key]]
  vpc_peering_connection_id = aws_vpc_peering_connection.ab.id
}

resource "aws_route" "peer_private" {
  for_each                  = local.vpcs
  route_table_id            = aws_route_table.private[each.key].id
  destination_cidr_block    = local.vpcs[local.peer[each.key]]
  vpc_peering_connection_id = aws_vpc_peering_connection.ab.id
}

# 2 + 2
resource "aws_security_group" "web" {
  for_each    = local.vpcs
  name        = "tfbench-web-${each.key}"
  description = "web tier"
  vpc_id      = aws_vpc.v[each.key].id
  tags        = merge(local.tags, { Name = "tfbench-web-${each.key}" })
}

resource "aws_security_group" "db" {
  for_each    = local.vpcs
  name        = "tfbench-db-${each.key}"
  description = "database tier"
  vpc_id      = aws_vpc.v[each.key].id
  tags        = merge(local.tags, { Name = "tfbench-db-${each.key}" })
}

# 2 + 2 + 2 + 2
resource "aws_security_group_rule" "web_https" {
  for_each          = local.vpcs
  type              = "ingress"
  security_group_id = aws_security_group.web[each.key].id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["0.0.0.0/0"]
  description       = "https from anywhere"
}

resource "aws_security_group_rule" "web_egress" {
  for_each          = local.vpcs
  type              = "egress"
  security_group_id = aws_security_group.web[each.key].id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "db_from_web" {
  for_each                 = local.vpcs
  type                     = "ingress"
  security_group_id        = aws_security_group.db[each.key].id
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
  source_security_group_id = aws_security_group.web[each.key].id
}

resource "aws_security_group_rule" "db_from_peer" {
  for_each          = local.vpcs
  type              = "ingress"
  security_group_id = aws_security_group.db[each.key].id
  protocol          = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_blocks       = [local.vpcs[local.peer[each.key]]]
  description       = "postgres from the peer VPC"
}

# 2
resource "aws_network_acl" "n" {
  for_each = local.vpcs
  vpc_id   = aws_vpc.v[each.key].id
  tags     = merge(local.tags, { Name = "tfbench-${each.key}" })
}

# 2 + 2 + 2
resource "aws_network_acl_rule" "in_all" {
  for_each       = local.vpcs
  network_acl_id = aws_network_acl.n[each.key].id
  rule_number    = 100
  egress         = false
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}

resource "aws_network_acl_rule" "out_all" {
  for_each       = local.vpcs
  network_acl_id = aws_network_acl.n[each.key].id
  rule_number    = 100
  egress         = true
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}

resource "aws_network_acl_rule" "deny_telnet" {
  for_each       = local.vpcs
  network_acl_id = aws_network_acl.n[each.key].id
  rule_number    = 90
  egress         = false
  protocol       = "tcp"
  from_port      = 23
  to_port        = 23
  rule_action    = "deny"
  cidr_block     = "0.0.0.0/0"
}

# 2
resource "aws_network_acl_association" "private" {
  for_each       = { a = "a1", b = "b1" }
  network_acl_id = aws_network_acl.n[each.key].id
  subnet_id      = aws_subnet.s[each.value].id
}

# 1: a group with its rules inline
resource "aws_security_group" "bastion" {
  name        = "tfbench-bastion"
  description = "ssh from the peer VPC"
  vpc_id      = aws_vpc.v["a"].id
  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = [local.vpcs["b"]]
    description = "ssh"
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = merge(local.tags, { Name = "tfbench-bastion" })
}
