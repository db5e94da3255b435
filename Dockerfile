# syntax=docker/dockerfile:1
# The `god` command as a container image: one image, every role (`god validator`, `god miner run`,
# `god trainer start`, `god api`, `god auditor`, `god devnet`). Sources are TypeScript run through tsx at start-up
# (no build step), and tsx is a runtime dependency, so production installs need no devDependencies.
# Build: docker build -t god:latest .      Run: docker run --rm god:latest --help
# Production guide: docs/production.md.

ARG NODE_IMAGE=node:20-slim
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# git: the trainer clones miners' repos and the tournament publishes winners; ca-certificates for HTTPS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The postinstall script (bin/link-self.js) links node_modules/.bin/god, so bin/ comes with the manifests.
COPY package.json package-lock.json ./
COPY bin ./bin
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY chain-data ./chain-data
COPY vectors ./vectors
# Data (embedded database, blobs, keys, hub) lives in /data; mount a volume there. Wallets are read from
# /home/node/.bittensor/wallets unless chain.walletDir / BT_WALLET_PATH say otherwise.
ENV NODE_ENV=production \
    GOD_HOME=/data \
    TSX_TSCONFIG_PATH=/app/tsconfig.json
RUN mkdir -p /data && chown node:node /data
# The image's own non-root user (uid 1000). Roles that drive Docker (miner container backend, trainer
# --executor docker) need the host's docker socket mounted and its group added (`--group-add <gid>`).
USER node
VOLUME ["/data"]
# 9100 validator surface, 9001 public API, 7999 miner, 8001 trainer, 8600 storage server.
EXPOSE 9100 9001 7999 8001 8600
# tini reaps children (training jobs, the Python sandbox workers) and forwards SIGTERM for a clean stop.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/god.js"]
CMD ["--help"]
