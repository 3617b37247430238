# ethidx with its embedded ClickHouse engine (libchdb.so, ~570 MB) inside,
# so nothing is fetched when a container starts. `make image` builds it.
#
#   docker run --rm ethidx:latest version
#   docker run -v ethidx-data:/data -p 127.0.0.1:8123:8123 ethidx:latest \
#       serve --http-addr 0.0.0.0:8123 --user-file /run/secrets/ethidx-users
#
# The base images are build arguments, for registries that mirror them.
ARG GO_IMAGE=docker.io/library/golang:1.26-bookworm
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# With cgo (the Go image has gcc): Landlock confinement needs it to reach
# every thread (a CGO_ENABLED=0 build runs unconfined). The final image has
# the same Debian glibc.
# `ethidx version` names the release and commit (`make image` passes them;
# the build context has no .git).
ARG VERSION=
ARG COMMIT=
RUN go build -trimpath -ldflags "-X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/ethidx ./cmd/ethidx
# The engine comes from the npm registry (`ethidx engine install` runs
# `npm pack` and checks the library's size and SHA-256).
RUN apt-get update && apt-get install -y --no-install-recommends npm ca-certificates && \
    XDG_CACHE_HOME=/out/cache /out/ethidx engine install && \
    mkdir -p /out/lib && mv /out/cache/ethidx/libchdb-*/libchdb.so /out/lib/libchdb.so

FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata && \
    rm -rf /var/lib/apt/lists/* && \
    useradd --system --uid 10001 --user-group --home-dir /data --no-create-home ethidx && \
    mkdir -p /data && chown ethidx:ethidx /data
COPY --from=build /out/lib/libchdb.so /usr/local/lib/ethidx/libchdb.so
COPY --from=build /out/ethidx /usr/local/bin/ethidx
# The data dir is the volume; the engine is the image's own copy.
ENV ETHIDX_LIBCHDB=/usr/local/lib/ethidx/libchdb.so \
    ETHIDX_DATA_DIR=/data/ethidx-data
# Numeric, so Kubernetes can check runAsNonRoot.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# 8123: the SQL endpoint of `serve` (give --http-addr 0.0.0.0:8123 and
# users); 9100: `follow --metrics-addr 0.0.0.0:9100`.
EXPOSE 8123 9100
ENTRYPOINT ["ethidx"]
CMD ["--help"]
