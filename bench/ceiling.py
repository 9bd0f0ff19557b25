"""The ceiling of the stack: a bare FastAPI app with one JSON endpoint, served like the broker
(uvicorn, one worker, uvloop + httptools, no access log, FastAPI's OpenTelemetry hook off where the
release has one, as in the broker). ``uvicorn --app-dir bench ceiling:app``."""

import inspect

from fastapi import FastAPI

NO_OTEL = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)
app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **NO_OTEL)  # type: ignore[arg-type]


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}
