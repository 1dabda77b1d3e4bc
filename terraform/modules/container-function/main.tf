# A container-image Lambda by digest, every change published as an immutable version, and the
# "live" alias that takes traffic (the API's integration, the schedule and the queue's event source
# mapping all call the alias, never $LATEST). Rollback moves the alias back to an earlier version
# (scripts/deploy/promote.ts). Shared by the API and the workers.

variable "name" {
  type = string
}

variable "description" {
  type    = string
  default = ""
}

variable "image_uri" {
  description = "Image by digest: \"<repo>@sha256:<64 hex>\"."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$", var.image_uri))
    error_message = "image_uri must reference an image by digest: <repository>@sha256:<64 hex digits>."
  }
}

variable "image_command" {
  description = "The image's CMD for this function (its handler), when not the image's own, e.g. [\"lambda.migrateHandler\"]."
  type        = list(string)
  default     = []
}

variable "role_arn" {
  type = string
}

variable "timeout_seconds" {
  type = number
}

variable "memory_mb" {
  type = number
}

variable "environment" {
  description = "Function environment; must already hold every requiredEnv of pipeline.json."
  type        = map(string)
}

variable "log_group_name" {
  type = string
}

variable "vpc_subnet_ids" {
  type    = list(string)
  default = []
}

variable "vpc_security_group_ids" {
  type    = list(string)
  default = []
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = var.description
  package_type  = "Image"
  image_uri     = var.image_uri
  role          = var.role_arn
  publish       = true
  timeout       = var.timeout_seconds
  memory_size   = var.memory_mb
  architectures = ["x86_64"]

  environment {
    variables = var.environment
  }

  logging_config {
    log_format = "JSON"
    log_group  = var.log_group_name
  }

  dynamic "image_config" {
    for_each = length(var.image_command) > 0 ? [1] : []
    content {
      command = var.image_command
    }
  }

  dynamic "vpc_config" {
    for_each = length(var.vpc_subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  tags = var.tags
}

# Created on the first apply at the first version; after that Terraform never moves it:
# scripts/go-live.mjs does, once the new version has migrated the database (deploy-staging, promote),
# and a rollback moves it back. So an apply publishes a version without giving it traffic.
resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "The version that takes traffic"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  lifecycle {
    ignore_changes = [function_version]
  }
}

output "name" {
  value = aws_lambda_function.this.function_name
}

output "arn" {
  value = aws_lambda_function.this.arn
}

output "live_alias_arn" {
  value = aws_lambda_alias.live.arn
}

output "live_alias_invoke_arn" {
  value = aws_lambda_alias.live.invoke_arn
}

output "live_alias_name" {
  value = aws_lambda_alias.live.name
}

output "published_version" {
  description = "The version this apply published (go-live moves `live` to it)."
  value       = aws_lambda_function.this.version
}
