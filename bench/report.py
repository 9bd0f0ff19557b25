"""The result table: one row per scenario, frmr-sso beside node-oidc-provider and the ceiling.

Each cell gives requests/s, latency p50 / p90 / p99, the server's CPU use and, in bold, the
requests per CPU-second of the server process; each ratio gives raw req/s and, in bold, the
per-CPU-second ratio. ``write`` prints the report and keeps it in ``bench/results/latest.md``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from load import Result
from stack import BENCH, LOAD_CPU, SERVER_CPU


@dataclass
class Row:
    scenario: str
    frmr: Result | None
    node: Result | None = None
    ceiling: Result | None = None
    target: str = ""
    target_check: Callable[[Row], bool | None] | None = None
    vs_ceiling: bool = True


def fmt(result: Result | None) -> str:
    if result is None:
        return "—"
    err = f", **{result.errors} errors**" if result.errors else ""
    return (
        f"{result.rps:,.0f} req/s, {result.p50_ms:.1f} / {result.p90_ms:.1f} / {result.p99_ms:.1f} ms, "
        f"CPU {result.cpu * 100:.0f} % → **{result.per_cpu:,.0f}**{err}"
    )


def ratio(a: Result | None, b: Result | None) -> str:
    if a is None or b is None or b.rps == 0 or b.per_cpu == 0:
        return "—"
    return f"{a.rps / b.rps:.2f}× / **{a.per_cpu / b.per_cpu:.2f}×**"


def table(rows: list[Row], ceiling: Result) -> str:
    lines = [
        "Each cell: requests/s, latency p50 / p90 / p99, the server process's CPU use (100 % = one core) → "
        "**requests per CPU-second of the server process** (req/s ÷ CPU). Ratios: raw req/s / **per CPU-second**.",  # noqa: E501
        "",
        "| scenario | frmr-sso | node-oidc-provider | frmr / node | frmr / ceiling | target | met (per CPU-s) |",  # noqa: E501
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        verdict = (
            ""
            if row.target_check is None
            else {True: "yes", False: "**no**", None: "—"}[row.target_check(row)]
        )
        lines.append(
            f"| {row.scenario} | {fmt(row.frmr)} | {fmt(row.node)} | {ratio(row.frmr, row.node)} | "
            f"{ratio(row.frmr, ceiling) if row.vs_ceiling else '—'} | {row.target} | {verdict} |"
        )
    lines.append(f"| bare FastAPI `GET /ping` (ceiling) | {fmt(ceiling)} | — | — | 1.00× | — | |")
    return "\n".join(lines)


def at_least(threshold: float) -> Callable[[Row], bool | None]:
    """The target check "frmr-sso per CPU-second ≥ threshold × node per CPU-second"."""
    return lambda r: (
        None if r.frmr is None or r.node is None else r.frmr.per_cpu / r.node.per_cpu >= threshold
    )


def per_cpu_at_least(threshold: float) -> Callable[[Row], bool | None]:
    """The target check "frmr-sso answers ``threshold`` requests per CPU-second, every one of them"."""
    return lambda r: None if r.frmr is None else r.frmr.per_cpu >= threshold and r.frmr.errors == 0


def write(rows: list[Row], ceiling: Result, args: argparse.Namespace) -> None:
    header = (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.uname().nodename}, nproc={os.cpu_count()}, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; servers pinned to CPU {SERVER_CPU} "
        f"(one process each), wrk/PostgreSQL/Redis/mock ESIA/login driver on CPU {LOAD_CPU}."
    )
    load = os.getloadavg()
    header += (
        f" Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(above 2 means other processes shared the cores: read the per-CPU-second columns)."
    )
    text = header + "\n\n" + table(rows, ceiling) + "\n"
    notes = [f"- {r.scenario}: {r.frmr.note}" for r in rows if r.frmr and r.frmr.note]
    if notes:
        text += "\nNotes:\n" + "\n".join(notes) + "\n"
    print(text)
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "latest.md").write_text(text, encoding="utf-8")
