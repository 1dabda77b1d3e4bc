# Once per AWS account, before any deploy (docs/deploying.md, "From zero"): what the environments'
# applies need to exist already and what nobody should be able to change from a pull request —
# the GitHub OIDC provider, the Terraform state bucket (versioned, encrypted, S3-native locking),
# the image repositories and the secret *containers* of both environments (values are put by an
# operator, never by Terraform), and the deploy and promote roles, each allowed to act only on its
# environment's prefix. Applied by a person with administrator rights; its state is local
# (terraform.tfstate here) until moved into the bucket it creates (docs/deploying.md, step 1):
#
#   terraform init && terraform apply -var github_repository=<owner>/<repo>

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

locals {
  manifest = jsondecode(file("${path.root}/../../pipeline.json"))
  # The environments the deploy roles act on (local has no AWS side).
  environments = { for env in ["staging", "prod"] : env => local.manifest.environments[env].prefix }
  account      = data.aws_caller_identity.current.account_id
  region       = local.manifest.region
  partition    = data.aws_partition.current.partition
  oidc_host    = "token.actions.githubusercontent.com"

  repositories = { for pair in setproduct(keys(local.environments), keys(local.manifest.images)) : "${local.environments[pair[0]]}-${pair[1]}" => pair[0] }
  secrets      = { for pair in setproduct(keys(local.environments), keys(local.manifest.secrets)) : "${local.environments[pair[0]]}/${pair[1]}" => { env = pair[0], logical = pair[1] } }
}

provider "aws" {
  region = local.manifest.region
  default_tags {
    tags = { project = local.manifest.project, managed_by = "terraform-bootstrap" }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows may assume the roles."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be <owner>/<name>."
  }
}

variable "state_bucket" {
  description = "Terraform state bucket (terraform/backends/*.hcl name it)."
  type        = string
  default     = "bluemoxon-terraform-state"
}

variable "create_oidc_provider" {
  description = "false when the account already has the token.actions.githubusercontent.com provider."
  type        = bool
  default     = true
}

variable "ecr_keep_images" {
  type    = number
  default = 50
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored, per environment."
  type        = map(number)
  default     = { staging = 0, prod = 30 }
}

# --- state -------------------------------------------------------------------------------------

resource "aws_s3_bucket" "state" {
  bucket = var.state_bucket
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# --- what deploys need before their first apply --------------------------------------------------

module "ecr" {
  source      = "../modules/ecr-repository"
  for_each    = local.repositories
  name        = each.key
  keep_images = var.ecr_keep_images
  tags        = { environment = each.value }
}

# The secret only: its value is put by an operator (docs/deploying.md), never by Terraform, so no
# secret value is ever in a variable, a plan or the state. scripts/preflight.mjs refuses a deploy
# while one has no value of the right shape.
resource "aws_secretsmanager_secret" "this" {
  for_each                = local.secrets
  name                    = each.key
  description             = local.manifest.secrets[each.value.logical].description
  recovery_window_in_days = var.secret_recovery_window_days[each.value.env]
  tags                    = { environment = each.value.env }
}

# --- who may deploy ------------------------------------------------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${local.partition}:iam::${local.account}:oidc-provider/${local.oidc_host}"
  roles = {
    # deploy-staging.yml (GitHub environment "staging") acts on staging only.
    staging-deploy = { env = "staging", github_environment = "staging", reads = [] }
    # promote.yml (GitHub environment "production", with required reviewers) acts on prod and reads staging.
    prod-promote = { env = "prod", github_environment = "production", reads = ["staging"] }
  }
}

data "aws_iam_policy_document" "trust" {
  for_each = local.roles
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = ["repo:${var.github_repository}:environment:${each.value.github_environment}"]
    }
  }
}

