# A worker of pipeline.json as a container-image Lambda (container-function) fed by its SQS queue. Partial batch
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
  description = "Image by digest: \"<repo>@sha256:<64 hex>\" (validated by container-function)."
  type        = string
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

module "function" {
  source                 = "../container-function"
  name                   = var.name
  description            = var.spec.description
  image_uri              = var.image_uri
  role_arn               = var.role_arn
  timeout_seconds        = var.spec.timeoutSeconds
  memory_mb              = var.spec.memoryMb
  environment            = var.environment
  log_group_name         = var.log_group_name
  vpc_subnet_ids         = var.vpc_subnet_ids
  vpc_security_group_ids = var.vpc_security_group_ids
  tags                   = var.tags
}

# Where these lived before the shared module: a state from then moves, nothing is replaced.
moved {
  from = aws_lambda_function.this
  to   = module.function.aws_lambda_function.this
}

moved {
  from = aws_lambda_alias.live
  to   = module.function.aws_lambda_alias.live
}

resource "aws_lambda_event_source_mapping" "queue" {
  event_source_arn                   = var.queue_arn
  function_name                      = module.function.live_alias_arn
  batch_size                         = var.spec.batchSize
  maximum_batching_window_in_seconds = var.spec.maximumBatchingWindowSeconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.spec.maximumConcurrency
  }
}

output "name" {
  value = module.function.name
}

output "arn" {
  value = module.function.arn
}

output "live_alias_arn" {
  value = module.function.live_alias_arn
}

output "published_version" {
  value = module.function.published_version
}

output "event_source_mapping_uuid" {
  value = aws_lambda_event_source_mapping.queue.uuid
}
