"""``Tracing``: one tracer provider per app, its exporter, and the instrumentation of the app's clients."""

from __future__ import annotations

import os

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from frmr_sso.storage.kv.redis import RedisKV
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.tracing.spans import RequestIdSpans, RequestSpans
from frmr_sso.tracing.sql import trace_statements
from frmr_sso.version import package_version


class Tracing:
    """Spans of one app go to ``exporter``: in batches from a background thread (``batch``), or one by
    one as each ends (tests). The provider is the app's own, never the process-wide one."""

    def __init__(self, exporter: SpanExporter, *, batch: bool = True) -> None:
        attributes = {SERVICE_VERSION: package_version()}
        if not os.environ.get("OTEL_SERVICE_NAME"):
            attributes[SERVICE_NAME] = "frmr-sso"
        self.provider = TracerProvider(resource=Resource.create(attributes))
        self.provider.add_span_processor(RequestIdSpans())
        export = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
        self.provider.add_span_processor(export)
        self.tracer = self.provider.get_tracer("frmr_sso", package_version())

    @classmethod
    def otlp(cls) -> Tracing:
        """OTLP over HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the exporter reads its own variables)."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return cls(OTLPSpanExporter())

    def trace_requests(self, app: Starlette) -> None:
        """A span per request; call between the edge middleware and the ones it wraps."""
        app.add_middleware(RequestSpans, tracer=self.tracer)

    def instrument(self, *, http: httpx.AsyncClient, engine: AsyncEngine, kv: KeyValueStore) -> None:
        """Spans for the upstream HTTP client, every SQL statement and every Redis command."""
        HTTPXClientInstrumentor.instrument_client(
            http, tracer_provider=self.provider, meter_provider=NoOpMeterProvider()
        )
        trace_statements(engine, self.tracer)
        if isinstance(kv, RedisKV):
            RedisInstrumentor.instrument_client(kv.client, tracer_provider=self.provider)

    def shutdown(self) -> None:
        """Export what is queued, then stop the exporter."""
        self.provider.shutdown()
