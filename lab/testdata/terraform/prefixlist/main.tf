# Customer-managed prefix lists in a security group rule and in a route. The web instance's
# subnet reaches the internet only for the CIDRs of the "routes" list (a route to the internet
# gateway whose destination is the list), and its group lets in HTTP only from the "clients"
# list. Changing either variable modifies the list in place (a new version) and the packets
# follow. The provider block is added by the test.

variable "client_cidr" { default = "203.0.113.10/32" }
variable "route_cidr" { default = "203.0.113.0/24" }

resource "aws_vpc" "v" {
  cidr_block = "10.40.0.0/16"
  tags       = { Name = "prefixlist-lab" }
}
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.v.id
}
resource "aws_subnet" "web" {
  vpc_id                  = aws_vpc.v.id
  cidr_block              = "10.40.1.0/24"
  map_public_ip_on_launch = true
}

resource "aws_ec2_managed_prefix_list" "routes" {
  name           = "routed"
  address_family = "IPv4"
  max_entries    = 5
  entry {
    cidr        = var.route_cidr
    description = "where the web subnet may go"
  }
  tags = { Purpose = "routes" }
}
resource "aws_ec2_managed_prefix_list" "clients" {
  name           = "clients"
  address_family = "IPv4"
  max_entries    = 3
  entry {
    cidr        = var.client_cidr
    description = "who may reach the web server"
  }
  entry {
    cidr = "198.18.0.0/15"
  }
}

resource "aws_route_table" "web" {
  vpc_id = aws_vpc.v.id
}
resource "aws_route" "to_list" {
  route_table_id             = aws_route_table.web.id
  destination_prefix_list_id = aws_ec2_managed_prefix_list.routes.id
  gateway_id                 = aws_internet_gateway.gw.id
}
resource "aws_route_table_association" "web" {
  subnet_id      = aws_subnet.web.id
  route_table_id = aws_route_table.web.id
}

resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.v.id
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_vpc_security_group_ingress_rule" "http_from_clients" {
  security_group_id = aws_security_group.web.id
  prefix_list_id    = aws_ec2_managed_prefix_list.clients.id
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  description       = "http from the clients list"
}
resource "aws_security_group_rule" "ping_from_clients" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  prefix_list_ids   = [aws_ec2_managed_prefix_list.clients.id]
  protocol          = "icmp"
  from_port         = 8
  to_port           = 0
}

resource "aws_instance" "web" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.web.id
  vpc_security_group_ids = [aws_security_group.web.id]
  depends_on             = [aws_internet_gateway.gw]
}

data "aws_ec2_managed_prefix_list" "clients" {
  id = aws_ec2_managed_prefix_list.clients.id
}

output "web" { value = aws_instance.web.id }
output "web_ip" { value = aws_instance.web.public_ip }
output "clients" { value = aws_ec2_managed_prefix_list.clients.id }
output "clients_version" { value = aws_ec2_managed_prefix_list.clients.version }
output "clients_entries" { value = join(",", sort([for e in data.aws_ec2_managed_prefix_list.clients.entries : e.cidr])) }
