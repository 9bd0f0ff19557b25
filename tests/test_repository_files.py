"""Checks on repository files that CI and the image depend on (Dockerfile, .ci/run, README)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPILERS = re.compile(r"\b(build-essential|gcc(-\d+)?|g\+\+(-\d+)?|clang|cc|make)\b")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[list[Instruction]]:
    """Split a Dockerfile into stages (lists of instructions), joining continuation lines."""
    instructions: list[Instruction] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction are dropped by Docker
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        if not full:
            continue
        keyword, _, args = full.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    assert not pending, "Dockerfile ends inside a continued line"

    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


@pytest.fixture(scope="module")
def stages() -> list[list[Instruction]]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text(encoding="utf-8"))


def _final(stages: list[list[Instruction]], keyword: str) -> list[Instruction]:
    return [i for i in stages[-1] if i.keyword == keyword]


def test_dockerfile_is_multi_stage(stages: list[list[Instruction]]) -> None:
    assert len(stages) >= 2
    assert all(stage[0].args for stage in stages), "every FROM names an image"
    copies = " ".join(i.args for i in _final(stages, "COPY"))
    assert "--from=" in copies, "the final stage copies the build result from an earlier stage"


def test_final_stage_runs_as_non_root(stages: list[list[Instruction]]) -> None:
    users = _final(stages, "USER")
    assert users, "the final stage sets USER"
    user = users[-1].args.split(":", 1)[0].strip()
    assert user not in {"", "root", "0"}


def test_final_stage_has_healthcheck(stages: list[list[Instruction]]) -> None:
    checks = _final(stages, "HEALTHCHECK")
    assert checks
    assert checks[-1].args.upper() != "NONE"
    assert "/health/live" in checks[-1].args


def test_final_stage_installs_no_compilers(stages: list[list[Instruction]]) -> None:
    for run in _final(stages, "RUN"):
        for command in re.split(r"&&|;|\|\|", run.args):
            if re.search(r"\bapt(-get)?\s+(\S+\s+)*install\b", command):
                assert not COMPILERS.search(command.split("install", 1)[1]), (
                    f"Dockerfile line {run.line} installs a compiler in the final stage: {command.strip()}"
                )


def test_dockerfile_test_parser_sees_compilers() -> None:
    stages = parse_dockerfile(
        "FROM a AS b\nRUN apt-get install -y gcc\nFROM c\n"
        "RUN apt-get update \\\n    && apt-get install -y --no-install-recommends build-essential\n"
    )
    assert len(stages) == 2
    (run,) = _final(stages, "RUN")
    assert run.line == 4
    assert "build-essential" in run.args
    with pytest.raises(AssertionError):
        test_final_stage_installs_no_compilers(stages)


def test_ci_entry_point_runs_make_test() -> None:
    ci = ROOT / ".ci" / "run"
    text = ci.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    commands = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert any(re.fullmatch(r"(exec\s+)?make\s+test\b.*", c) for c in commands)
    assert os.access(ci, os.X_OK), ".ci/run is executable"


def test_readme_documents_make_targets() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme
    assert "make test" in readme


def test_the_project_cites_only_its_own_documents() -> None:
    """Comments and documents name files of this repository, never notes kept outside it."""
    outside = re.compile(r"\b(DESIGN|ESIA|STYLE)\.md\b")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
    ).stdout.split()
    citing = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".yaml", ".yml", ".toml", ".html", ".txt", ".sh", ".cfg"}:
            continue
        if name == "tests/test_repository_files.py" or not path.is_file():
            continue
        if outside.search(path.read_text(encoding="utf-8", errors="replace")):
            citing.append(name)
    assert citing == []


def test_the_documents_the_readme_points_to_exist() -> None:
    for doc in ("docs/architecture.md", "docs/esia.md", "docs/operations.md", "CHANGELOG.md"):
        assert (ROOT / doc).is_file(), doc
