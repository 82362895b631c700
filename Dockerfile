# syntax=docker/dockerfile:1
#
# One image per service, all from this file:
#   docker build --build-arg SERVICE=pool -t licensing/pool:latest .
# SERVICE is one of catalog | pool | contracts | points.
#
# Services run their TypeScript through tsx, a root devDependency, so the image keeps the full
# node_modules (dev dependencies included) rather than pruning them.

ARG NODE_IMAGE=node:20-bookworm-slim

# Only the package manifests and the lockfile: the install layer below is then reused until a
# dependency changes, not rebuilt on every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && cp package-lock.json /manifests/ \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \;
# Fails early, with a clear message, on a missing or unknown SERVICE.
ARG SERVICE
RUN test -n "${SERVICE}" -a -f "services/${SERVICE}/src/main.ts" \
 || { echo "build arg SERVICE must name a service with src/main.ts (catalog|pool|contracts|points), got '${SERVICE}'" >&2; exit 1; }

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
# Every entry of the root package.json's allowScripts is false, and the npm bundled with Node 20
# predates allowScripts, so --ignore-scripts applies that same policy whatever the npm version.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/ ./
COPY tsconfig.json ./
COPY libs/ libs/
COPY services/${SERVICE}/ services/${SERVICE}/
# The base image's `node` user, by uid so Kubernetes can check runAsNonRoot. The files stay
# owned by root: the process reads them and writes only to /tmp (tsx's transform cache).
USER 1000:1000
# sh expands SERVICE; exec makes node PID 1 so SIGTERM reaches its graceful shutdown.
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]
