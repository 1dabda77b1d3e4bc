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

variable "external_database_secret_arns" {
  description = "Per environment, ARNs of database secrets not made by the environment's Terraform (prod's external Aurora: the PROD_DATABASE_SECRET_ARN variable, which RDS names rds!cluster-…). The environment's role and its functions may read exactly these."
  type        = map(list(string))
  default     = {}
}

variable "main_branch" {
  description = "The only branch whose workflows may assume the roles (the OIDC subject carries it: docs/deploying.md, GitHub step)."
  type        = string
  default     = "main"
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${local.partition}:iam::${local.account}:oidc-provider/${local.oidc_host}"
  roles = {
    # deploy-staging.yml (GitHub environment "staging") acts on staging only.
    staging-deploy = { env = "staging", github_environment = "staging", reads = [], manages_database = true }
    # promote.yml (GitHub environment "production", with required reviewers) acts on prod and reads staging.
    prod-promote = { env = "prod", github_environment = "production", reads = ["staging"], manages_database = false }
  }
  # The deploy roles and the boundaries, by ARN built from names (known at plan time): nothing a
  # deploy role may change about itself, the other role or the boundaries (explicit deny below).
  deploy_role_arns = [for k, _ in local.roles : "arn:${local.partition}:iam::${local.account}:role/${local.manifest.project}-${k}"]
  boundary_arns    = { for env, prefix in local.environments : env => "arn:${local.partition}:iam::${local.account}:policy/${prefix}-boundary" }
  # The only managed policy a deploy may attach to a function role (VPC ENIs: modules/service-role).
  attachable_policy_arns = ["arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]
  arn = { for env, prefix in local.environments : env => {
    function = "arn:${local.partition}:lambda:${local.region}:${local.account}:function:${prefix}-*"
    queue    = "arn:${local.partition}:sqs:${local.region}:${local.account}:${prefix}-*"
    topic    = "arn:${local.partition}:sns:${local.region}:${local.account}:${prefix}-*"
    rule     = "arn:${local.partition}:events:${local.region}:${local.account}:rule/${prefix}-*"
    logs     = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/lambda/${prefix}-*"
    alarm    = "arn:${local.partition}:cloudwatch:${local.region}:${local.account}:alarm:${prefix}-*"
    secret   = "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:${prefix}/*"
    rds      = "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:rds!cluster-*"
    cluster  = "arn:${local.partition}:rds:${local.region}:${local.account}:cluster:${prefix}-*"
    param    = "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${prefix}/*"
    repo     = "arn:${local.partition}:ecr:${local.region}:${local.account}:repository/${prefix}-*"
    role     = "arn:${local.partition}:iam::${local.account}:role/${prefix}-*"
    bucket   = "arn:${local.partition}:s3:::${prefix}-*"
    objects  = "arn:${local.partition}:s3:::${prefix}-*/*"
    state    = "arn:${local.partition}:s3:::${var.state_bucket}/image-pipeline/${env}.tfstate"
  } }
}

# Who may assume each role: this repository's workflows in that GitHub environment, on main only.
# IAM sees only the token's aud and sub; the repository's OIDC subject template (docs/deploying.md,
# GitHub step: include_claim_keys repo, context, ref) makes sub
# "repo:<owner>/<repo>:environment:<env>:ref:refs/heads/main", so a run from any other branch or
# tag — even in the right GitHub environment — gets no credentials.
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
      values   = ["repo:${var.github_repository}:environment:${each.value.github_environment}:ref:refs/heads/${var.main_branch}"]
    }
  }
}

