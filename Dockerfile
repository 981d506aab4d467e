# The bridge in one small image: production dependencies only, run as the unprivileged `node` user.
# Build: docker build -t intercom-slack-bridge .   Run: see docs/deployment.md.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script at run time (the node@24 devDependency is not installed)
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_URL=sqlite:/app/data/bridge.db
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json manifest.yml ./
COPY src ./src
RUN mkdir -p /app/data /app/.cache && chown node:node /app/data /app/.cache
USER node
# Node's compile cache (see src/compile-cache.js), filled here so that even a new container's first start is lean
ENV NODE_COMPILE_CACHE=/app/.cache
RUN node --input-type=module -e "await import('/app/src/app.ts'); await import('/app/src/config.ts')"
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1's child of nothing: it receives SIGTERM directly and shuts down gracefully
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=25", "--import=./src/compile-cache.js", "src/main.ts"]
