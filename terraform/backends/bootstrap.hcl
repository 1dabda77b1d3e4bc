# S3 state for terraform/bootstrap, in the bucket it creates (migrated there after the first apply).
bucket       = "bluemoxon-terraform-state"
key          = "image-pipeline/bootstrap.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true
