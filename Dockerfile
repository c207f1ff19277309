# syntax=docker/dockerfile:1
#
# winfleet in a container: the same static binary as the release archives
# (CGO_ENABLED=0, -trimpath, -ldflags "-s -w"; see .goreleaser.yaml) on
# distroless/static, running as an unprivileged user.
#
#   docker build -t winfleet .
#   docker run --rm winfleet version
#   docker buildx build --platform linux/amd64,linux/arm64 -t winfleet .
#
# The build stage runs on the builder's own platform and cross-compiles
# for the target (no emulation). The version and revision come from the
# build information Go embeds: keep .git in the build context (the
# .dockerignore does) or the image reports "(devel)" with no revision.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w" -o /out/winfleet ./cmd/winfleet

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/winfleet /usr/local/bin/winfleet
# 65532 is distroless's "nonroot"; numeric so Kubernetes' runAsNonRoot can
# verify it.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/winfleet"]
