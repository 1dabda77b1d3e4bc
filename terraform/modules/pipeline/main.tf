# One environment of the pipeline, built from pipeline.json: every queue, bucket, secret,
# image repository, function and permission comes from the manifest, so adding a worker or a
# permission is an edit of pipeline.json, never of this file. Physical names follow
# packages/core/src/resource-names.ts: "<prefix>-<logical>", DLQ "<prefix>-<logical>-dlq",
# secret "<prefix>/<logical>".

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  m         = var.manifest
  prefix    = local.m.environments[var.environment].prefix
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name
  partition = data.aws_partition.current.partition
  tags      = merge({ project = local.m.project, environment = var.environment, managed_by = "terraform" }, var.tags)

  api_function_name = "${local.prefix}-api"
  # The migrations' own function (the API image, handler lambda.migrateHandler): go-live invokes it.
  migrate_function_name = "${local.prefix}-migrate"
  migrate_env_names     = ["PIPELINE_ENV", "PIPELINE_PREFIX", "DATABASE_SECRET_ARN", "DATABASE_HOST", "DATABASE_NAME"]

  # ARNs are built from names (not read from resources) so the IAM policies are known at plan
  # time and can be compared with servicePolicy() of @bluemoxon/core before anything is applied.
  # A secret's ARN ends in "-" + 6 random characters, hence the pattern.
  permission_refs = distinct(flatten([for svc in values(local.m.services) : [for p in svc.permissions : p.resources]]))
  resolved_refs = { for ref in local.permission_refs : ref => {
    queue   = "arn:${local.partition}:sqs:${local.region}:${local.account}:${local.prefix}-${split(":", ref)[1]}"
    dlq     = "arn:${local.partition}:sqs:${local.region}:${local.account}:${local.prefix}-${split(":", ref)[1]}-dlq"
    bucket  = "arn:${local.partition}:s3:::${local.prefix}-${split(":", ref)[1]}"
    objects = "arn:${local.partition}:s3:::${local.prefix}-${split(":", ref)[1]}/*"
    secret  = "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:${local.prefix}/${split(":", ref)[1]}-??????"
  }[split(":", ref)[0]] }

  service_statements = { for name, svc in local.m.services : name => [for p in svc.permissions : {
    actions   = p.actions
    resources = [for r in p.resources : local.resolved_refs[r]]
  }] }

  database_secret_arn = var.enable_database ? aws_rds_cluster.this[0].master_user_secret[0].secret_arn : (
    var.use_existing_database_credentials ? one(data.aws_secretsmanager_secret.database[*].arn) : ""
  )
  database_host = var.enable_database ? aws_rds_cluster.this[0].endpoint : var.database_host

  # Every value a function may be configured with. Names follow the services' config schemas;
  # a requiredEnv of pipeline.json that is not in here fails the plan (check below).
  env_values = merge(
    {
      PIPELINE_ENV        = var.environment
      PIPELINE_PREFIX     = local.prefix
      DATABASE_SECRET_ARN = local.database_secret_arn
      DATABASE_HOST       = local.database_host
      DATABASE_NAME       = var.database_name
    },
    { for b in keys(local.m.buckets) : "${upper(replace(b, "-", "_"))}_BUCKET" => aws_s3_bucket.this[b].id },
    # The services' config names the images bucket IMAGE_BUCKET (singular).
    contains(keys(local.m.buckets), "images") ? { IMAGE_BUCKET = aws_s3_bucket.this["images"].id } : {},
    { for s in keys(local.m.secrets) : "${upper(replace(s, "-", "_"))}_SECRET_ID" => data.aws_secretsmanager_secret.this[s].arn },
    { for q in keys(local.m.queues) : "${upper(replace(q, "-", "_"))}_QUEUE_URL" => module.queue[q].url },
  )
  # Non-secret context every function gets besides its requiredEnv.
  common_env = ["PIPELINE_ENV", "PIPELINE_PREFIX"]

  api_env_names = distinct(concat(local.common_env, try(local.m.services.api.requiredEnv, []),
  [for q in keys(local.m.queues) : "${upper(replace(q, "-", "_"))}_QUEUE_URL"]))
  function_env_names = { for name, fn in local.m.functions : name => distinct(concat(
    local.common_env, try(fn.requiredEnv, []), try(local.m.services[fn.service].requiredEnv, [])
  )) }
  all_required_env = distinct(concat(local.api_env_names, flatten(values(local.function_env_names))))
  unknown_env      = setsubtract(local.all_required_env, keys(local.env_values))

  # Which log groups each service's role may write to: the API function's, and its workers'.
  service_log_groups = { for s in keys(local.m.services) : s => concat(
    s == "api" ? [local.api_function_name, local.migrate_function_name] : [],
    [for f, spec in local.m.functions : "${local.prefix}-${f}" if spec.service == s],
  ) }

  uses_database = var.enable_database || var.use_existing_database_credentials
  in_vpc        = length(var.vpc_subnet_ids) > 0
  # The module's own Lambda group, plus any the caller adds (e.g. one an external database admits).
  function_security_group_ids = concat(aws_security_group.lambda[*].id, var.vpc_security_group_ids)
}

