output "account_id" {
  value = local.account
}

output "prefix" {
  value = local.prefix
}

output "api_url" {
  value = module.api.url
}

output "api_function_name" {
  value = module.api.name
}

output "worker_function_names" {
  value = { for k, w in module.worker : k => w.name }
}

output "published_versions" {
  description = "{function name: the version this apply published}: go-live moves each `live` alias to exactly these (not to the highest version)."
  value = merge(
    { for k, w in module.worker : w.name => w.published_version },
    { (module.api.name) = module.api.published_version, (module.migrate.name) = module.migrate.published_version },
  )
}

output "queue_urls" {
  value = { for k, q in module.queue : k => q.url }
}

output "bucket_names" {
  value = { for k, b in aws_s3_bucket.this : k => b.id }
}

output "secret_arns" {
  value = { for k, s in data.aws_secretsmanager_secret.this : k => s.arn }
}

output "ecr_repository_urls" {
  value = { for k, r in data.aws_ecr_repository.this : k => r.repository_url }
}

output "role_arns" {
  value = { for k, r in module.role : k => r.arn }
}

output "function_security_group_id" {
  description = "The functions' security group (in a VPC): an external database must admit 5432 from it."
  value       = one(aws_security_group.lambda[*].id)
}

output "alarm_topic_arn" {
  value = aws_sns_topic.alarms.arn
}
