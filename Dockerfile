# syntax=docker/dockerfile:1
# The operator as one NativeAOT binary on a distroless (chiseled) base: no shell, no package manager, non-root.
#   docker build -t guardduty-coverage-operator:dev .
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/guardduty-coverage-operator:VERSION --push .
# The build stage always runs on the builder's own platform and cross-compiles for TARGETARCH (NativeAOT cannot be
# run under emulation at a reasonable speed); only the runtime stage is per platform.
# The publish command is the one `make publish-aot ARCH=...` runs (a test keeps them equal).

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TARGETARCH
ARG BUILDARCH
# NativeAOT links with clang and needs zlib; llvm-objcopy strips the binary of either architecture. Building for
# another architecture also needs that architecture's C runtime (gcc-<triple>) and zlib. Ubuntu serves amd64 from
# archive.ubuntu.com and arm64 from ports.ubuntu.com, so each apt source is pinned to its architecture.
RUN set -eu; \
    case "$TARGETARCH" in amd64) triple=x86_64-linux-gnu ;; arm64) triple=aarch64-linux-gnu ;; \
      *) echo "unsupported TARGETARCH '$TARGETARCH' (amd64, arm64)" >&2; exit 1 ;; esac; \
    packages="clang llvm zlib1g-dev"; \
    if [ "$TARGETARCH" != "$BUILDARCH" ]; then \
      case "$TARGETARCH" in amd64) mirror=http://archive.ubuntu.com/ubuntu/ ;; arm64) mirror=http://ports.ubuntu.com/ubuntu-ports/ ;; esac; \
      sed -i "/^Signed-By:/a Architectures: $BUILDARCH" /etc/apt/sources.list.d/ubuntu.sources; \
      printf 'Types: deb\nURIs: %s\nSuites: noble noble-updates noble-security\nComponents: main\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\nArchitectures: %s\n' \
        "$mirror" "$TARGETARCH" > /etc/apt/sources.list.d/target-arch.sources; \
      dpkg --add-architecture "$TARGETARCH"; \
      packages="$packages binutils-$triple gcc-$triple zlib1g-dev:$TARGETARCH"; \
    fi; \
    apt-get update; \
    apt-get install -y --no-install-recommends $packages; \
    rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first, from the project files only (the executable and one per layer), so that source edits reuse the
# restored layer.
COPY global.json Directory.Build.props Directory.Packages.props VERSION ./
COPY operator/GuardDutyCoverage.Operator.csproj operator/
COPY operator/Util/GuardDutyCoverage.Util.csproj operator/Util/
COPY operator/Api/GuardDutyCoverage.Api.csproj operator/Api/
COPY operator/Runtime/GuardDutyCoverage.Runtime.csproj operator/Runtime/
COPY operator/Diagnosis/GuardDutyCoverage.Diagnosis.csproj operator/Diagnosis/
COPY operator/Aws/GuardDutyCoverage.Aws.csproj operator/Aws/
COPY operator/Controller/GuardDutyCoverage.Controller.csproj operator/Controller/
RUN dotnet restore operator --os linux -a $TARGETARCH -p:PublishAot=true
COPY operator/ operator/
RUN dotnet publish operator -c Release --os linux -a $TARGETARCH -p:PublishAot=true --no-restore -o /out

# runtime-deps: glibc, OpenSSL (TLS to the API server and AWS) and CA certificates; nothing else. Pulled for the
# target platform.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
COPY --from=build /out/guardduty-coverage /guardduty-coverage
# The Deployment sets the same UID; the binary writes to /tmp only, so the root filesystem may be read-only.
USER 65532:65532
ENTRYPOINT ["/guardduty-coverage"]
CMD ["run"]
