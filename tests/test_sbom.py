"""``make sbom``: a CycloneDX JSON document listing every package of the runtime lock with its version."""

from __future__ import annotations

import json
import re
import subprocess
from importlib.metadata import version
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.M)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_make_sbom_lists_every_locked_runtime_package(tmp_path: Path) -> None:
    out = tmp_path / "sbom.json"
    # -o: the venv the suite runs in is taken as installed; make must not reinstall it mid-run
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "sbom", f"SBOM={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = out.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["bomFormat"] == "CycloneDX"
    spec = SchemaVersion.from_version(document["specVersion"])
    assert JsonStrictValidator(spec).validate_str(text) is None  # no validation error
    root = document["metadata"]["component"]
    assert (root["name"], root["version"]) == ("frmr-sso", version("frmr-sso"))

    locked = {_canonical(n): v for n, v in PIN.findall((ROOT / "requirements/runtime.txt").read_text())}
    listed = {_canonical(c["name"]): c["version"] for c in document["components"]}
    assert len(locked) > 50
    assert listed == locked
    for component in document["components"]:
        assert component["purl"] == f"pkg:pypi/{_canonical(component['name'])}@{component['version']}"
