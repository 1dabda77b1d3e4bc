# One SQS queue of pipeline.json with its dead-letter queue, the redrive between them, and an
# alarm on the DLQ's depth: a message there is a job nobody will finish without a human.

variable "name" {
  description = "Physical queue name (\"<prefix>-<logical>\"); the DLQ is \"<name>-dlq\"."
  type        = string
}

variable "spec" {
  description = "The queue's entry of pipeline.json (queues.<logical>)."
  type = object({
    visibilityTimeoutSeconds = number
    messageRetentionSeconds  = optional(number, 345600)
    receiveWaitTimeSeconds   = optional(number, 20)
    delaySeconds             = optional(number, 0)
    deadLetter = object({
      maxReceiveCount         = number
      messageRetentionSeconds = optional(number, 1209600)
      alarmThreshold          = optional(number, 1)
    })
  })
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified when the DLQ holds messages."
  type        = list(string)
  default     = []
}

variable "oldest_message_age_seconds" {
  description = "Alarm when the queue's oldest message is older than this."
  type        = number
  default     = 900
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = var.spec.deadLetter.messageRetentionSeconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "this" {
  name                       = var.name
  visibility_timeout_seconds = var.spec.visibilityTimeoutSeconds
  message_retention_seconds  = var.spec.messageRetentionSeconds
  receive_wait_time_seconds  = var.spec.receiveWaitTimeSeconds
  delay_seconds              = var.spec.delaySeconds
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.spec.deadLetter.maxReceiveCount
  })
  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  alarm_name          = "${var.name}-dlq-depth"
  alarm_description   = "Messages in ${var.name}-dlq: jobs that failed ${var.spec.deadLetter.maxReceiveCount} times."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.spec.deadLetter.alarmThreshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = var.tags
}

# A message nobody picks up (the worker is down, throttled or failing before it deletes) gets old.
resource "aws_cloudwatch_metric_alarm" "oldest_message_age" {
  alarm_name          = "${var.name}-oldest-message-age"
  alarm_description   = "The oldest message in ${var.name} waited more than ${var.oldest_message_age_seconds} s."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.this.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.oldest_message_age_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = var.tags
}

output "name" {
  value = aws_sqs_queue.this.name
}

output "url" {
  value = aws_sqs_queue.this.url
}

output "arn" {
  value = aws_sqs_queue.this.arn
}

output "dlq_name" {
  value = aws_sqs_queue.dlq.name
}

output "dlq_url" {
  value = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  value = aws_sqs_queue.dlq.arn
}
