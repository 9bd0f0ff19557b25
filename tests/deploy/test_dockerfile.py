"""The Dockerfile and .dockerignore: a lean multi-stage, non-root image."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.deploy.support import DEPLOY, workloads_of


def _dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments), continuation lines joined."""
    text = (DEPLOY.parent / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(
        r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    )
    stages: list[list[tuple[str, str]]] = []
    for line in logical.splitlines():
        if not line.strip():
            continue
        instruction, _, arguments = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        if not stages and instruction.upper() == "ARG":
            continue  # global build arguments (the pinned base image) precede the first stage
        assert stages, "the Dockerfile starts with FROM (after global ARGs)"
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def test_dockerfile_is_multi_stage_with_a_lean_non_root_final_image() -> None:
    stages = _dockerfile_stages()
    assert len(stages) >= 2, "a build stage and a runtime stage"
    final = stages[-1]
    runs = " ".join(args for instruction, args in final if instruction == "RUN")
    for tool in ("build-essential", "gcc", "g++", "make ", "pip install", "pip wheel"):
        assert tool not in runs, f"the final image must not install {tool.strip()!r}"
    copies = [args for instruction, args in final if instruction == "COPY"]
    assert copies
    assert all(args.startswith("--from=") for args in copies), "only built artefacts are copied"
    users = [args for instruction, args in final if instruction == "USER"]
    assert users, "the final stage drops root"
    user = users[-1].split(":")[0]
    assert user not in ("0", "root")
    checks = [args for instruction, args in final if instruction == "HEALTHCHECK"]
    assert checks
    assert "/health/" in checks[-1]
    entrypoint = [args for instruction, args in final if instruction == "ENTRYPOINT"]
    assert entrypoint
    assert json.loads(entrypoint[-1]) == ["frmr-sso"]
    cmd = [args for instruction, args in final if instruction == "CMD"]
    assert cmd
    assert json.loads(cmd[-1]) == ["serve"]
    build = " ".join(args for instruction, args in stages[0] if instruction == "RUN")
    assert "build-essential" in build, "compilers live in the build stage only"


def test_dockerfile_image_user_matches_the_pod_security_context(
    k8s: list[tuple[str, dict[str, Any]]],
) -> None:
    user = [args for instruction, args in _dockerfile_stages()[-1] if instruction == "USER"][-1]
    uid = int(user.split(":")[0])
    for _, workload in workloads_of(k8s):
        assert workload["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == uid


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((DEPLOY.parent / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", "var", ".env", "tests"} <= ignored


def test_dockerfile_bases_are_pinned_by_digest_and_install_the_lock() -> None:
    text = (DEPLOY.parent / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, flags=re.MULTILINE)
    assert len(bases) == 1
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", bases[0])
    for stage in _dockerfile_stages():
        assert stage[0][0] == "FROM"
        assert stage[0][1].split()[0] == "${PYTHON_IMAGE}", "every stage starts from the pinned base"
    build = " ".join(args for instruction, args in _dockerfile_stages()[0] if instruction == "RUN")
    assert "--require-hashes --no-deps -r requirements/runtime.txt" in build
    assert "--no-build-isolation" in build
    for install in re.findall(r"pip install ([^&]+)", build):
        assert "--no-deps" in install or "--require-hashes" in install, install
