"""The dependency lock (requirements/*.txt): exact pins with hashes that satisfy pyproject.toml's ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("runtime.txt", "dev.txt")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+) \\$")


def pins(name: str) -> dict[str, Version]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    found: dict[str, Version] = {}
    for entry in re.split(r"\n(?=\S)", text):
        first = entry.splitlines()[0]
        if first.startswith("#") or not first.strip():
            continue
        match = PIN.match(first)
        assert match, f"{name}: not an exact pin: {first!r}"
        assert "--hash=sha256:" in entry, f"{name}: {first} has no hash"
        found[canonicalize_name(match.group(1))] = Version(match.group(3))
    return found


def declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(spec) for spec in names]


@pytest.mark.parametrize("name", LOCKS)
def test_lock_names_no_index_host_or_local_path(name: str) -> None:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    options = ("--index-url", "--extra-index-url", "--find-links", "file:", "http://", "https://", "/opt/")
    for option in options:
        assert option not in text, f"{name} mentions {option}"


@pytest.mark.parametrize(("name", "extra"), [("runtime.txt", None), ("dev.txt", "dev")])
def test_every_declared_dependency_is_pinned_within_its_range(name: str, extra: str | None) -> None:
    locked = pins(name)
    for requirement in declared(extra):
        key = canonicalize_name(requirement.name)
        assert key in locked, f"{requirement.name} is declared but not in requirements/{name}"
        assert requirement.specifier.contains(locked[key], prereleases=True), (
            f"requirements/{name} pins {requirement.name}=={locked[key]} outside {requirement.specifier}"
        )


def test_runtime_lock_agrees_with_the_dev_lock() -> None:
    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    assert runtime.keys() <= dev.keys()
    assert {name: dev[name] for name in runtime} == runtime, "one version of each package in both locks"


def test_the_build_backend_is_locked() -> None:
    backend = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    for name in ("runtime.txt", "dev.txt"):
        locked = pins(name)
        for spec in backend:
            requirement = Requirement(spec)
            assert requirement.specifier.contains(locked[canonicalize_name(requirement.name)])
