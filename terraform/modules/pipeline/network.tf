# Networking of functions that run in a VPC (vpc_subnet_ids set; staging's database forces it).
# A function in a VPC reaches nothing by default, so this builds what they need and refuses to
# plan when the rest cannot work:
# - a Lambda security group (egress only) and a database security group (5432 from it, nothing else),
# - an S3 gateway endpoint and Secrets Manager + SQS interface endpoints (AWS traffic stays in the VPC),
# - a check that every function subnet routes 0.0.0.0/0 to a NAT gateway or a transit gateway: the
#   API calls eBay on the internet, and endpoints alone do not reach it. The plan fails, naming the
#   subnet, otherwise (egress_route_check = false: egress another way, e.g. a NAT instance — documented),
# - a check that the VPC has DNS support and DNS hostnames on (the interface endpoints' private DNS),
# - with the database: subnets in at least two availability zones (an RDS DB subnet group needs them).

data "aws_subnet" "function" {
  for_each = toset(var.vpc_subnet_ids)
  id       = each.key
}

# The route table a function subnet uses (explicitly associated, as private subnets are).
data "aws_route_table" "function" {
  for_each  = toset(var.vpc_subnet_ids)
  subnet_id = each.key

  lifecycle {
    postcondition {
      condition     = !var.egress_route_check || anytrue([for r in self.routes : r.cidr_block == "0.0.0.0/0" && (r.nat_gateway_id != "" || r.transit_gateway_id != "")])
      error_message = "Subnet ${each.key} (route table ${self.id}) has no 0.0.0.0/0 route to a NAT gateway or a transit gateway: functions there cannot reach eBay or anything outside the VPC. Route it to a NAT gateway, pick private subnets that have one, or — egress another way (a NAT instance) — set egress_route_check = false (docs/deploying.md, Networking)."
    }
  }
}

locals {
  vpc_ids = distinct([for s in data.aws_subnet.function : s.vpc_id])
  vpc_id  = local.in_vpc ? local.vpc_ids[0] : null
  # Interface endpoints take one subnet per availability zone.
  endpoint_subnet_ids = [for az, ids in { for s in data.aws_subnet.function : s.availability_zone => s.id... } : sort(ids)[0]]
  route_table_ids     = distinct([for rt in data.aws_route_table.function : rt.id])
  interface_endpoints = local.in_vpc ? toset(["secretsmanager", "sqs"]) : toset([])
}

# Private DNS of the interface endpoints resolves only in a VPC with DNS support and DNS hostnames.
data "aws_vpc" "function" {
  count = local.in_vpc ? 1 : 0
  id    = local.vpc_ids[0]

  lifecycle {
    postcondition {
      condition     = self.enable_dns_support && self.enable_dns_hostnames
      error_message = "VPC ${self.id} has DNS support ${self.enable_dns_support ? "on" : "off"} and DNS hostnames ${self.enable_dns_hostnames ? "on" : "off"}: the interface endpoints' private DNS needs both on (aws ec2 modify-vpc-attribute --vpc-id ${self.id} --enable-dns-hostnames '{\"Value\":true}', and --enable-dns-support)."
    }
  }
}

resource "terraform_data" "network_checks" {
  count = local.in_vpc ? 1 : 0
  input = local.vpc_id
  lifecycle {
    precondition {
      condition     = length(local.vpc_ids) == 1
      error_message = "vpc_subnet_ids must all be in one VPC; they are in ${join(", ", local.vpc_ids)}."
    }
    precondition {
      condition     = !var.enable_database || length(distinct([for s in data.aws_subnet.function : s.availability_zone])) >= 2
      error_message = "enable_database needs vpc_subnet_ids in at least two availability zones (an RDS DB subnet group spans two); they are all in ${join(", ", distinct([for s in data.aws_subnet.function : s.availability_zone]))}."
    }
  }
}

resource "aws_security_group" "lambda" {
  count       = local.in_vpc ? 1 : 0
  name        = "${local.prefix}-functions"
  description = "BlueMoxon functions: no inbound; outbound to the database, the VPC endpoints and (via NAT) eBay"
  vpc_id      = local.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_egress_rule" "lambda_all" {
  count             = local.in_vpc ? 1 : 0
  security_group_id = aws_security_group.lambda[0].id
  description       = "Everything: Postgres, the endpoints, eBay over the NAT gateway"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}

resource "aws_security_group" "database" {
  count       = local.in_vpc && var.enable_database ? 1 : 0
  name        = "${local.prefix}-database"
  description = "BlueMoxon Aurora: Postgres from the functions' security group only"
  vpc_id      = local.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "database_from_lambda" {
  count                        = local.in_vpc && var.enable_database ? 1 : 0
  security_group_id            = aws_security_group.database[0].id
  description                  = "Postgres from the functions"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.lambda[0].id
  tags                         = local.tags
}

resource "aws_security_group" "endpoints" {
  count       = local.in_vpc ? 1 : 0
  name        = "${local.prefix}-endpoints"
  description = "BlueMoxon interface endpoints: HTTPS from the functions' security group only"
  vpc_id      = local.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_lambda" {
  count                        = local.in_vpc ? 1 : 0
  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS from the functions"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda[0].id
  tags                         = local.tags
}

resource "aws_vpc_endpoint" "s3" {
  count             = local.in_vpc ? 1 : 0
  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.route_table_ids
  tags              = merge(local.tags, { Name = "${local.prefix}-s3" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each            = local.interface_endpoints
  vpc_id              = local.vpc_id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.endpoint_subnet_ids
  security_group_ids  = [aws_security_group.endpoints[0].id]
  tags                = merge(local.tags, { Name = "${local.prefix}-${each.key}" })

  depends_on = [terraform_data.network_checks]
}
