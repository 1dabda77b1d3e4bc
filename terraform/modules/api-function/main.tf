# The API as a container-image Lambda behind an HTTP API (API Gateway v2), and the retry sweep:
# an EventBridge schedule that invokes the same function; services/api/src/lambda.ts recognises
# the scheduled event (source "aws.events"), so the target passes the event unchanged.

variable "name" {
  type = string
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

variable "environment" {
  description = "Function environment; must already hold every requiredEnv of pipeline.json."
  type        = map(string)
}

variable "log_group_name" {
  type = string
}

variable "timeout_seconds" {
  type    = number
  default = 30
}

variable "memory_mb" {
  type    = number
  default = 1024
}

variable "retry_sweep_schedule" {
  description = "EventBridge schedule expression of the retry sweep (re-sends queue_failed jobs)."
  type        = string
  default     = "rate(5 minutes)"
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
  description   = "BlueMoxon image pipeline API"
  package_type  = "Image"
  image_uri     = var.image_uri
  role          = var.role_arn
  # Every change publishes an immutable version; the HTTP API and the schedule call the "live" alias.
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

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_alias.live.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "default" {
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.lambda.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true
  tags        = var.tags
}

resource "aws_lambda_permission" "http_api" {
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}

resource "aws_cloudwatch_event_rule" "retry_sweep" {
  name                = "${var.name}-retry-sweep"
  description         = "Re-sends image jobs whose SQS send failed (queue_failed)."
  schedule_expression = var.retry_sweep_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "retry_sweep" {
  rule = aws_cloudwatch_event_rule.retry_sweep.name
  arn  = aws_lambda_alias.live.arn
}

resource "aws_lambda_permission" "retry_sweep" {
  statement_id  = "AllowRetrySweepSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.retry_sweep.arn
}

output "name" {
  value = aws_lambda_function.this.function_name
}

output "arn" {
  value = aws_lambda_function.this.arn
}

output "api_id" {
  value = aws_apigatewayv2_api.this.id
}

output "live_alias_arn" {
  value = aws_lambda_alias.live.arn
}

output "url" {
  value = aws_apigatewayv2_stage.default.invoke_url
}
