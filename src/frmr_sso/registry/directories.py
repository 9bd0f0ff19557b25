"""Small reference directories of the registry, loaded once from ``data/*.yaml`` and cached.

- posts: the FRMR post directory (the nomenclature of medical and pharmaceutical posts);
- specialities: education and medical specialities, by their education-standard code;
- education kinds: kinds of education, postgraduate training and qualification courses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
KIND_GROUPS = ("education", "postgraduate", "course")


@dataclass(frozen=True, slots=True)
class Directories:
    posts: Mapping[str, str]
    specialities: Mapping[str, str]
    kinds: Mapping[str, Mapping[str, str]]  # group -> code -> name

    def kind_name(self, group: str, code: str) -> str | None:
        return self.kinds.get(group, {}).get(code)


def _codes(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(code): str(name) for code, name in data.items()}


def load_directories(data: Path = DATA) -> Directories:
    kinds_file = yaml.safe_load((data / "education_kinds.yaml").read_text(encoding="utf-8")) or {}
    kinds = {
        group: {str(c): str(n) for c, n in (kinds_file.get(group) or {}).items()} for group in KIND_GROUPS
    }
    return Directories(
        posts=_codes(data / "posts.yaml"), specialities=_codes(data / "specialities.yaml"), kinds=kinds
    )


@cache
def directories() -> Directories:
    """The directories shipped with the package, read on first use."""
    return load_directories()
