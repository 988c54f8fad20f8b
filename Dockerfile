# syntax=docker/dockerfile:1
# `dictate serve` as a container image.
#   GPU (default): docker build -t dictate:0.1.0-gpu .
#   CPU:           docker build --build-arg VARIANT=cpu -t dictate:0.1.0-cpu .
# Layers run from the least to the most often changed: OS + Python, torch, the other dependencies (resolved
# from pyproject.toml alone), then the package source. The builder's virtual environment is copied into a
# runtime stage without build tools.

ARG VARIANT=gpu

# ---- the operating system of each variant (both Ubuntu 22.04, so one Python build serves both)
# GPU: CUDA 12 + cuDNN 9, as CTranslate2 >= 4.5 (faster-whisper) requires.
FROM nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04 AS os-gpu
# torch's CUDA 12.1 build brings its own cuBLAS and cuDNN 9 wheels (nvidia-cublas-cu12, nvidia-cudnn-cu12);
# CTranslate2 dlopens libcublas.so.12 and cuDNN's sub-libraries (libcudnn_cnn.so.9...) by name, so it must
# find the same copies torch loaded: put them first on the library path.
ENV TORCH_INDEX_URL=https://download.pytorch.org/whl/cu121 \
    DICTATE_DEVICE=auto \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    LD_LIBRARY_PATH=/opt/venv/lib/python3.11/site-packages/nvidia/cudnn/lib:/opt/venv/lib/python3.11/site-packages/nvidia/cublas/lib:/usr/local/nvidia/lib:/usr/local/nvidia/lib64

# CPU: plain Ubuntu; the server loads the packaged Whisper base model in int8.
FROM ubuntu:22.04 AS os-cpu
ENV TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu \
    DICTATE_DEVICE=cpu

# ---- Python 3.11 (Ubuntu 22.04 ships 3.10; deadsnakes has 3.11)
# os-${VARIANT} names a stage above, not an image to tag (hadolint cannot resolve the ARG).
# hadolint ignore=DL3006
FROM os-${VARIANT} AS python
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates gpg-agent software-properties-common \
    && add-apt-repository -y ppa:deadsnakes/ppa \
    && apt-get install -y --no-install-recommends python3.11 python3.11-venv \
    && apt-get purge -y --auto-remove gpg-agent software-properties-common \
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# ---- builder: the virtual environment /opt/venv
FROM python AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG VARIANT
ARG TORCH_VERSION=2.5.1
ARG REALTIMESTT_VERSION=1.1.2
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python3.11 -m venv /opt/venv
# 1. torch first, from the variant's PyTorch index (2.5.1+cu121 or 2.5.1+cpu), so that nothing later pulls
#    another build; the constraints file keeps it (and its CUDA wheels) fixed through every later step.
#    GPU: cuBLAS and cuDNN 9 for CTranslate2 (torch's own pins satisfy these ranges: this asserts it).
#    Then RealtimeSTT without its declared PyAudio and torchaudio (never imported with use_microphone=False).
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}" \
    && pip freeze | grep -iE '^(torch|triton|nvidia-[a-z0-9-]+)==' > /opt/constraints.txt \
    && if [ "${VARIANT}" = gpu ]; then \
        pip install -c /opt/constraints.txt "nvidia-cublas-cu12==12.*" "nvidia-cudnn-cu12==9.*"; \
    fi \
    && pip install --no-deps "RealtimeSTT==${REALTIMESTT_VERSION}"
# 2. The dependencies of dictate-stt[server], from pyproject.toml and a stub package: cached until
#    pyproject.toml changes.
WORKDIR /build
COPY pyproject.toml ./
RUN mkdir -p src/dictate \
    && touch README.md src/dictate/__init__.py \
    && pip install -c /opt/constraints.txt ".[server]" \
    && pip uninstall -y dictate-stt
# 2b. The acoustic end-of-turn model (Smart Turn v3.2, 8.7 MB ONNX) into /opt/venv/share/dictate, taken out of
#     the pipecat-ai wheel without its dependencies, checksum checked (docs/tuning.md).
COPY scripts/fetch-turn-model.sh ./scripts/
RUN VENV=/opt/venv scripts/fetch-turn-model.sh
# 3. The package itself.
COPY README.md ./
COPY src ./src
RUN pip install --no-deps . \
    && python -c "import dictate.cli, torch, faster_whisper, RealtimeSTT"

# ---- runtime
FROM python AS runtime
ARG VARIANT
LABEL org.opencontainers.image.title="dictate" \
      org.opencontainers.image.description="Streaming speech-to-text WebSocket service (dictate serve)" \
      org.opencontainers.image.licenses="MIT" \
      io.dictate.variant="${VARIANT}"
RUN groupadd --gid 10001 dictate \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/dictate --shell /usr/sbin/nologin dictate \
    && install -d -o 10001 -g 10001 /models
COPY --from=builder /opt/venv /opt/venv
# HF_HOME: the Hugging Face cache (turbo is downloaded there once); mount a volume on /models to keep it.
# MALLOC_ARENA_MAX=2: glibc's heap in 2 arenas, not 8 per core: ~150 MiB lower peak and ~80 MiB lower after load
# at the same live latency (docs/benchmark.md, "Memory after load").
ENV PATH=/opt/venv/bin:$PATH \
    MALLOC_ARENA_MAX=2 \
    HF_HOME=/models \
    DICTATE_CACHE_DIR=/models/dictate \
    DICTATE_HOST=0.0.0.0 \
    DICTATE_PORT=8000
VOLUME ["/models"]
WORKDIR /home/dictate
USER 10001:10001
EXPOSE 8000
# /healthz answers as soon as the process serves (readiness, /readyz, waits for the model).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["dictate", "serve", "--host", "0.0.0.0", "--port", "8000"]
