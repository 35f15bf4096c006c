# Network interfaces as objects: a second ENI on the server with security groups of its own
# (aws_network_interface + _attachment + _sg_attachment), and an appliance instance that routes
# the client subnet's traffic: aws_route to an ENI (the appliance's second interface) and to an
# instance (its primary interface). The appliance forwards only while the source/destination
# check of the interface the traffic arrives on is off (var.router_check).
# The provider block is added by the test.

variable "router_check" { default = false }

locals { az = "us-east-1a" }

resource "aws_vpc" "v" {
  cidr_block = "10.40.0.0/16"
}
resource "aws_subnet" "client" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.40.1.0/24"
  availability_zone = local.az
}
resource "aws_subnet" "appliance" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.40.2.0/24"
  availability_zone = local.az
}
resource "aws_subnet" "server" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.40.3.0/24"
  availability_zone = local.az
}
resource "aws_subnet" "web" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.40.4.0/24"
  availability_zone = local.az
}
resource "aws_subnet" "transit" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.40.5.0/24"
  availability_zone = local.az
}

resource "aws_security_group" "open" {
  name   = "open"
  vpc_id = aws_vpc.v.id
  ingress {
    protocol    = "tcp"
    from_port   = 0
    to_port     = 65535
    cidr_blocks = ["10.40.0.0/16"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "web8080" {
  name        = "web8080"
  description = "the second interface serves 8080 only"
  vpc_id      = aws_vpc.v.id
  ingress {
    protocol    = "tcp"
    from_port   = 8080
    to_port     = 8080
    cidr_blocks = ["10.40.0.0/16"]
  }
}

resource "aws_instance" "client" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.client.id
  vpc_security_group_ids = [aws_security_group.open.id]
}
resource "aws_instance" "server" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.server.id
  vpc_security_group_ids = [aws_security_group.open.id]
}
resource "aws_instance" "appliance" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.small"
  subnet_id              = aws_subnet.appliance.id
  vpc_security_group_ids = [aws_security_group.open.id]
  source_dest_check      = false
}

# The server's second interface: the VPC's default group, plus web8080 by _sg_attachment.
resource "aws_network_interface" "web" {
  subnet_id   = aws_subnet.web.id
  private_ips = ["10.40.4.20"]
  description = "web"
  tags        = { Name = "web" }
}
resource "aws_network_interface_attachment" "web" {
  instance_id          = aws_instance.server.id
  network_interface_id = aws_network_interface.web.id
  device_index         = 1
}
resource "aws_network_interface_sg_attachment" "web8080" {
  security_group_id    = aws_security_group.web8080.id
  network_interface_id = aws_network_interface.web.id
}

# The appliance's second interface, attached inline.
resource "aws_network_interface" "router" {
  subnet_id         = aws_subnet.transit.id
  security_groups   = [aws_security_group.open.id]
  source_dest_check = var.router_check
  attachment {
    instance     = aws_instance.appliance.id
    device_index = 1
  }
}

resource "aws_route_table" "client" {
  vpc_id = aws_vpc.v.id
}
resource "aws_route_table_association" "client" {
  subnet_id      = aws_subnet.client.id
  route_table_id = aws_route_table.client.id
}
resource "aws_route" "to_eni" {
  route_table_id         = aws_route_table.client.id
  destination_cidr_block = aws_subnet.server.cidr_block
  network_interface_id   = aws_network_interface.router.id
}
resource "aws_route" "to_instance" {
  route_table_id         = aws_route_table.client.id
  destination_cidr_block = aws_subnet.web.cidr_block
  network_interface_id   = aws_instance.appliance.primary_network_interface_id
}

output "client" { value = aws_instance.client.id }
output "client_eni" { value = aws_instance.client.primary_network_interface_id }
output "server" { value = aws_instance.server.id }
output "server_eni" { value = aws_instance.server.primary_network_interface_id }
output "server_ip" { value = aws_instance.server.private_ip }
output "web_eni" { value = aws_network_interface.web.id }
output "web_ip" { value = aws_network_interface.web.private_ip }
output "router_eni" { value = aws_network_interface.router.id }
output "to_instance" { value = aws_route.to_instance.instance_id }
