output "account_id" {
  value = module.pipeline.account_id
}

output "api_url" {
  value = module.pipeline.api_url
}

output "api_function_name" {
  value = module.pipeline.api_function_name
}

output "worker_function_names" {
  value = module.pipeline.worker_function_names
}

output "published_versions" {
  value = module.pipeline.published_versions
}

output "queue_urls" {
  value = module.pipeline.queue_urls
}

output "secret_arns" {
  value = module.pipeline.secret_arns
}

output "ecr_repository_urls" {
  value = module.pipeline.ecr_repository_urls
}

output "function_security_group_id" {
  value = module.pipeline.function_security_group_id
}

output "alarm_topic_arn" {
  value = module.pipeline.alarm_topic_arn
}
