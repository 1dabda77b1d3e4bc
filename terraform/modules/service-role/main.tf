# The execution role of one service: exactly the statements pipeline.json declares for it
# (already resolved to ARNs by the caller), plus its own log group, plus the database secret
# when the service talks to a database. Nothing else, so a missing permission fails in
# staging, not silently in prod.

variable "name" {
  description = "Role name, \"<prefix>-<service>\"."
  type        = string
}

variable "statements" {
  description = "IAM statements from pipeline.json: actions × resolved resource ARNs."
  type = list(object({
    actions   = list(string)
    resources = list(string)
  }))
}

variable "log_group_arns" {
  description = "Log groups the functions of this role write to."
  type        = list(string)
}

variable "database_secret_arn" {
  description = "ARN of the database credentials secret, or null when the service has no database."
  type        = string
  default     = null
}

variable "vpc_access" {
  description = "Whether the functions run in a VPC (needs ENI permissions)."
  type        = bool
  default     = false
}

variable "permissions_boundary" {
  description = "ARN of the permissions boundary the role is created with (terraform/bootstrap's <prefix>-boundary): the deploy roles may create no role without it."
  type        = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_iam_role" "this" {
  name                 = var.name
  permissions_boundary = var.permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

# The manifest's permissions, one statement per manifest entry, in the manifest's order.
resource "aws_iam_role_policy" "manifest" {
  name = "${var.name}-pipeline"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [for s in var.statements : {
      Effect   = "Allow"
      Action   = sort(s.actions)
      Resource = s.resources
    }]
  })
}

# Runtime needs that are not the application's: logs, database secret, VPC ENIs.
resource "aws_iam_role_policy" "runtime" {
  name = "${var.name}-runtime"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      length(var.log_group_arns) == 0 ? [] : [{
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for arn in var.log_group_arns : "${arn}:*"]
      }],
      var.database_secret_arn == null ? [] : [{
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [var.database_secret_arn]
      }],
    )
  })
}

resource "aws_iam_role_policy_attachment" "vpc" {
  count      = var.vpc_access ? 1 : 0
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

# Functions are created only once their role can act: the policies are attached first.
output "arn" {
  value      = aws_iam_role.this.arn
  depends_on = [aws_iam_role_policy.manifest, aws_iam_role_policy.runtime, aws_iam_role_policy_attachment.vpc]
}

output "name" {
  value = aws_iam_role.this.name
}
