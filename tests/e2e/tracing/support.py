"""The broker's spans, kept in memory by the SDK's exporter; helpers to find and to flatten them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from frmr_sso.tracing.provider import Tracing
from frmr_sso.tracing.spans import REQUEST_ID


class Spans:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracing = Tracing(self.exporter, batch=False)  # each span exported as it ends

    def all(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def of_request(self, request_id: str) -> list[ReadableSpan]:
        return [s for s in self.all() if (s.attributes or {}).get(REQUEST_ID) == request_id]

    def wait_for_request(self, request_id: str, timeout: float = 10.0) -> list[ReadableSpan]:
        """The spans of a request once its server span has ended (it ends just after the answer)."""
        wait(lambda: any(s.kind is SpanKind.SERVER for s in self.of_request(request_id)), timeout)
        return self.of_request(request_id)


def wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the spans did not arrive in time")
        time.sleep(0.02)


def flattened(span: ReadableSpan) -> str:
    """Everything a span carries to a collector, as one JSON line: name, attributes, status, events,
    links and the resource."""
    return json.dumps(
        {
            "name": span.name,
            "attributes": dict(span.attributes or {}),
            "status": span.status.description,
            "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in span.events],
            "links": [dict(link.attributes or {}) for link in span.links],
            "resource": dict(span.resource.attributes),
        },
        ensure_ascii=False,
        default=str,
    )
