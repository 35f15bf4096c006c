# An AWS Site-to-Site VPN from the customer VPC to the office: a customer gateway at the office
# gateway's address, a virtual private gateway attached to the VPC, a static VPN connection
# (tunnel 1 with a chosen inside CIDR and pre-shared key, tunnel 2 with AWS's), a static route
# for the office LAN and its propagation into the VPC's main route table. The provider block is
# added by the test (endpoints of the lab).

data "aws_vpc" "customer" {
  id = "vpc-0cb1a66017eed9372"
}

data "aws_route_table" "main" {
  vpc_id = data.aws_vpc.customer.id
  filter {
    name   = "association.main"
    values = ["true"]
  }
}

resource "aws_customer_gateway" "office" {
  bgp_asn    = 65000
  ip_address = "203.0.113.20"
  type       = "ipsec.1"
  tags       = { Name = "office-gw" }
}

resource "aws_vpn_gateway" "vgw" {
  amazon_side_asn = 64512
  tags            = { Name = "customer-vgw" }
}

resource "aws_vpn_gateway_attachment" "vgw" {
  vpc_id         = data.aws_vpc.customer.id
  vpn_gateway_id = aws_vpn_gateway.vgw.id
}

resource "aws_vpn_connection" "office" {
  vpn_gateway_id        = aws_vpn_gateway_attachment.vgw.vpn_gateway_id
  customer_gateway_id   = aws_customer_gateway.office.id
  type                  = "ipsec.1"
  static_routes_only    = true
  tunnel1_inside_cidr   = "169.254.44.0/30"
  tunnel1_preshared_key = "office_tunnel_one"
  tags                  = { Name = "office" }
}

resource "aws_vpn_connection_route" "office_lan" {
  vpn_connection_id      = aws_vpn_connection.office.id
  destination_cidr_block = "192.168.0.0/24"
}

resource "aws_vpn_gateway_route_propagation" "main" {
  vpn_gateway_id = aws_vpn_gateway_attachment.vgw.vpn_gateway_id
  route_table_id = data.aws_route_table.main.id
}

output "vpn" {
  value = aws_vpn_connection.office.id
}

output "vgw" {
  value = aws_vpn_gateway.vgw.id
}

output "tunnel1_address" {
  value = aws_vpn_connection.office.tunnel1_address
}

output "tunnel1_vgw_inside_address" {
  value = aws_vpn_connection.office.tunnel1_vgw_inside_address
}

output "tunnel2_address" {
  value = aws_vpn_connection.office.tunnel2_address
}
