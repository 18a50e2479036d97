# syntax=docker/dockerfile:1
# The server image: builds the console and the server, then keeps only the server's production
# dependencies (pnpm deploy), the bundle, the migrations and the console's static files.
# Node 26 is the Active LTS line (since 2026-10-28, supported to 2029-04-30); see README "Supported runtimes".

FROM node:26-trixie-slim AS build
RUN npm install -g pnpm@10.34.9
WORKDIR /repo
# Manifests first, so that the dependency layer is cached while only sources change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY apps/server/package.json apps/server/
COPY apps/console/package.json apps/console/
COPY packages/shared/package.json packages/shared/
COPY packages/action/package.json packages/action/
COPY packages/cli/package.json packages/cli/
COPY e2e/package.json e2e/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm build \
 && pnpm --filter @oidc/server --prod deploy --legacy /out

FROM node:26-trixie-slim
ENV NODE_ENV=production \
    PORT=3000 \
    CONSOLE_DIR=/app/public
WORKDIR /app
COPY --from=build --chown=node:node /out ./
COPY --from=build --chown=node:node /repo/apps/console/dist ./public
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM reaches node directly (exec form): in-flight requests finish, then the pool closes.
# --max-semi-space-size: the same node flags as apps/server's `start` script (docs/operations.md,
# "Node's young generation"; test/node-flags.test.ts keeps them equal).
CMD ["node", "--max-semi-space-size=32", "dist/index.js"]