resource "terraform_data" "manifest_checks" {
  input = local.prefix
  lifecycle {
    precondition {
      condition     = length(local.unknown_env) == 0
      error_message = "pipeline.json requires env vars Terraform does not know how to set: ${join(", ", tolist(local.unknown_env))}. Add them to env_values in terraform/modules/pipeline/main.tf."
    }
    precondition {
      condition     = length(setsubtract(keys(local.m.images), keys(var.images))) == 0
      error_message = "Missing image digests for: ${join(", ", tolist(setsubtract(keys(local.m.images), keys(var.images))))}."
    }
    precondition {
      condition     = !(var.enable_database && var.use_existing_database_credentials)
      error_message = "Choose one: enable_database (Aurora made here) or use_existing_database_credentials (external database)."
    }
    precondition {
      condition     = local.uses_database
      error_message = "The functions require DATABASE_SECRET_ARN and DATABASE_HOST: set enable_database or use_existing_database_credentials."
    }
    precondition {
      condition     = !var.use_existing_database_credentials || (var.database_secret_arn != "" && var.database_host != "")
      error_message = "use_existing_database_credentials needs database_secret_arn and database_host."
    }
    precondition {
      condition     = !var.enable_database || local.in_vpc
      error_message = "enable_database needs vpc_subnet_ids: private subnets routed to a NAT gateway (the database is private, the API calls eBay)."
    }
  }
}

module "queue" {
  source        = "../queue"
  for_each      = local.m.queues
  name          = "${local.prefix}-${each.key}"
  spec          = each.value
  alarm_actions = local.alarm_actions
  tags          = local.tags
}

resource "aws_s3_bucket" "this" {
  for_each = local.m.buckets
  bucket   = "${local.prefix}-${each.key}"
  tags     = local.tags
}

