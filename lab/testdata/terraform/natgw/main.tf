# A VPC with a public and a private subnet, the usual way out for the private one: an internet
# gateway for the public subnet, a NAT gateway (with an Elastic IP) in it, and the private
# subnet's default route to the NAT gateway. A second instance in the public subnet gets its own
# Elastic IP through an association. The provider block is added by the test (endpoints of the lab).

resource "aws_vpc" "main" {
  cidr_block           = "10.30.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = "natgw-lab" }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "natgw-lab" }
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.30.0.0/24"
  availability_zone = "us-east-1a"
  tags              = { Name = "public" }
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.30.1.0/24"
  availability_zone = "us-east-1a"
  tags              = { Name = "private" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "public" }
}

resource "aws_route" "public_default" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.gw.id
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
  tags   = { Name = "nat" }
}

resource "aws_nat_gateway" "nat" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
  tags          = { Name = "natgw-lab" }
  depends_on    = [aws_internet_gateway.gw]
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "private" }
}

resource "aws_route" "private_default" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.nat.id
}

resource "aws_route_table_association" "private" {
  subnet_id      = aws_subnet.private.id
  route_table_id = aws_route_table.private.id
}

resource "aws_instance" "private" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.private.id
  tags          = { Name = "natgw-private" }
}

resource "aws_instance" "public" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.public.id
  tags          = { Name = "natgw-public" }
}

resource "aws_eip" "web" {
  domain = "vpc"
  tags   = { Name = "web" }
}

resource "aws_eip_association" "web" {
  allocation_id = aws_eip.web.id
  instance_id   = aws_instance.public.id
}

output "nat" { value = aws_nat_gateway.nat.id }
output "nat_ip" { value = aws_nat_gateway.nat.public_ip }
output "nat_eip" { value = aws_eip.nat.public_ip }
output "web_ip" { value = aws_eip.web.public_ip }
output "private_instance" { value = aws_instance.private.id }
output "public_instance" { value = aws_instance.public.id }

# The data source finds the gateway the way a module that did not create it would.
data "aws_nat_gateway" "public" {
  subnet_id  = aws_subnet.public.id
  state      = "available"
  depends_on = [aws_nat_gateway.nat]
}

output "nat_found" { value = data.aws_nat_gateway.public.id }
output "nat_found_ip" { value = data.aws_nat_gateway.public.public_ip }
