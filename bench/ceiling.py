"""The ceiling of the stack: a bare FastAPI app with one JSON endpoint, served like the broker
(uvicorn, one worker, uvloop + httptools, no access log). ``uvicorn --app-dir bench ceiling:app``."""

from fastapi import FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}
