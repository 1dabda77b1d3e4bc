#!/bin/sh
# LocalStack runs this once its services answer. Resources are not created here on purpose:
# the compose `provision` service applies pipeline.json with the same code as `npm start`.
echo "localstack ready: sqs, s3, secretsmanager"
