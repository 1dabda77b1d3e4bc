variable "api_image" {
  description = "API image by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<64 hex>."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$", var.api_image))
    error_message = "api_image must be <repository>@sha256:<64 hex digits>: images are deployed by digest, never by tag."
  }
}

variable "worker_image" {
  description = "Worker image by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<64 hex>."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$", var.worker_image))
    error_message = "worker_image must be <repository>@sha256:<64 hex digits>: images are deployed by digest, never by tag."
  }
}

variable "use_existing_database_credentials" {
  description = "Use an externally managed database whose credentials secret is database_secret_arn (never a password variable)."
  type        = bool
  default     = true
}

variable "database_secret_arn" {
  type    = string
  default = ""
}

variable "database_host" {
  type    = string
  default = ""
}

variable "database_name" {
  type    = string
  default = "bluemoxon"
}

variable "vpc_subnet_ids" {
  type    = list(string)
  default = []
}

variable "vpc_security_group_ids" {
  type    = list(string)
  default = []
}

variable "alarm_email" {
  description = "E-mail subscribed to the environment's alarm topic (GitHub variable ALARM_EMAIL)."
  type        = string
  default     = ""
}

variable "alarm_actions" {
  type    = list(string)
  default = []
}

variable "enable_database" {
  description = "Prod uses an externally managed Aurora cluster: leave false."
  type        = bool
  default     = false
}

variable "egress_route_check" {
  description = "false only when the function subnets reach the internet another way than a NAT or transit gateway (docs/deploying.md, Networking)."
  type        = bool
  default     = true
}
