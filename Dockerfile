# syntax=docker/dockerfile:1
# The API and the CPU worker (docker-compose.yml runs both from this image).
FROM node:20-bookworm-slim

WORKDIR /app

# The whole tree, because npm workspaces need every package.json and the services run their
# TypeScript sources through tsx; .dockerignore keeps node_modules and local state out.
COPY . .

# Dev dependencies are runtime dependencies here (tsx runs the sources, prisma generates the
# client), so NODE_ENV is set only after the install. npm ci compiles the native training engine
# (packages/native) against OpenBLAS; the compiler and headers leave again in the same layer, the
# OpenBLAS runtime (libopenblas0-pthread) stays.
RUN --mount=type=cache,target=/root/.npm \
    apt-get update \
 && apt-get install -y --no-install-recommends libopenblas0-pthread libopenblas-dev g++ make python3 \
 && npm ci \
 && test -f packages/native/build/rnnlab_native.node \
 && apt-get purge -y --auto-remove libopenblas-dev g++ make python3 \
 && rm -rf /var/lib/apt/lists/* \
 && npm run db:generate \
 && npm run --if-present build:dashboard \
 && mkdir -p /app/data \
 && chown node:node /app/data

ENV NODE_ENV=production \
    DATA_DIR=/app/data

USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "apps/api/src/server.ts"]
