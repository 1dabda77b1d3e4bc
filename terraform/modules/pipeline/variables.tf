variable "manifest" {
  description = "pipeline.json, decoded (jsondecode(file(...)))."
  type        = any
}

variable "environment" {
  description = "Environment name from pipeline.json's environments (staging, prod)."
  type        = string
}

variable "images" {
  description = "Image of each pipeline.json image (api, worker), by digest: \"<repo>@sha256:<64 hex>\"."
  type        = map(string)
  validation {
    condition     = alltrue([for uri in values(var.images) : can(regex("^[^@\\s]+/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$", uri))])
    error_message = "Every image must be referenced by digest (<repository>@sha256:<64 hex digits>), never by tag."
  }
}

variable "enable_database" {
  description = "Create an Aurora PostgreSQL Serverless v2 cluster (its master password is generated and kept by RDS in Secrets Manager)."
  type        = bool
  default     = false
}

variable "use_existing_database_credentials" {
  description = "Use an externally managed database: its credentials secret (database_secret_arn) and host. No password ever passes through Terraform."
  type        = bool
  default     = false
}

variable "database_secret_arn" {
  description = "ARN of the existing database credentials secret (use_existing_database_credentials)."
  type        = string
  default     = ""
}

variable "database_host" {
  description = "Host of the existing database (use_existing_database_credentials)."
  type        = string
  default     = ""
}

variable "database_name" {
  type    = string
  default = "bluemoxon"
}

variable "database_min_capacity" {
  type    = number
  default = 0.5
}

variable "database_max_capacity" {
  type    = number
  default = 4
}

variable "vpc_subnet_ids" {
  description = "Private subnets for the functions and the database; empty = functions outside a VPC."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Extra security groups for the functions, besides the one this module makes (e.g. one an external database admits)."
  type        = list(string)
  default     = []
}

variable "database_engine_version" {
  description = "Aurora PostgreSQL version the cluster is created with; later minor upgrades are RDS's (ignored here)."
  type        = string
  default     = "16.6"
}

variable "api_memory_mb" {
  type    = number
  default = 1024
}

variable "api_timeout_seconds" {
  type    = number
  default = 30
}

variable "retry_sweep_schedule" {
  type    = string
  default = "rate(5 minutes)"
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "alarm_email" {
  description = "E-mail address subscribed to the environment's alarm topic (empty: subscribe an endpoint by hand)."
  type        = string
  default     = ""
}

variable "alarm_actions" {
  description = "More ARNs notified by every alarm, besides the environment's own SNS topic."
  type        = list(string)
  default     = []
}


variable "tags" {
  type    = map(string)
  default = {}
}

variable "migrate_timeout_seconds" {
  description = "Timeout of the migrations' function (Lambda allows up to 900): migrations bound each statement themselves (lambda.migrateHandler)."
  type        = number
  default     = 600
  validation {
    condition     = var.migrate_timeout_seconds >= 60 && var.migrate_timeout_seconds <= 900
    error_message = "migrate_timeout_seconds must be between 60 and 900."
  }
}

variable "egress_route_check" {
  description = "Refuse function subnets whose 0.0.0.0/0 route goes to neither a NAT gateway nor a transit gateway. false: egress is provided another way (a NAT instance, a firewall appliance) — docs/deploying.md, Networking."
  type        = bool
  default     = true
}