# The permissions boundary of every role an environment's deploy creates (the functions' execution
# roles, modules/service-role): whatever policy a deploy puts on such a role, it can never do more
# than the pipeline's services do, on its own environment — so a deploy role cannot mint an
# administrator, nor a role of the other environment.
data "aws_iam_policy_document" "boundary" {
  for_each = local.environments
  statement {
    sid       = "Queues"
    actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
    resources = [local.arn[each.key].queue]
  }
  statement {
    sid       = "Buckets"
    actions   = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.arn[each.key].bucket, local.arn[each.key].objects]
  }
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([local.arn[each.key].secret], lookup(var.external_database_secret_arns, each.key, []))
  }
  statement {
    sid       = "DatabaseSecretMadeByRds"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.arn[each.key].rds]
    condition {
      test     = "ArnLike"
      variable = "aws:ResourceTag/aws:rds:primaryDBClusterArn"
      values   = [local.arn[each.key].cluster]
    }
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.arn[each.key].logs, "${local.arn[each.key].logs}:*"]
  }
  statement {
    sid = "VpcNetworkInterfaces"
    actions = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  for_each    = local.environments
  name        = "${each.value}-boundary"
  description = "Permissions boundary of every role the ${each.key} deploy creates"
  policy      = data.aws_iam_policy_document.boundary[each.key].json
  tags        = { environment = each.key }
}

