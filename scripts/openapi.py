"""Write the broker's OpenAPI document to ``openapi.yaml`` (or check it with ``--check``).

    .venv/bin/python scripts/openapi.py            # regenerate openapi.yaml
    .venv/bin/python scripts/openapi.py --check    # exit 1 when openapi.yaml is stale

The document comes from ``create_app`` alone (no lifespan, no stores), under
fixed demo settings, so the output depends only on the code. Operation ids are
rewritten as ``<method>_<path>``: FastAPI gives both methods of one
``api_route`` the same id, picked from a set (so it even changes between runs).
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "openapi.yaml"


def openapi_document() -> dict[str, Any]:
    from frmr_sso.app import create_app
    from frmr_sso.config import load_settings
    from frmr_sso.web.api_docs import document_bearer_refusals
    from frmr_sso.web.browser_docs import document_browser_endpoints

    settings = load_settings(mode="demo", issuer="http://127.0.0.1:8000")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Duplicate Operation ID", category=UserWarning)
        app = create_app(settings)
        document = document_bearer_refusals(document_browser_endpoints(app, app.openapi()))
    return normalized(document)


def normalized(document: dict[str, Any]) -> dict[str, Any]:
    """Methods of a path in a fixed order, each with a unique, stable operationId; no shared nodes
    (which YAML would print as anchors)."""
    document = json.loads(json.dumps(document))
    for path, item in document.get("paths", {}).items():
        slug = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
        ordered = {method: item[method] for method in sorted(item)}
        for method, operation in ordered.items():
            operation["operationId"] = f"{method}_{slug}"
        document["paths"][path] = ordered
    return document


def render(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)


def main(argv: list[str]) -> int:
    text = render(openapi_document())
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.name} is stale: run scripts/openapi.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
