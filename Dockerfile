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
# Liveness without starting a second Node (≈ 63 MB each time): bash, which the image has (it has neither wget nor
# curl), sends GET /healthz over /dev/tcp and reads the status line. Costs one bash process (≈ 4 MB) for a moment.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-3000} && printf 'GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 4 line <&3 && [[ $line == 'HTTP/1.'?' 200 '* ]]"]
# node itself is PID 1, not npm: it receives SIGTERM directly and shuts down gracefully (exit 0). `npm start` as PID 1
# would need npm to pass the signal on; a supervisor outside Docker should run this same command (docs/deployment.md).
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=25", "--import=./src/compile-cache.js", "src/main.ts"]
