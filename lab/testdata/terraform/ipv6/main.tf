# IPv6 as spacelab models it: an Amazon-provided /56 on the VPC, a /64 on the subnet, ::/0
# (and another IPv6 prefix, to an instance's interface) in a route table, IPv6 security group
# rules inline and as objects, an IPv6 network ACL rule. They are stored and read back exactly;
# the data plane carries IPv4 only, so the instances have no IPv6 address and the IPv6 rules
# admit no IPv4 packet. The provider block is added by the test.

resource "aws_vpc" "v" {
  cidr_block                       = "10.60.0.0/16"
  assign_generated_ipv6_cidr_block = true
}
resource "aws_subnet" "s" {
  vpc_id          = aws_vpc.v.id
  cidr_block      = "10.60.1.0/24"
  ipv6_cidr_block = cidrsubnet(aws_vpc.v.ipv6_cidr_block, 8, 1)
}
resource "aws_internet_gateway" "igw" {
  vpc_id = aws_vpc.v.id
}
resource "aws_route_table" "rt" {
  vpc_id = aws_vpc.v.id
}
resource "aws_route" "v6_default" {
  route_table_id              = aws_route_table.rt.id
  destination_ipv6_cidr_block = "::/0"
  gateway_id                  = aws_internet_gateway.igw.id
}
resource "aws_route" "v6_to_web" {
  route_table_id              = aws_route_table.rt.id
  destination_ipv6_cidr_block = "2001:db8::/32"
  network_interface_id        = aws_instance.web.primary_network_interface_id
}
resource "aws_route_table_association" "s" {
  subnet_id      = aws_subnet.s.id
  route_table_id = aws_route_table.rt.id
}

# web: port 80 only from IPv6 (::/0), port 8080 from the VPC's IPv4 block.
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.v.id
  ingress {
    protocol         = "tcp"
    from_port        = 80
    to_port          = 80
    ipv6_cidr_blocks = ["::/0"]
  }
  ingress {
    protocol    = "tcp"
    from_port   = 8080
    to_port     = 8080
    cidr_blocks = [aws_vpc.v.cidr_block]
  }
  egress {
    protocol         = "-1"
    from_port        = 0
    to_port          = 0
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }
}
# client: rules as objects only (an inline block and rule objects on one group would fight).
resource "aws_security_group" "client" {
  name   = "client"
  vpc_id = aws_vpc.v.id
}
resource "aws_vpc_security_group_ingress_rule" "client_ssh6" {
  security_group_id = aws_security_group.client.id
  cidr_ipv6         = aws_vpc.v.ipv6_cidr_block
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  description       = "ssh over IPv6 from the VPC"
}
resource "aws_vpc_security_group_egress_rule" "client_all4" {
  security_group_id = aws_security_group.client.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}
resource "aws_vpc_security_group_egress_rule" "client_all6" {
  security_group_id = aws_security_group.client.id
  cidr_ipv6         = "::/0"
  ip_protocol       = "-1"
}
resource "aws_network_acl_rule" "deny_telnet6" {
  network_acl_id  = aws_vpc.v.default_network_acl_id
  rule_number     = 150
  egress          = false
  protocol        = "tcp"
  rule_action     = "deny"
  ipv6_cidr_block = "::/0"
  from_port       = 23
  to_port         = 23
}

resource "aws_instance" "web" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.web.id]
}
resource "aws_instance" "client" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.client.id]
}

output "vpc_ipv6" { value = aws_vpc.v.ipv6_cidr_block }
output "subnet_ipv6" { value = aws_subnet.s.ipv6_cidr_block }
output "web" { value = aws_instance.web.id }
output "web_ip" { value = aws_instance.web.private_ip }
output "web_ipv6" { value = join(",", aws_instance.web.ipv6_addresses) }
output "client" { value = aws_instance.client.id }
output "rule" { value = aws_vpc_security_group_ingress_rule.client_ssh6.id }
