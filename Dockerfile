# syntax=docker/dockerfile:1
# frmr-sso production image: `docker build -t frmr-sso .`
# Configuration comes from FRMR_SSO_* environment variables (see README).

# Both stages start from the same base, pinned by digest (the multi-arch index of python:3.11-slim-bookworm
# at the time of pinning); refresh it on purpose with `docker buildx imagetools inspect python:3.11-slim-bookworm`.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:b18992999dbe963a45a8a4da40ac2b1975be1a776d939d098c647482bcad5cba

# --- builder: compilers allowed here, nothing of this stage ships except /opt/venv ---
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY pyproject.toml README.md ./
COPY requirements/runtime.txt ./requirements/
COPY src ./src
COPY mock_esia ./mock_esia
COPY migrations ./migrations
# Exactly the lock (every package with its hash), then the project's own wheel without dependencies, built
# by the locked hatchling (no build isolation).
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements/runtime.txt \
    && /opt/venv/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /build/wheels . \
    && /opt/venv/bin/pip install --no-deps /build/wheels/*.whl \
    && /opt/venv/bin/pip check

# --- runtime: same base, the venv only, no compilers, non-root ---
FROM ${PYTHON_IMAGE}
# FRMR_SSO_HOST: listen on all interfaces inside the container (the settings default is loopback).
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    FRMR_SSO_HOST=0.0.0.0 \
    FRMR_SSO_PORT=8000
RUN groupadd --gid 10001 frmr \
    && useradd --uid 10001 --gid 10001 --home-dir /app --create-home --shell /usr/sbin/nologin frmr
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["frmr-sso"]
CMD ["serve"]