# Only buckets that ask for versioning get the resource: a new bucket is unversioned already.
resource "aws_s3_bucket_versioning" "this" {
  for_each = { for name, b in local.m.buckets : name => b if try(b.versioning, false) }
  bucket   = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.m.buckets
  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.m.buckets
  bucket   = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# The secrets and image repositories belong to terraform/bootstrap (applied once, before any
# deploy): a secret must hold its value before the first apply of the code that reads it, and an
# image must be pushed before a function can run it. Here they are only read — a missing one fails
# the plan, naming it.
data "aws_secretsmanager_secret" "this" {
  for_each = local.m.secrets
  name     = "${local.prefix}/${each.key}"
}

data "aws_ecr_repository" "this" {
  for_each = local.m.images
  name     = "${local.prefix}-${each.key}"
}

# Proves at plan time that the external database's secret exists (its value is never read here).
data "aws_secretsmanager_secret" "database" {
  count = var.use_existing_database_credentials && var.database_secret_arn != "" ? 1 : 0
  arn   = var.database_secret_arn
}

resource "aws_db_subnet_group" "this" {
  count      = var.enable_database ? 1 : 0
  name       = "${local.prefix}-db"
  subnet_ids = var.vpc_subnet_ids
  tags       = local.tags
}

resource "aws_rds_cluster" "this" {
  count              = var.enable_database ? 1 : 0
  cluster_identifier = "${local.prefix}-db"
  engine             = "aurora-postgresql"
  engine_mode        = "provisioned"
  # The version it is created with; RDS applies minor upgrades itself (auto_minor_version_upgrade),
  # so Terraform must not try to move it back (ignore_changes). A major upgrade is a deliberate change.
  engine_version              = var.database_engine_version
  allow_major_version_upgrade = false
  database_name               = var.database_name
  master_username             = "bluemoxon"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.this[0].name
  vpc_security_group_ids      = aws_security_group.database[*].id
  storage_encrypted           = true
  backup_retention_period     = 7
  skip_final_snapshot         = false
  # Unique per cluster (fixed when it is created): destroying a rebuilt environment never collides
  # with the snapshot the previous destroy left.
  final_snapshot_identifier = "${local.prefix}-db-final-${formatdate("YYYYMMDDhhmmss", timestamp())}"
  serverlessv2_scaling_configuration {
    min_capacity = var.database_min_capacity
    max_capacity = var.database_max_capacity
  }
  tags = local.tags
  lifecycle {
    ignore_changes = [engine_version, final_snapshot_identifier]
  }
}

resource "aws_rds_cluster_instance" "this" {
  count              = var.enable_database ? 1 : 0
  identifier         = "${local.prefix}-db-1"
  cluster_identifier = aws_rds_cluster.this[0].id
  instance_class     = "db.serverless"
  engine             = aws_rds_cluster.this[0].engine
  engine_version     = aws_rds_cluster.this[0].engine_version
  tags               = local.tags
  lifecycle {
    ignore_changes = [engine_version]
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = toset(concat([local.api_function_name, local.migrate_function_name], [for f in keys(local.m.functions) : "${local.prefix}-${f}"]))
  name              = "/aws/lambda/${each.key}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

module "role" {
  source              = "../service-role"
  for_each            = local.m.services
  name                = "${local.prefix}-${each.key}"
  statements          = local.service_statements[each.key]
  database_secret_arn = local.uses_database ? local.database_secret_arn : null
  # Created by terraform/bootstrap; the deploy roles may create a role only with it.
  permissions_boundary = "arn:${local.partition}:iam::${local.account}:policy/${local.prefix}-boundary"
  vpc_access           = local.in_vpc
  log_group_arns       = [for n in local.service_log_groups[each.key] : aws_cloudwatch_log_group.function[n].arn]
  tags                 = local.tags
}

module "worker" {
  source                 = "../worker-function"
  for_each               = local.m.functions
  name                   = "${local.prefix}-${each.key}"
  spec                   = each.value
  image_uri              = var.images[each.value.image]
  role_arn               = module.role[each.value.service].arn
  queue_arn              = module.queue[each.value.queue].arn
  environment            = { for k in local.function_env_names[each.key] : k => lookup(local.env_values, k, "") }
  log_group_name         = aws_cloudwatch_log_group.function["${local.prefix}-${each.key}"].name
  vpc_subnet_ids         = var.vpc_subnet_ids
  vpc_security_group_ids = local.function_security_group_ids
  tags                   = local.tags

  # In a VPC, the endpoints exist before the first invocation needs them.
  depends_on = [terraform_data.manifest_checks, aws_vpc_endpoint.s3, aws_vpc_endpoint.interface]
}

module "api" {
  source                 = "../api-function"
  name                   = local.api_function_name
  image_uri              = var.images["api"]
  role_arn               = module.role["api"].arn
  environment            = { for k in local.api_env_names : k => lookup(local.env_values, k, "") }
  log_group_name         = aws_cloudwatch_log_group.function[local.api_function_name].name
  timeout_seconds        = var.api_timeout_seconds
  memory_mb              = var.api_memory_mb
  retry_sweep_schedule   = var.retry_sweep_schedule
  vpc_subnet_ids         = var.vpc_subnet_ids
  vpc_security_group_ids = local.function_security_group_ids
  tags                   = local.tags

  # In a VPC, the endpoints exist before the first invocation needs them.
  depends_on = [terraform_data.manifest_checks, aws_vpc_endpoint.s3, aws_vpc_endpoint.interface]
}

# Migrations run in their own function, not inside the API's 30 s: the same image (so the same
# code and migrations as the API version it goes live with), handler lambda.migrateHandler, a
# timeout in minutes, the API's role (it reads the database secret), the same network.
module "migrate" {
  source                 = "../container-function"
  name                   = local.migrate_function_name
  description            = "Database migrations of ${local.prefix}: invoked by go-live before the live aliases move"
  image_uri              = var.images["api"]
  image_command          = ["lambda.migrateHandler"]
  role_arn               = module.role["api"].arn
  timeout_seconds        = var.migrate_timeout_seconds
  memory_mb              = 512
  environment            = { for k in local.migrate_env_names : k => lookup(local.env_values, k, "") }
  log_group_name         = aws_cloudwatch_log_group.function[local.migrate_function_name].name
  vpc_subnet_ids         = var.vpc_subnet_ids
  vpc_security_group_ids = local.function_security_group_ids
  tags                   = local.tags

  depends_on = [terraform_data.manifest_checks, aws_vpc_endpoint.s3, aws_vpc_endpoint.interface]
}