# Everything the environment's apply, go-live, smoke test and release record do — each statement
# scoped to the environment by name prefix (ARN) or, for resources AWS names by id (security groups,
# endpoints, the HTTP API, event source mappings), by their `environment` tag. Proven call by call
# against the rehearsal's recording: tests/iam/deploy-permissions.test.ts.
data "aws_iam_policy_document" "permissions" {
  for_each = local.roles
  statement {
    sid = "OwnResourcesByName"
    actions = [
      "lambda:*", "sqs:*", "sns:*", "events:*", "logs:*", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource", "s3:*",
    ]
    resources = [
      local.arn[each.value.env].function, local.arn[each.value.env].queue, local.arn[each.value.env].topic, local.arn[each.value.env].rule,
      local.arn[each.value.env].logs, "${local.arn[each.value.env].logs}:*", local.arn[each.value.env].alarm,
      local.arn[each.value.env].bucket, local.arn[each.value.env].objects,
    ]
  }
  statement {
    sid       = "OwnSecretsAndRelease"
    actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:GetResourcePolicy", "ssm:GetParameter", "ssm:PutParameter"]
    resources = concat([local.arn[each.value.env].secret, local.arn[each.value.env].param], lookup(var.external_database_secret_arns, each.value.env, []))
  }
  statement {
    sid       = "OwnImages"
    actions   = ["ecr:DescribeImages", "ecr:ListTagsForResource", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
    resources = [local.arn[each.value.env].repo]
  }
  # Event source mappings are named by UUID: scoped by the function they feed.
  statement {
    sid       = "OwnEventSourceMappings"
    actions   = ["lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"]
    resources = ["*"]
    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = [local.arn[each.value.env].function]
    }
  }
  # Terraform reads an event source mapping's tags (it sets none).
  statement {
    sid       = "EventSourceMappingTags"
    actions   = ["lambda:ListTags"]
    resources = ["arn:${local.partition}:lambda:${local.region}:${local.account}:event-source-mapping:*"]
  }
  # The functions' execution roles: created only with this environment's boundary, given only the
  # allow-listed managed policy, passed only to Lambda.
  statement {
    sid       = "FunctionRolesWithBoundary"
    actions   = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"]
    resources = [local.arn[each.value.env].role]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arns[each.value.env]]
    }
  }
  statement {
    sid       = "FunctionRolesAllowListedPolicies"
    actions   = ["iam:AttachRolePolicy"]
    resources = [local.arn[each.value.env].role]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arns[each.value.env]]
    }
    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = local.attachable_policy_arns
    }
  }
  statement {
    sid = "FunctionRolesRead"
    actions = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    "iam:ListRoleTags", "iam:TagRole", "iam:UntagRole", "iam:DeleteRole"]
    resources = [local.arn[each.value.env].role]
  }
  statement {
    sid       = "PassFunctionRolesToLambda"
    actions   = ["iam:PassRole"]
    resources = [local.arn[each.value.env].role]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }
  # The HTTP API and its children (AWS names them by id): created with this environment's tag, then
  # changed only while they carry it. Tags on create are authorized as apigateway:POST on /tags/….
  statement {
    sid       = "CreateTaggedApi"
    actions   = ["apigateway:POST"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/apis", "arn:${local.partition}:apigateway:${local.region}::/tags/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.value.env]
    }
  }
  statement {
    sid       = "OwnApi"
    actions   = ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/apis/*", "arn:${local.partition}:apigateway:${local.region}::/tags/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.value.env]
    }
  }
  # Security groups, their rules and the VPC endpoints: created with the tag, changed while tagged.
  statement {
    sid       = "CreateTaggedNetwork"
    actions   = ["ec2:CreateSecurityGroup", "ec2:CreateVpcEndpoint", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account}:security-group/*", "arn:${local.partition}:ec2:${local.region}:${local.account}:vpc-endpoint/*", "arn:${local.partition}:ec2:${local.region}:${local.account}:security-group-rule/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.value.env]
    }
  }
  statement {
    sid       = "TagOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account}:security-group/*", "arn:${local.partition}:ec2:${local.region}:${local.account}:vpc-endpoint/*", "arn:${local.partition}:ec2:${local.region}:${local.account}:security-group-rule/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateSecurityGroup", "CreateVpcEndpoint", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"]
    }
  }
  statement {
    sid = "OwnNetwork"
    actions = ["ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
      "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
      "ec2:UpdateSecurityGroupRuleDescriptionsEgress", "ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints",
    "ec2:CreateTags", "ec2:DeleteTags"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account}:security-group/*", "arn:${local.partition}:ec2:${local.region}:${local.account}:vpc-endpoint/*", "arn:${local.partition}:ec2:${local.region}:${local.account}:security-group-rule/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.value.env]
    }
  }
  # The account's VPC, subnets and route tables are shared (not the environment's): they are only
  # named by the creates above (a group in the VPC, an endpoint on the subnets and route tables).
  statement {
    sid       = "InSharedVpc"
    actions   = ["ec2:CreateSecurityGroup", "ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account}:vpc/*", "arn:${local.partition}:ec2:${local.region}:${local.account}:subnet/*", "arn:${local.partition}:ec2:${local.region}:${local.account}:route-table/*"]
  }
  # Interface endpoints with private DNS: dependent action of ec2:CreateVpcEndpoint (Service
  # Authorization Reference) on the service's AWS-managed private hosted zone.
  statement {
    sid       = "PrivateDnsOfEndpoints"
    actions   = ["route53:AssociateVPCWithHostedZone"]
    resources = ["arn:${local.partition}:route53:::hostedzone/*"]
  }
  statement {
    sid       = "State"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.arn[each.value.env].state, "${local.arn[each.value.env].state}.tflock"]
  }
  statement {
    sid       = "StateBucket"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket}"]
  }
  # Reads AWS does not scope to a resource (describe/list calls, identity, registry login).
  statement {
    sid = "Unscoped"
    actions = [
      "ec2:Describe*", "ecr:GetAuthorizationToken", "ecr:DescribeRepositories", "lambda:ListEventSourceMappings", "cloudwatch:DescribeAlarms",
      "logs:DescribeLogGroups", "rds:Describe*", "secretsmanager:ListSecrets", "sts:GetCallerIdentity",
    ]
    resources = ["*"]
  }
  # Staging's Aurora: the cluster by name; RDS creates its service-linked role on an account's first
  # cluster, and (manage_master_user_password) the rds!cluster-… secret, with the caller's rights.
  # Its encryption (aws/rds key) needs no grant here: that key's policy admits the account's
  # principals through RDS (tests/iam/aws-operations.ts, awsManagedKeyPolicy).
  dynamic "statement" {
    for_each = each.value.manages_database ? [1] : []
    content {
      sid     = "OwnDatabase"
      actions = ["rds:*"]
      resources = [
        "arn:${local.partition}:rds:${local.region}:${local.account}:cluster:${local.environments[each.value.env]}-*",
        "arn:${local.partition}:rds:${local.region}:${local.account}:db:${local.environments[each.value.env]}-*",
        "arn:${local.partition}:rds:${local.region}:${local.account}:subgrp:${local.environments[each.value.env]}-*",
        "arn:${local.partition}:rds:${local.region}:${local.account}:cluster-snapshot:${local.environments[each.value.env]}-*",
      ]
    }
  }
  dynamic "statement" {
    for_each = each.value.manages_database ? [1] : []
    content {
      sid     = "DatabaseDefaults"
      actions = ["rds:CreateDBCluster", "rds:CreateDBInstance", "rds:ModifyDBCluster", "rds:ModifyDBInstance"]
      resources = [
        "arn:${local.partition}:rds:${local.region}:${local.account}:cluster-pg:default*",
        "arn:${local.partition}:rds:${local.region}:${local.account}:pg:default*",
        "arn:${local.partition}:rds:${local.region}:${local.account}:og:default*",
      ]
    }
  }
  dynamic "statement" {
    for_each = each.value.manages_database ? [1] : []
    content {
      sid       = "RdsServiceLinkedRole"
      actions   = ["iam:CreateServiceLinkedRole"]
      resources = ["arn:${local.partition}:iam::${local.account}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS"]
      condition {
        test     = "StringEquals"
        variable = "iam:AWSServiceName"
        values   = ["rds.amazonaws.com"]
      }
    }
  }
  dynamic "statement" {
    for_each = each.value.manages_database ? [1] : []
    content {
      sid       = "SecretRdsCreates"
      actions   = ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
      resources = [local.arn[each.value.env].rds]
    }
  }
  # promote: the other environment's release, functions, images, API key (smoke test) and state (api_url), read only.
  dynamic "statement" {
    for_each = each.value.reads
    content {
      sid = "Read${title(statement.value)}"
      actions = ["lambda:GetFunction", "lambda:GetAlias", "lambda:GetFunctionConcurrency", "ssm:GetParameter", "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "s3:GetObject"]
      resources = [
        local.arn[statement.value].function,
        "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${local.environments[statement.value]}/release",
        local.arn[statement.value].repo,
        "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:${local.environments[statement.value]}/api-key-*",
        local.arn[statement.value].state,
      ]
    }
  }
  # promote's smoke test of the other environment's workers (their `live` alias, a synthetic event).
  dynamic "statement" {
    for_each = each.value.reads
    content {
      sid       = "SmokeTest${title(statement.value)}Workers"
      actions   = ["lambda:InvokeFunction"]
      resources = [for f in keys(local.manifest.functions) : "arn:${local.partition}:lambda:${local.region}:${local.account}:function:${local.environments[statement.value]}-${f}:live"]
    }
  }
  # Never: change a deploy role (its own or the other), the boundaries, or a role's boundary away.
  statement {
    sid       = "DenyDeployRolesAndBoundaries"
    effect    = "Deny"
    actions   = ["iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Delete*", "iam:Update*", "iam:Tag*", "iam:Untag*", "iam:PassRole", "iam:Create*", "iam:SetDefaultPolicyVersion"]
    resources = concat(local.deploy_role_arns, values(local.boundary_arns))
  }
  statement {
    sid       = "DenyRemovingBoundaries"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }
  # Never touch what carries the other environment's tag (promote keeps its reads of staging).
  statement {
    sid         = "DenyOtherEnvironment"
    effect      = "Deny"
    not_actions = length(each.value.reads) > 0 ? ["lambda:GetFunction", "lambda:GetAlias", "lambda:GetFunctionConcurrency", "lambda:InvokeFunction", "ssm:GetParameter", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"] : ["sts:GetCallerIdentity"]
    resources   = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [for env in keys(local.environments) : env if env != each.value.env]
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

output "permissions_boundary_arns" {
  description = "The boundary every role of an environment's deploy is created with (modules/service-role)."
  value       = { for env, p in aws_iam_policy.boundary : env => p.arn }
}

output "ecr_repository_urls" {
  value = { for k, r in module.ecr : k => r.url }
}

output "secret_ids" {
  value = keys(aws_secretsmanager_secret.this)
}
