"""OpenTelemetry tracing, off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

The app factory builds one ``Tracing`` (``provider.py``) when the variable is set and hands it to the
composition root; nothing here is imported, and nothing is instrumented, when it is not. Spans:

* one per HTTP request (``spans.py``), named by method and route template, inside the edge
  middleware, so the request id is known when it starts;
* one per upstream call of the shared ``httpx`` client (ESIA, OIDC upstreams, back-channel
  logout), by the maintained httpx instrumentation;
* one per SQL statement (``sql.py``: SQLAlchemy cursor events);
* one per Redis command, by the maintained Redis instrumentation (arguments replaced by ``?``).

Every span started while a request is served carries its id as ``frmr_sso.request_id``. No span
holds a query string, a request or response body, a header, a bound SQL parameter, a Redis key or
value, or an exception message: only method, route, status, statement text with placeholders,
command names and error types.
"""
