"""Small reference directories of the registry, loaded once from ``data/*.yaml`` and cached.

- posts: the FRMR post directory (the nomenclature of medical and pharmaceutical posts);
- specialities: education and medical specialities, by their education-standard code;
- education kinds: kinds of education, postgraduate training and qualification courses;
- organisations: medical organisations by OID, with their name and OKTMO (``find_organizations``
  looks them up by a part of the name or of the OID).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
KIND_GROUPS = ("education", "postgraduate", "course")
FOUND_AT_MOST = 20


@dataclass(frozen=True, slots=True)
class Organization:
    oid: str
    name: str
    oktmo: str


@dataclass(frozen=True, slots=True)
class Directories:
    posts: Mapping[str, str]
    specialities: Mapping[str, str]
    kinds: Mapping[str, Mapping[str, str]]  # group -> code -> name
    organizations: Mapping[str, Organization] = field(default_factory=dict)

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
    organizations_file = yaml.safe_load((data / "organizations.yaml").read_text(encoding="utf-8")) or {}
    organizations = {
        str(oid): Organization(str(oid), str(entry["name"]), str(entry["oktmo"]))
        for oid, entry in organizations_file.items()
    }
    return Directories(
        posts=_codes(data / "posts.yaml"),
        specialities=_codes(data / "specialities.yaml"),
        kinds=kinds,
        organizations=organizations,
    )


def _folded(text: str) -> str:
    """Case and «ё» do not matter, nor quotes, numero signs and runs of spaces."""
    kept = "".join(c for c in text.casefold().replace("ё", "е") if c.isalnum() or c in " .")
    return " ".join(kept.split())


def find_organizations(
    query: str, organizations: Mapping[str, Organization], *, at_most: int = FOUND_AT_MOST
) -> list[Organization]:
    """Organisations whose name holds every word of ``query``, or whose OID holds it; by name.

    A word of letters may be a part of a word of the name («клинич»); a number is a whole one («№ 1» is
    not «№ 15»).
    """
    words = _folded(query).split()
    if not words:
        return []

    def named(org: Organization) -> bool:
        tokens = _folded(org.name).split()
        return all(w in tokens if w.isdigit() else any(w in t for t in tokens) for w in words)

    found = [org for org in organizations.values() if named(org) or query.strip() in org.oid]
    return sorted(found, key=lambda org: _folded(org.name))[:at_most]


@cache
def directories() -> Directories:
    """The directories shipped with the package, read on first use."""
    return load_directories()
