# A VPC with a secondary IPv4 CIDR block (aws_vpc_ipv4_cidr_block_association), a subnet in
# each block, peered with a second VPC that routes to the secondary block; the instance in the
# primary block has a second interface (device 1) in the secondary block with an Elastic IP on
# it. The provider block is added by the test (endpoints of the lab).

resource "aws_vpc" "main" {
  cidr_block = "10.60.0.0/16"
  tags       = { Name = "cidreip-main" }
}

resource "aws_vpc_ipv4_cidr_block_association" "second" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.61.0.0/16"
}

resource "aws_subnet" "primary" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.60.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "secondary" {
  vpc_id            = aws_vpc_ipv4_cidr_block_association.second.vpc_id
  cidr_block        = "10.61.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route" "default" {
  route_table_id         = aws_vpc.main.main_route_table_id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.gw.id
}

resource "aws_security_group" "web" {
  name   = "cidreip-web"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "primary" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.primary.id
  vpc_security_group_ids = [aws_security_group.web.id]
}

resource "aws_instance" "secondary" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.secondary.id
  vpc_security_group_ids = [aws_security_group.web.id]
}

resource "aws_network_interface" "second" {
  subnet_id       = aws_subnet.secondary.id
  security_groups = [aws_security_group.web.id]
}

resource "aws_network_interface_attachment" "second" {
  instance_id          = aws_instance.primary.id
  network_interface_id = aws_network_interface.second.id
  device_index         = 1
}

resource "aws_eip" "second" {
  domain                    = "vpc"
  network_interface         = aws_network_interface.second.id
  associate_with_private_ip = aws_network_interface.second.private_ip
  depends_on                = [aws_internet_gateway.gw, aws_network_interface_attachment.second]
}

# The peer: its route table sends the secondary block over the peering, and back.
resource "aws_vpc" "peer" {
  cidr_block = "10.70.0.0/16"
  tags       = { Name = "cidreip-peer" }
}

resource "aws_subnet" "peer" {
  vpc_id            = aws_vpc.peer.id
  cidr_block        = "10.70.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_instance" "peer" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.peer.id
}

resource "aws_vpc_peering_connection" "pcx" {
  vpc_id      = aws_vpc.main.id
  peer_vpc_id = aws_vpc.peer.id
  auto_accept = true
}

resource "aws_route" "to_secondary" {
  route_table_id            = aws_vpc.peer.main_route_table_id
  destination_cidr_block    = aws_vpc_ipv4_cidr_block_association.second.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.pcx.id
}

resource "aws_route" "to_peer" {
  route_table_id            = aws_vpc.main.main_route_table_id
  destination_cidr_block    = aws_vpc.peer.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.pcx.id
}

output "primary" { value = aws_instance.primary.id }
output "secondary" { value = aws_instance.secondary.id }
output "secondary_ip" { value = aws_instance.secondary.private_ip }
output "peer" { value = aws_instance.peer.id }
output "eni_ip" { value = aws_network_interface.second.private_ip }
output "eip" { value = aws_eip.second.public_ip }
output "eip_assoc" { value = aws_eip.second.association_id }
output "eip_instance" { value = aws_eip.second.instance }
