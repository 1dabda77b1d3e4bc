# The API as a container-image Lambda (container-function) behind an HTTP API (API Gateway v2), and the retry sweep:
# an EventBridge schedule that invokes the same function; services/api/src/lambda.ts recognises
# the scheduled event (source "aws.events"), so the target passes the event unchanged.

variable "name" {
  type = string
}

variable "image_uri" {
  description = "Image by digest: \"<repo>@sha256:<64 hex>\" (validated by container-function)."
  type        = string
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

module "function" {
  source                 = "../container-function"
  name                   = var.name
  description            = "BlueMoxon image pipeline API"
  image_uri              = var.image_uri
  role_arn               = var.role_arn
  timeout_seconds        = var.timeout_seconds
  memory_mb              = var.memory_mb
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

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = module.function.live_alias_invoke_arn
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
  function_name = module.function.name
  qualifier     = module.function.live_alias_name
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
  arn  = module.function.live_alias_arn
}

resource "aws_lambda_permission" "retry_sweep" {
  statement_id  = "AllowRetrySweepSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.function.name
  qualifier     = module.function.live_alias_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.retry_sweep.arn
}

output "name" {
  value = module.function.name
}

output "arn" {
  value = module.function.arn
}

output "api_id" {
  value = aws_apigatewayv2_api.this.id
}

output "live_alias_arn" {
  value = module.function.live_alias_arn
}

output "published_version" {
  value = module.function.published_version
}

output "url" {
  value = aws_apigatewayv2_stage.default.invoke_url
}
