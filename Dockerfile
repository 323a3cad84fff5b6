# Custody Ledger service image. Build: docker build -t custody-ledger .
# Stage 1 compiles TypeScript and installs production dependencies (better-sqlite3 is native: the toolchain is here
# in case no prebuilt binary matches); stage 2 carries only what runs.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The workspaces: the CLI's bin and the native hasher (C source, compiled here by npm ci with node-gyp).
COPY packages ./packages
RUN npm ci
# Only the sources the build reads, so a host's node_modules, dist or data never enter the image.
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
# node_modules links the workspaces (the built native hasher among them) into packages/.
COPY --from=build /app/packages ./packages
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts ./scripts
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "-r", "./scripts/register-paths.js", "dist/apps/ledger-api/src/main.js"]
