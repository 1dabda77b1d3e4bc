# The prod environment. Everything structural comes from pipeline.json; this file only picks
# the environment and its prod-specific knobs. Images arrive by digest from CI (deploy-staging.yml)
# or from scripts/promote.mjs.

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
  # Partial configuration: terraform init -backend-config=../../backends/prod.hcl
  backend "s3" {}
}

locals {
  manifest = jsondecode(file("${path.root}/../../../pipeline.json"))
}

provider "aws" {
  region = local.manifest.region
  default_tags {
    tags = { project = local.manifest.project, environment = "prod" }
  }
}

module "pipeline" {
  source      = "../../modules/pipeline"
  manifest    = local.manifest
  environment = "prod"
  images = {
    api    = var.api_image
    worker = var.worker_image
  }
  enable_database                   = var.enable_database
  use_existing_database_credentials = var.use_existing_database_credentials
  database_secret_arn               = var.database_secret_arn
  database_host                     = var.database_host
  database_name                     = var.database_name
  vpc_subnet_ids                    = var.vpc_subnet_ids
  vpc_security_group_ids            = var.vpc_security_group_ids
  egress_route_check                = var.egress_route_check
  alarm_actions                     = var.alarm_actions
  alarm_email                       = var.alarm_email
}
