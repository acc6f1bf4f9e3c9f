# One image for every sipmesh service; the command picks the service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig*.json ./
COPY contracts contracts
COPY packages packages
COPY services services
COPY test/package.json test/package.json
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
COPY config config
ENV NODE_ENV=production
EXPOSE 5060/udp 5060/tcp 9060 9070 9071
CMD ["node", "packages/sipmesh/dist/main.js"]