# Everything the environment's apply, migrate, smoke test and release record touch, by name prefix.
data "aws_iam_policy_document" "permissions" {
  for_each = local.roles
  statement {
    sid = "OwnEnvironment"
    actions = [
      "lambda:*", "sqs:*", "sns:*", "events:*", "apigateway:*", "logs:*", "cloudwatch:*Alarm*",
      "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource",
      "rds:*", "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "ssm:GetParameter", "ssm:PutParameter",
      "ecr:*", "iam:GetRole", "iam:CreateRole", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy",
      "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:PassRole", "s3:*",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account}:function:${local.environments[each.value.env]}-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account}:event-source-mapping:*",
      "arn:${local.partition}:sqs:${local.region}:${local.account}:${local.environments[each.value.env]}-*",
      "arn:${local.partition}:sns:${local.region}:${local.account}:${local.environments[each.value.env]}-*",
      "arn:${local.partition}:events:${local.region}:${local.account}:rule/${local.environments[each.value.env]}-*",
      "arn:${local.partition}:apigateway:${local.region}::/apis*",
      "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/lambda/${local.environments[each.value.env]}-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account}:alarm:${local.environments[each.value.env]}-*",
      "arn:${local.partition}:rds:${local.region}:${local.account}:*:${local.environments[each.value.env]}-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:${local.environments[each.value.env]}/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${local.environments[each.value.env]}/*",
      "arn:${local.partition}:ecr:${local.region}:${local.account}:repository/${local.environments[each.value.env]}-*",
      "arn:${local.partition}:iam::${local.account}:role/${local.environments[each.value.env]}-*",
      "arn:${local.partition}:s3:::${local.environments[each.value.env]}-*",
    ]
  }
  statement {
    sid       = "State"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.state.arn}/image-pipeline/${each.value.env}.tfstate*"]
  }
  statement {
    sid       = "StateBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }
  # Reads that AWS does not scope to a resource (describe/list calls, identity, endpoints, VPC lookups,
  # and the AWS-managed VPC policy attached to the functions' roles).
  statement {
    sid = "Unscoped"
    actions = [
      "sts:GetCallerIdentity", "ec2:Describe*", "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:CreateTags",
      "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress", "ec2:CreateVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint",
      "ecr:GetAuthorizationToken", "lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping",
      "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping", "lambda:ListEventSourceMappings",
      "cloudwatch:DescribeAlarms", "logs:DescribeLogGroups", "rds:DescribeDBClusters", "rds:DescribeDBInstances",
      "secretsmanager:ListSecrets", "apigateway:GET",
    ]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = each.value.reads
    content {
      sid     = "Read${title(statement.value)}"
      actions = ["lambda:GetFunction", "ssm:GetParameter", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "secretsmanager:GetSecretValue"]
      resources = [
        "arn:${local.partition}:lambda:${local.region}:${local.account}:function:${local.environments[statement.value]}-*",
        "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${local.environments[statement.value]}/release",
        "arn:${local.partition}:ecr:${local.region}:${local.account}:repository/${local.environments[statement.value]}-*",
        "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:${local.environments[statement.value]}/api-key-*",
      ]
    }
  }
}

resource "aws_iam_role" "deploy" {
  for_each             = local.roles
  name                 = "${local.manifest.project}-${each.key}"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "deploy" {
  for_each = local.roles
  name     = "${local.manifest.project}-${each.key}"
  role     = aws_iam_role.deploy[each.key].id
  policy   = data.aws_iam_policy_document.permissions[each.key].json
}

output "staging_deploy_role_arn" {
  description = "GitHub variable AWS_STAGING_DEPLOY_ROLE_ARN."
  value       = aws_iam_role.deploy["staging-deploy"].arn
}

output "promote_role_arn" {
  description = "GitHub variable AWS_PROMOTE_ROLE_ARN."
  value       = aws_iam_role.deploy["prod-promote"].arn
}

output "ecr_repository_urls" {
  value = { for k, r in module.ecr : k => r.url }
}

output "secret_ids" {
  value = keys(aws_secretsmanager_secret.this)
}
