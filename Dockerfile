# syntax=docker/dockerfile:1
#
# One image per service, all from this file:
#   docker build --build-arg SERVICE=pool -t licensing/pool:latest .
# SERVICE is one of catalog | pool | contracts | points.
#
# The image runs JavaScript built by tsc (with the decorator metadata Nest injects by), on
# production dependencies only.

ARG NODE_IMAGE=node:20-bookworm-slim

# Only the package manifests and the lockfile: the install layers below are then reused until a
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

# Every entry of the root package.json's allowScripts is false, and the npm bundled with Node 20
# predates allowScripts, so --ignore-scripts applies that same policy whatever the npm version.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY libs/ libs/
COPY services/ services/
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=runtime-deps /app/ ./
# The built JavaScript where the sources were: packages' "main" is extensionless ("src/index"),
# so the same package.json resolves the .ts in development and the .js here.
COPY --from=build /app/dist/libs/ libs/
COPY --from=build /app/dist/services/${SERVICE}/ services/${SERVICE}/
# The base image's `node` user, by uid so Kubernetes can check runAsNonRoot. The files stay
# owned by root; the process writes nothing.
USER 1000:1000
# sh expands SERVICE; exec makes node PID 1 so SIGTERM reaches its graceful shutdown.
CMD ["sh", "-c", "exec node --enable-source-maps services/${SERVICE}/src/main.js"]
