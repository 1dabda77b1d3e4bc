# S3 state for staging; the bucket is made once by hand (docs/deploying.md, "First-time bootstrap").
# use_lockfile: S3-native state locking (Terraform >= 1.10), no DynamoDB table.
bucket       = "bluemoxon-terraform-state"
key          = "image-pipeline/staging.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true
