# A worker of pipeline.json as a container-image Lambda fed by its SQS queue. Partial batch
# failures (ReportBatchItemFailures) let one bad photo fail alone; maximum concurrency bounds
# how many copies of the (memory-heavy) model run at once.

variable "name" {
  type = string
}

variable "spec" {
  description = "The function's entry of pipeline.json (functions.<logical>)."
  type = object({
    description                  = optional(string, "")
    batchSize                    = number
    maximumBatchingWindowSeconds = optional(number, 0)
    maximumConcurrency           = number
    timeoutSeconds               = number
    memoryMb                     = number
  })
}

variable "image_uri" {
  description = "Image by digest: \"<repo>@sha256:<64 hex>\"."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$", var.image_uri))
    error_message = "image_uri must reference an image by digest: <repository>@sha256:<64 hex digits>."
  }
}

variable "role_arn" {
  type = string
}

variable "queue_arn" {
  type = string
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
  description   = var.spec.description
  package_type  = "Image"
  image_uri     = var.image_uri
  role          = var.role_arn
  # Every change publishes an immutable version; the queue feeds the "live" alias, never $LATEST.
  publish       = true
  timeout       = var.spec.timeoutSeconds
  memory_size   = var.spec.memoryMb
  architectures = ["x86_64"]

  environment {
    variables = var.environment
  }

  logging_config {
    log_format = "JSON"
    log_group  = var.log_group_name
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

resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "The version that takes traffic"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

resource "aws_lambda_event_source_mapping" "queue" {
  event_source_arn                   = var.queue_arn
  function_name                      = aws_lambda_alias.live.arn
  batch_size                         = var.spec.batchSize
  maximum_batching_window_in_seconds = var.spec.maximumBatchingWindowSeconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.spec.maximumConcurrency
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

output "event_source_mapping_uuid" {
  value = aws_lambda_event_source_mapping.queue.uuid
}
