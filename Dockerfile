# syntax=docker/dockerfile:1
#
# Serving images. Two final targets share one build:
#
#   docker build --target cpu  -t serving:0.1.0      .   # default (last stage): ONNX Runtime CPU
#   docker build --target cuda -t serving:0.1.0-cuda .   # CUDA 13 + cuDNN 9 runtime, ONNX Runtime CUDA EP
#
# Both run `dotnet Serving.Host.dll` as uid/gid 10001 with the model repository baked in at
# /models (Serving__ModelRepositoryPath=/models; mount another repository over it to replace it).
# Ports: 8080 HTTP/1.1 (REST, /healthz, /readyz), 8081 gRPC (h2c), 8082 admin HTTP/1.1 (/metrics,
# /v1/allocator, model control), 8083 admin gRPC (reflection, model control). See docs/deploy.md.

# .NET 10 images are Ubuntu 24.04 (noble) based, the same distribution as the CUDA base below,
# so the runtime copied into the CUDA image finds the libraries it was built against.
ARG DOTNET_VERSION=10.0
ARG DOTNET_SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}
ARG DOTNET_ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}
# CUDA 13 runtime (cudart, cuBLAS/cuBLASLt 13, cuRAND 10) + cuDNN 9: what
# libonnxruntime_providers_cuda.so of Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31 links against.
# The host needs an NVIDIA driver that supports CUDA 13 (R580 or newer).
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04
# The non-root user of both images. (Not APP_UID: the aspnet base image sets ENV APP_UID=1654,
# and an ENV always wins over an ARG of the same name.)
ARG SERVING_UID=10001
# Image version label (docker build --build-arg VERSION=...).
ARG VERSION=0.1.0

# ---------------------------------------------------------------------------------------------
# restore-inputs: only the files NuGet restore reads (solution, project and MSBuild props/targets,
# NuGet.config, global.json), in their folders. Its output changes only when one of those files
# changes, so the restore layer below stays cached across source-only edits.
FROM ${DOTNET_SDK_IMAGE} AS restore-inputs
WORKDIR /src
COPY . .
RUN find . -type f \
        ! -name '*.csproj' ! -name '*.props' ! -name '*.targets' \
        ! -name '*.sln' ! -name '*.slnx' ! -iname 'nuget.config' ! -name 'global.json' \
        -delete \
    && find . -depth -type d -empty -delete

# ---------------------------------------------------------------------------------------------
# build: restore (cached layer), then publish the host framework-dependent for linux-x64.
FROM ${DOTNET_SDK_IMAGE} AS build
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
WORKDIR /src
COPY --from=restore-inputs /src/ ./
RUN dotnet restore src/Serving.Host/Serving.Host.csproj --runtime linux-x64
# Sources: src/ plus the repository-wide analyzer settings (Directory.Build.props turns warnings
# into errors, so the build must see the same .editorconfig as a developer's).
COPY Directory.Build.props .editorconfi[g] ./
COPY src/ ./src/
RUN dotnet publish src/Serving.Host/Serving.Host.csproj \
        --configuration Release \
        --runtime linux-x64 \
        --self-contained false \
        --no-restore \
        --output /app/publish \
        -p:UseAppHost=false \
    && test -f /app/publish/Serving.Host.dll \
    && test -f /app/publish/libonnxruntime.so

# publish-cpu: the same output without the CUDA and TensorRT execution providers (about 285 MB
# of native code that needs CUDA libraries the CPU image does not have).
FROM build AS publish-cpu
RUN find /app/publish \( -name 'libonnxruntime_providers_cuda.so' -o -name 'libonnxruntime_providers_tensorrt.so' \) -delete

# The ASP.NET Core runtime, copied into the CUDA image.
FROM ${DOTNET_ASPNET_IMAGE} AS aspnet-runtime

# ---------------------------------------------------------------------------------------------
# cuda: NVIDIA CUDA 13 + cuDNN 9 runtime base with the ASP.NET Core 10 runtime copied in.
FROM ${CUDA_IMAGE} AS cuda
ARG SERVING_UID
ARG VERSION
# Build-time only (an ARG does not persist in the image): tzdata must not prompt.
ARG DEBIAN_FRONTEND=noninteractive
# Runtime dependencies of .NET on Ubuntu 24.04 that the CUDA base may lack (the aspnet image has
# them): TLS (libssl3t64, ca-certificates), time zones. ICU is not needed: the app runs with
# InvariantGlobalization.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3t64 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid "${SERVING_UID}" serving \
    && useradd --system --no-log-init --uid "${SERVING_UID}" --gid "${SERVING_UID}" --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin serving
COPY --from=aspnet-runtime /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && dotnet --list-runtimes
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_NOLOGO=1 \
    ASPNETCORE_ENVIRONMENT=Production \
    Serving__ModelRepositoryPath=/models \
    Serving__Devices__Gpu__Enabled=true \
    Serving__Devices__Gpu__DeviceIds__0=0 \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /app
COPY --from=build /app/publish/ ./
# Only the model folders (models/<name>/config.json + versions); .dockerignore leaves out
# models/export (training scripts) and models/README.md.
COPY models/ /models/
LABEL org.opencontainers.image.title="serving" \
      org.opencontainers.image.description="Serving ad-ranking inference server (CUDA 13 + cuDNN 9, ONNX Runtime CUDA EP)" \
      org.opencontainers.image.version="${VERSION}-cuda"
USER ${SERVING_UID}:${SERVING_UID}
EXPOSE 8080 8081 8082 8083
ENTRYPOINT ["dotnet", "Serving.Host.dll"]

# ---------------------------------------------------------------------------------------------
# cpu (default target): the ASP.NET Core 10 runtime image, ONNX Runtime's CPU provider only.
FROM ${DOTNET_ASPNET_IMAGE} AS cpu
ARG SERVING_UID
ARG VERSION
RUN groupadd --system --gid "${SERVING_UID}" serving \
    && useradd --system --no-log-init --uid "${SERVING_UID}" --gid "${SERVING_UID}" --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin serving
# ASPNETCORE_HTTP_PORTS (8080 in the base image) is cleared: Kestrel's endpoints come from the
# server's configuration (Kestrel:Endpoints:Http / Grpc), which would override it with a warning.
ENV ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_NOLOGO=1 \
    Serving__ModelRepositoryPath=/models \
    Serving__Devices__Gpu__Enabled=false
WORKDIR /app
COPY --from=publish-cpu /app/publish/ ./
COPY models/ /models/
LABEL org.opencontainers.image.title="serving" \
      org.opencontainers.image.description="Serving ad-ranking inference server (CPU, ONNX Runtime CPU EP)" \
      org.opencontainers.image.version="${VERSION}"
USER ${SERVING_UID}:${SERVING_UID}
EXPOSE 8080 8081 8082 8083
ENTRYPOINT ["dotnet", "Serving.Host.dll"]
