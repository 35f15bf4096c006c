# Security group rules as objects: aws_vpc_security_group_ingress_rule / _egress_rule (sgr- ids,
# tags, descriptions, a rule referencing another group) beside the classic
# aws_security_group_rule; the database group lets the app group in on var.db_port only.
# The provider block is added by the test.

variable "db_port" { default = 5432 }

resource "aws_vpc" "v" {
  cidr_block = "10.30.0.0/16"
}
resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.30.1.0/24"
}
resource "aws_security_group" "app" {
  name   = "app"
  vpc_id = aws_vpc.v.id
}
resource "aws_security_group" "db" {
  name        = "db"
  description = "databases"
  vpc_id      = aws_vpc.v.id
  tags        = { Tier = "data" }
}
resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  referenced_security_group_id = aws_security_group.app.id
  ip_protocol                  = "tcp"
  from_port                    = var.db_port
  to_port                      = var.db_port
  description                  = "postgres from app"
  tags                         = { Name = "pg" }
}
resource "aws_vpc_security_group_ingress_rule" "app_http" {
  security_group_id = aws_security_group.app.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}
resource "aws_vpc_security_group_egress_rule" "app_all" {
  security_group_id = aws_security_group.app.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}
resource "aws_security_group_rule" "db_icmp" {
  type                     = "ingress"
  security_group_id        = aws_security_group.db.id
  source_security_group_id = aws_security_group.app.id
  protocol                 = "icmp"
  from_port                = 8
  to_port                  = 0
}
data "aws_security_group" "db" {
  id = aws_security_group.db.id
}

resource "aws_instance" "app" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.app.id]
}
resource "aws_instance" "db" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.db.id]
}
output "app" { value = aws_instance.app.id }
output "db" { value = aws_instance.db.id }
output "db_ip" { value = aws_instance.db.private_ip }
output "rule" { value = aws_vpc_security_group_ingress_rule.db_from_app.id }
