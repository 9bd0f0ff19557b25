"""Registry import at scale: generate N FRMR persons with every section, import them, report persons/s.

    .venv/bin/python bench/registry_import.py --persons 1000000            # throw-away PostgreSQL
    .venv/bin/python bench/registry_import.py --persons 20000 --database-url sqlite+aiosqlite:///var/b.db

Without ``--database-url`` it starts PostgreSQL 15 in a temp dir on a free loopback
port (initdb as the ``postgres`` user, default durability settings: fsync on),
migrates it, writes the generated records as JSON Lines and runs the operator's
command ``frmr-sso registry import`` on the file twice: a first import into the
empty registry and a re-import of the same file (every person updated, their
section rows replaced). Each record has 1-3 employments, an identity document,
education, 0-1 postgraduate entries, 2-4 courses, a certificate, an accreditation
and 0-1 qualification category (about 11 section rows per person).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from frmr_sso.identity.snils import control_number
from frmr_sso.registry.checks import inn_with_control

ROOT = Path(__file__).resolve().parents[1]
FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))
POSTS = ("109", "118", "140", "260", "112", "106")
SPECIALITIES = ("31.08.49", "31.08.36", "31.08.67", "34.02.01", "31.08.19", "31.08.42")


def snils(n: int) -> str:
    body = f"{500_000_000 + n:09d}"
    return f"{body}{control_number(body):02d}"


def person(n: int) -> dict[str, Any]:
    speciality = SPECIALITIES[n % len(SPECIALITIES)]
    jobs = [
        {
            "organization_oid": f"1.2.643.5.1.13.13.12.2.77.{1000 + (n + k) % 5000}",
            "organization_name": f"ГБУЗ «Городская больница № {(n + k) % 5000}»",
            "organization_inn": inn_with_control(f"77{(n + k) % 10_000_000:07d}"),
            "oktmo": "45383000",
            "department": "Терапевтическое отделение",
            "post_id": POSTS[(n + k) % len(POSTS)],
            "position_type": 1 if k == 0 else 4,
            "rate": 1.0 if k == 0 else 0.25,
            "begin_date": f"{2005 + k}-09-01",
            "end_date": None if k < 2 else "2015-08-31",
        }
        for k in range(1 + n % 3)
    ]
    return {
        "frmr_id": f"B-{n:08d}",
        "snils": snils(n),
        "last_name": "Иванова",
        "first_name": "Мария",
        "middle_name": "Петровна",
        "gender": "MF"[n % 2],
        "birth_date": f"19{60 + n % 40}-03-14",
        "inn": inn_with_control(f"77{n:08d}"),
        "phone": f"+79{n:09d}",
        "email": f"p{n}@example.test",
        "documents": [
            {
                "kind": "RF_PASSPORT",
                "series": "4509",
                "number": f"{n % 1_000_000:06d}",
                "issue_date": "2005-04-02",
                "issued_by": "ОВД района",
                "issuer_code": "772-045",
            }
        ],
        "employments": jobs,
        "education": [
            {
                "kind": "higher",
                "institution": "Первый МГМУ им. И. М. Сеченова",
                "speciality_code": "31.05.01",
                "qualification": "Врач-лечебник",
                "diploma_number": f"{n:013d}",
                "diploma_date": "2004-06-27",
                "graduation_year": 2004,
            }
        ],
        "postgraduate": [
            {
                "kind": "residency",
                "institution": "Первый МГМУ им. И. М. Сеченова",
                "speciality_code": speciality,
                "begin_date": "2004-09-01",
                "end_date": "2006-08-31",
            }
        ]
        if n % 2 == 0
        else [],
        "courses": [
            {
                "kind": "advanced",
                "institution": "РМАНПО",
                "hours": 36,
                "theme": f"Актуальные вопросы {k}",
                "speciality_code": speciality,
                "document_number": f"7724{n:08d}{k}",
                "document_date": f"{2020 + k}-03-18",
                "begin_date": f"{2020 + k}-03-14",
                "end_date": f"{2020 + k}-03-18",
                "credits": 36,
            }
            for k in range(2 + n % 3)
        ],
        "certificates": [
            {
                "speciality_code": speciality,
                "number": f"1800{n:08d}",
                "issue_date": "2019-10-25",
                "end_date": "2024-10-25",
            }
        ],
        "accreditations": [
            {
                "kind": "periodic",
                "registry_number": f"7724 {n:09d}",
                "speciality_code": speciality,
                "pass_date": "2024-06-20",
                "end_date": "2029-06-20",
            }
        ],
        "categories": [{"category": "first", "speciality_code": speciality, "begin_date": "2021-12-15"}]
        if n % 2
        else [],
    }


def generate(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(json.dumps(person(n), ensure_ascii=False, separators=(",", ":")) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_postgres(argv: list[str], cwd: Path) -> None:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)  # noqa: S603


def start_postgres(tmp: Path) -> tuple[str, list[str], Path]:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        raise SystemExit("initdb/pg_ctl (PostgreSQL 15) not on PATH")
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    pgdata, port = tmp / "pgdata", free_port()
    as_postgres(
        [initdb, "-D", str(pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"], tmp
    )
    options = f"-p {port} -h 127.0.0.1 -k {tmp}"
    as_postgres([pg_ctl, "-D", str(pgdata), "-l", str(tmp / "pg.log"), "-w", "-o", options, "start"], tmp)
    stop = [pg_ctl, "-D", str(pgdata), "-m", "fast", "-w", "stop"]
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres", stop, pgdata


def cpu_of(pid: int) -> float:
    """CPU seconds of a process and of its children it has waited for (a postmaster's backends)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def run(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the command, and the first line it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([FRMR_SSO, *args], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        raise SystemExit(f"frmr-sso {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed, cpu, done.stdout.splitlines()[0] if done.stdout else ""


def _postmaster(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a throw-away PostgreSQL")
    parser.add_argument(
        "--data", type=Path, default=None, help="reuse (or keep) the generated JSON Lines file"
    )
    parser.add_argument("--no-reimport", action="store_true", help="measure the first import only")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the throw-away server on the way out
    with tempfile.TemporaryDirectory(prefix="frmr-registry-bench.") as name:
        tmp = Path(name)
        stop: list[str] | None = None
        pgdata: Path | None = None
        url = args.database_url
        if url is None:
            url, stop, pgdata = start_postgres(tmp)
        try:
            data = args.data or tmp / "persons.jsonl"
            if not data.exists():
                started = time.perf_counter()
                generate(data, args.persons)
                print(f"generated {args.persons} persons in {time.perf_counter() - started:.0f} s")
            print(f"data: {data.stat().st_size / 2**20:.0f} MiB, {os.cpu_count()} CPUs", flush=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
            env.update(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=url, FRMR_SSO_LOG_LEVEL="WARNING")
            run(env, "migrate")
            for label in ("first import", "re-import")[: 1 if args.no_reimport else 2]:
                server = cpu_of(_postmaster(pgdata)) if pgdata else 0.0
                command = ["registry", "import", str(data), "--batch-size", str(args.batch_size)]
                elapsed, cpu, summary = run(env, *command)
                time.sleep(1)  # the postmaster reaps the import's backend, adding its CPU time
                server = (cpu_of(_postmaster(pgdata)) if pgdata else 0.0) - server
                rate = args.persons / elapsed
                print(
                    f"{label}: {summary}; {elapsed:.0f} s wall, {rate:,.0f} persons/s;"
                    f" CPU: import {cpu:.0f} s, PostgreSQL {server:.0f} s",
                    flush=True,
                )
        finally:
            if stop is not None:
                as_postgres(stop, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
