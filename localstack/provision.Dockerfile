# The compose `provision` service: runs scripts/provision.ts (provisionPipeline + migrations)
# against LocalStack. Build from the repository root: docker build -f localstack/provision.Dockerfile .
ARG NODE_IMAGE=node:22.20.0-bookworm-slim
FROM ${NODE_IMAGE}
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/package.json
COPY packages/event-source-mapping/package.json packages/event-source-mapping/package.json
COPY services/api/package.json services/api/package.json
COPY services/worker/package.json services/worker/package.json
COPY services/emulator/package.json services/emulator/package.json
COPY services/ebay-fixture/package.json services/ebay-fixture/package.json
# Scripts off: the native add-ons of the worker are not needed to provision.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY packages/core packages/core
COPY scripts/provision.ts scripts/provision.ts
COPY pipeline.json tsconfig.json ./
ENTRYPOINT ["npx", "--no-install", "tsx", "scripts/provision.ts"]
