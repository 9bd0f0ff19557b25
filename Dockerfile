# syntax=docker/dockerfile:1
# frmr-sso production image: `docker build -t frmr-sso .`
# Configuration comes from FRMR_SSO_* environment variables (see README).

# --- builder: compilers allowed here, nothing of this stage ships except /opt/venv ---
FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
COPY mock_esia ./mock_esia
COPY migrations ./migrations
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip wheel --no-deps --wheel-dir /build/wheels . \
    && /opt/venv/bin/pip install /build/wheels/*.whl

# --- runtime: same base, the venv only, no compilers, non-root ---
FROM python:3.11-slim
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
