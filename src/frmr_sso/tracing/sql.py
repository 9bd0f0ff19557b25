"""A span per SQL statement, from SQLAlchemy's cursor events on one engine.

Hand-written rather than the SQLAlchemy instrumentation package: that package's public entry point
patches ``create_engine`` for the whole process and instruments once per process (the broker builds
an engine per app, and tests build many apps), and on a failed statement it puts the driver's
message, which can quote row values, into the span. Here the span holds the statement text (values
are bound parameters, never inlined), its first keyword, the database system and, on failure, the
exception's class alone.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind, StatusCode, Tracer
from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

_SPAN = "_frmr_sso_span"


def trace_statements(engine: AsyncEngine, tracer: Tracer) -> None:
    sync_engine = engine.sync_engine
    system = sync_engine.dialect.name

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if context is None:
            return
        words = statement.split(None, 1)
        operation = words[0].upper() if words else system
        setattr(context, _SPAN, tracer.start_span(
            operation, kind=SpanKind.CLIENT,
            attributes={"db.system": system, "db.operation": operation, "db.statement": statement},
        ))

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _end(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        span = getattr(context, _SPAN, None)
        if span is not None:
            span.end()

    @event.listens_for(sync_engine, "handle_error")
    def _fail(exception_context: ExceptionContext) -> None:
        span = getattr(exception_context.execution_context, _SPAN, None)
        if span is not None:
            span.set_attribute("error.type", type(exception_context.original_exception).__name__)
            span.set_status(StatusCode.ERROR)
            span.end()
