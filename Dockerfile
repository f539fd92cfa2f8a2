# syntax=docker/dockerfile:1
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The npm workspace (packages/client) is part of the lockfile's tree: npm ci needs its package.json.
COPY packages/client/package.json ./packages/client/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/drizzle ./drizzle
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The heap is bounded: the young generation to 16 MB semi-spaces (under load V8 would otherwise grow it to fit the
# allocation rate, ~150 MB more RSS for ~2 % less CPU), the old generation to 192 MB, about three times the app's
# live heap (~60 MB): without a bound V8 grows it with the allocation rate too, to ~470 MB of RSS under the
# benchmark's load (bench/, issue 13). Both are in NODE_OPTIONS so that a deployment can set others.
ENV NODE_OPTIONS="--max-semi-space-size=16 --max-old-space-size=192"
CMD ["node", "dist/main.js"]
