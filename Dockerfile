# One image holds the three binaries: producer, consumer and ticketctl.
#
#   docker build --build-arg VERSION=v1.2.3 --build-arg REVISION=$(git rev-parse HEAD) -t ticket-processor:v1.2.3 .
#
# The build is static (CGO_ENABLED=0), reproducible (-trimpath, no VCS
# stamping) and stamped with VERSION and REVISION, which `--version` and the
# build-info metric show. The final stage is scratch: the binaries, the CA
# bundle for TLS to the brokers, and a passwd entry for the non-root user
# 65532 (the uid distroless calls nonroot). No shell, so the containers'
# healthchecks run `producer healthcheck` / `consumer healthcheck`.
#
# deploy/validate checks this file with BuildKit's own parser (`make
# test-deploy`); keep GO_VERSION equal to go.mod's go line.

ARG GO_VERSION=1.26.8

# The builder runs on the build machine's platform and cross-compiles for
# the target, so a multi-platform build needs no emulation.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG REVISION=unknown
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags="-s -w -X ticket-processor/internal/buildinfo.Version=${VERSION} -X ticket-processor/internal/buildinfo.Revision=${REVISION}" \
      -o /out/bin/ ./cmd/producer ./cmd/consumer ./cmd/ticketctl
RUN mkdir -p /out/etc \
 && echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /out/etc/passwd \
 && echo 'nonroot:x:65532:' > /out/etc/group

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build /out/bin/producer /out/bin/consumer /out/bin/ticketctl /usr/local/bin/
ENV PATH=/usr/local/bin
USER 65532:65532
# The producer's and the consumer's /metrics, /healthz and /readyz.
EXPOSE 2112 2113
CMD ["/usr/local/bin/producer", "--version"]
