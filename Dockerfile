# syntax=docker/dockerfile:1
# The operator as one NativeAOT binary on a distroless (chiseled) base: no shell, no package manager, non-root.
#   docker build -t guardduty-coverage-operator:dev .
# The publish command is the one `make publish-aot` runs (a test keeps them equal).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# NativeAOT links with clang and needs zlib.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first, from the project files only, so that source edits reuse the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY operator/GuardDutyCoverage.Operator.csproj operator/
RUN dotnet restore operator -r linux-x64 -p:PublishAot=true
COPY operator/ operator/
RUN dotnet publish operator -c Release -r linux-x64 -p:PublishAot=true --no-restore -o /out

# runtime-deps: glibc, OpenSSL (TLS to the API server and AWS) and CA certificates; nothing else.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
COPY --from=build /out/guardduty-coverage /guardduty-coverage
# The Deployment sets the same UID; the binary writes to /tmp only, so the root filesystem may be read-only.
USER 65532:65532
ENTRYPOINT ["/guardduty-coverage"]
CMD ["run"]
