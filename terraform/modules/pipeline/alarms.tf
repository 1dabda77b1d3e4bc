# Someone hears about it: one SNS topic per environment (an e-mail subscription when alarm_email is
# set, or any endpoint subscribed by hand) receives every alarm — DLQ depth and oldest-message age
# (in the queue module), Lambda errors and throttles per function, and API 5xx.

resource "aws_sns_topic" "alarms" {
  name = "${local.prefix}-alarms"
  tags = local.tags
}

# E-mail subscriptions stay "pending confirmation" until the recipient clicks the link AWS sends.
resource "aws_sns_topic_subscription" "email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_actions     = concat([aws_sns_topic.alarms.arn], var.alarm_actions)
  alarmed_functions = concat([local.api_function_name], [for f in keys(local.m.functions) : "${local.prefix}-${f}"])
  lambda_alarms = { for pair in setproduct(local.alarmed_functions, ["Errors", "Throttles"]) : "${pair[0]}-${lower(pair[1])}" => {
    function = pair[0]
    metric   = pair[1]
  } }
}

resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each            = local.lambda_alarms
  alarm_name          = each.key
  alarm_description   = "${each.value.metric} of ${each.value.function} in the last 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = each.value.function }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${local.api_function_name}-5xx"
  alarm_description   = "The HTTP API answered 5xx in the last 5 minutes."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = { ApiId = module.api.api_id, Stage = "$default" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}
