# An ECR repository for one image of pipeline.json. Functions reference images by digest, so
# tags are only labels (immutable, so a tag can never be moved under a deployed digest).

variable "name" {
  type = string
}

variable "keep_images" {
  description = "How many images to keep; older ones expire. Keep enough to roll back."
  type        = number
  default     = 50
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = var.tags
}

# Counts every image, tagged or not: images are pushed by digest and must not expire just for
# lacking a tag while a function still runs them.
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.keep_images
      }
      action = { type = "expire" }
    }]
  })
}

output "name" {
  value = aws_ecr_repository.this.name
}

output "url" {
  value = aws_ecr_repository.this.repository_url
}

output "arn" {
  value = aws_ecr_repository.this.arn
}
