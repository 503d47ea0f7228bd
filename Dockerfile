# The scaler's image: this program, the Pulumi CLI and its provider plugins, and the scaler.
# Build from the repository root, for the nodes (amd64) whatever the workstation is:
#   docker build --platform linux/amd64 -t <registry>/boutique-scaler:<version> .
# The Pulumi CLI is pinned to the @pulumi/pulumi version in package.json (a test keeps them equal).
# Node.js: the major pinned in .node-version (test/node-version.test.ts keeps them agreeing).
FROM node:24-bookworm-slim

ARG PULUMI_VERSION=3.248.0
# Set by the builder from --platform: the CLI of the image's architecture (Pulumi names amd64 x64).
ARG TARGETARCH=amd64
RUN case "${TARGETARCH}" in amd64) arch=x64 ;; arm64) arch=arm64 ;; *) echo "no Pulumi CLI for ${TARGETARCH}" >&2; exit 1 ;; esac \
    && apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && curl -fsSL "https://get.pulumi.com/releases/sdk/pulumi-v${PULUMI_VERSION}-linux-${arch}.tar.gz" | tar -xz -C /opt \
    && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

ENV PATH=/opt/pulumi:$PATH \
    PULUMI_HOME=/opt/pulumi-home \
    PULUMI_SKIP_UPDATE_CHECK=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The provider plugins the program needs, baked in: a pod never downloads code at run time.
RUN pulumi install \
    && useradd --uid 10001 --home-dir /app --no-create-home scaler \
    && chown -R 10001:10001 /app /opt/pulumi-home
USER 10001
EXPOSE 8086 9464
ENTRYPOINT ["node", "--import", "tsx", "scaler/main.ts"]
