"""frmr-sso benchmark: starts every server, runs every scenario, prints one Markdown table.

Run it through ``bench/run.sh`` (which installs wrk and the node package first). Layout on
the 2-core reference machine, all on 127.0.0.1:

* core 0 (``taskset -c 0``): the server under test — frmr-sso (uvicorn, 1 worker),
  node-oidc-provider (1 node process) or the bare FastAPI ceiling (uvicorn, 1 worker);
* core 1 (``taskset -c 1``): wrk, PostgreSQL, Redis, the mock ESIA and the login driver.

All servers are started once and stay up; scenarios run one after another, so only one
server is under load at a time. For each run the CPU time the server process used is read
from /proc, so the table also says how busy the measured process was (100 % = one core).
"""

from __future__ import annotations

# The pieces, each a module of bench/ (the script's directory, hence the plain imports):
# stack (processes, PostgreSQL, Redis, ports), servers (what a run starts), tokens (clients and
# minted tokens), load (wrk, the login driver, CPU accounting), scenarios and api_scenarios (the
# rows), accounts (the login's accounts and FRMR records), report (the table).
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from accounts import seed_registry
from api_scenarios import registry_scenarios
from load import Result, login_steps, wrk
from report import Row, write
from scenarios import Context, Scenario, login_scenario, oidc_scenarios, prepare
from servers import Servers, start_servers
from stack import BENCH, ROOT, Stack, log


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (default 10)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server (default 2)")
    parser.add_argument("--login-concurrency", type=int, default=32, help="parallel logins (default 32)")
    parser.add_argument("--skip-login", action="store_true", help="leave out the brokered login scenario")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenario keys (cc,introspect,refresh,userinfo,discovery,jwks,registry,login)",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="comma-separated scenario keys to run once more under py-spy record (frmr-sso only); folded stacks go to bench/results/profile-<key>.folded",  # noqa: E501
    )
    parser.add_argument(
        "--login-steps",
        type=int,
        default=0,
        help="after the login row, N logins one after another: the broker's CPU per login by step",
    )
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    def wanted(key: str) -> bool:
        return not only or key in only

    tmp = Path(tempfile.mkdtemp(prefix="frmr-sso-bench."))
    stack = Stack(tmp)
    try:
        return run(stack, args, wanted)
    finally:
        log("stopping servers")
        stack.stop()
        if os.environ.get("BENCH_KEEP_TMP"):
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def warm_up(ctx: Context) -> None:
    s, args = ctx.servers, ctx.args
    log(f"warm-up {args.warmup} s per server")
    wrk(
        f"{s.broker}/token",
        "client_credentials.lua",
        {"BENCH_BASIC": ctx.svc},
        s.frmr_proc,
        args,
        args.warmup,
    )
    wrk(
        f"{s.node}/token",
        "client_credentials.lua",
        {"BENCH_BASIC": ctx.node_svc, "BENCH_BODY": "&scope=frmr"},
        s.node_proc,
        args,
        duration=args.warmup,
    )
    wrk(f"{s.ceiling}/ping", "get.lua", {}, s.ceiling_proc, args, duration=args.warmup)


def profile(servers: Servers, args: argparse.Namespace, tmp: Path, key: str, fn: Callable[[], Row]) -> None:
    """Runs ``fn`` once more while py-spy records frmr-sso; keeps bench/results/profile-<key>.folded."""
    py_spy = ROOT / ".venv" / "bin" / "py-spy"
    if not py_spy.exists():
        log("py-spy not installed in .venv; no profile")
        return
    out = tmp / f"profile-{key}"
    rec = subprocess.Popen(  # noqa: S603
        [
            str(py_spy),
            "record",
            "-p",
            str(servers.frmr_proc.pid),
            "-d",
            str(args.duration),
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            str(out) + ".txt",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    fn()
    rec.wait()
    dest = BENCH / "results"
    dest.mkdir(exist_ok=True)
    shutil.copy(str(out) + ".txt", dest / f"profile-{key}.folded")
    log(f"profile of {key}: bench/results/profile-{key}.folded")


def report_login_steps(ctx: Context, count: int) -> None:
    """The broker's ms of CPU per login by step, printed and kept in bench/results/login-steps.md."""
    s = ctx.servers
    log(f"{count} logins one after another, the broker's CPU by step")
    data = login_steps(s.broker, s.esia, s.frmr_proc, s.logins_file, count)
    per_step, writes = data["ms_per_login"], data["writes_per_login"]
    lines = ["| step | ms of broker CPU per login |", "|---|---:|"]
    lines += [f"| {step} | {ms:.2f} |" for step, ms in per_step.items()]
    lines.append(f"| **total** | **{sum(per_step.values()):.2f}** |")
    names = {"mock ESIA": s.esia, "PostgreSQL": s.database_url, "Redis": s.redis_url}
    ports = {"clients": "clients (the driver)"} | {str(urlsplit(u).port): n for n, u in names.items()}
    lines += ["", "| peer | writes (TCP data segments) the broker sent per login |", "|---|---:|"]
    lines += [f"| {ports.get(port, port)} | {n:.1f} |" for port, n in sorted(writes.items()) if n]
    text = "\n".join(lines) + "\n"
    print(text)
    dest = BENCH / "results"
    dest.mkdir(exist_ok=True)
    (dest / "login-steps.md").write_text(text, encoding="utf-8")


def run(stack: Stack, args: argparse.Namespace, wanted: Callable[[str], bool]) -> int:
    tmp = stack.tmp
    servers = start_servers(stack, args)
    ctx = prepare(servers, args, tmp)
    warm_up(ctx)
    rows: list[Row] = []

    def measure(scenario: Scenario) -> None:
        if not wanted(scenario.key):
            return
        log(f"scenario {scenario.label}")
        rows.append(scenario.run())
        if scenario.key in args.profile.split(","):
            if scenario.refill is not None:  # the measured run used every token once: profile rotations
                scenario.refill()
            shared = scenario.key == "registry"  # three rows: one profile each, named by the row
            slug = "".join(c if c.isalnum() else "-" for c in scenario.label)
            name = f"{scenario.key}-{slug}" if shared else scenario.key
            profile(servers, args, tmp, scenario.profile_name or name, scenario.run)

    for scenario in [*oidc_scenarios(ctx), *registry_scenarios(ctx)]:
        measure(scenario)
    if not args.skip_login and wanted("login"):
        seed_registry(servers.database_url, args.login_concurrency)
        measure(login_scenario(ctx))
        if args.login_steps:
            report_login_steps(ctx, args.login_steps)
    log("scenario ceiling")
    ceiling: Result = wrk(f"{servers.ceiling}/ping", "get.lua", {}, servers.ceiling_proc, args)
    write(rows, ceiling, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
