"""Full brokered logins per second: N virtual browsers, each in a loop for a fixed time.

One login, exactly as a browser and a relying party do it, over real HTTP:

1. ``GET  broker/authorize`` (demo-web, code flow, state + nonce)   → 302 to mock ESIA ``/v2/ac``
2. ``GET  esia/aas/oauth2/v2/ac?…`` (signed by the broker, RS256)     → 302 ``/login?tx=…``
3. ``GET  esia/login?tx=…``                                         → the login form (tx, csrf)
4. ``POST esia/login`` login + password                              → 302 to ``broker/callback/esia``
   (an account with a second factor answers with the SMS form: the code is read from the mock's
   dev outbox and posted to ``/login/code``)
5. ``GET  broker/callback/esia?code=…&state=…``  — the broker redeems the ESIA code at the mock
   (token + userinfo calls, RS256 id_token check) → 302 to the client's redirect URI with a code
6. ``POST broker/token`` authorization_code                         → access, id and refresh tokens

A login counts only when step 6 answers 200 with an id_token. Prints one JSON line:
``{"logins": …, "rps": …, "p50_ms": …, "p90_ms": …, "p99_ms": …, "errors": …, "first_error": …}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from loopback import require_loopback  # bench/ is the script's directory

WEB_ID, WEB_SECRET, WEB_REDIRECT = "demo-web", "demo-web-secret", "http://127.0.0.1:9999/callback"
SCOPE = "openid profile snils frmr"
_HIDDEN = re.compile(r'<input type="hidden" name="(tx|csrf)" value="([^"]*)"')


class LoginFailed(Exception):
    pass


def expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        raise LoginFailed(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.text[:200]!r}"
        )
    return response


def hidden(page: str) -> dict[str, str]:
    return dict(_HIDDEN.findall(page))


def _unmarked(step: str) -> None:
    pass


async def one_login(
    browser: httpx.AsyncClient, broker: str, esia: str, login: str, password: str,
    mark: Callable[[str], None] = _unmarked,
) -> None:
    """One login; ``mark(step)`` is called as each of the broker's steps (and ESIA's part) begins."""
    browser.cookies.clear()
    mark("authorize")
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    to_esia = expect(
        await browser.get(
            f"{broker}/authorize",
            params={
                "client_id": WEB_ID,
                "response_type": "code",
                "scope": SCOPE,
                "redirect_uri": WEB_REDIRECT,
                "state": state,
                "nonce": nonce,
            },
        ),
        302,
    )
    mark("mock ESIA (login form, password, SMS)")
    to_login = expect(await browser.get(to_esia.headers["location"]), 302)
    page = expect(await browser.get(urljoin(esia, to_login.headers["location"])), 200)
    answer = expect(
        await browser.post(f"{esia}/login", data={**hidden(page.text), "login": login, "password": password}),
        200,
        302,
        303,
    )
    if answer.status_code == 200:  # the second factor: SMS code from the dev outbox
        outbox = expect(await browser.get(f"{esia}/_dev/outbox", params={"login": login}), 200).json()
        answer = expect(
            await browser.post(f"{esia}/login/code", data={**hidden(answer.text), "code": outbox[0]["code"]}),
            302,
            303,
        )
    mark("callback")
    back = expect(await browser.get(answer.headers["location"]), 302)
    location = back.headers["location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    if not location.startswith(WEB_REDIRECT) or params.get("state") != state or "code" not in params:
        raise LoginFailed(f"callback went to {location[:200]}")
    mark("token")
    tokens = expect(
        await browser.post(
            f"{broker}/token",
            auth=(WEB_ID, WEB_SECRET),
            data={"grant_type": "authorization_code", "code": params["code"], "redirect_uri": WEB_REDIRECT},
        ),
        200,
    ).json()
    mark("between logins (background tasks)")
    if "id_token" not in tokens:
        raise LoginFailed("no id_token")


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of ``pid`` in ns (``/proc/<pid>/task/*/schedstat``, first field)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total


_SS_PEER = re.compile(r"^ESTAB\s+\d+\s+\d+\s+\S+:(\d+)\s+\S+:(\d+)\s+users:.*pid=(\d+),")
_SS_SENT = re.compile(r"\bdata_segs_out:(\d+)")


def writes_by_peer(pid: int, own_port: int) -> dict[str, int]:
    """Data segments the broker sent per peer port (its open TCP connections, ``ss -tinp``): with
    small messages one segment is one write, so the difference over N logins counts round trips."""
    out = subprocess.run(["ss", "-tinpH"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    counts: dict[str, int] = {}
    peer = ""
    for line in out.splitlines():
        head = _SS_PEER.match(line)
        if head is not None:
            local, remote, owner = head.groups()
            peer = "" if int(owner) != pid else ("clients" if int(local) == own_port else remote)
            continue
        sent = _SS_SENT.search(line)
        if peer and sent is not None:
            counts[peer] = counts.get(peer, 0) + int(sent.group(1))
            peer = ""
    return counts


async def steps(browser: httpx.AsyncClient, args: argparse.Namespace, account: dict[str, str]) -> None:
    """``args.steps`` logins one after another; the broker's CPU per login by step, one JSON line."""
    spent: dict[str, int] = {}
    current = {"step": "", "at": cpu_ns(args.broker_pid)}

    def mark(step: str) -> None:
        now = cpu_ns(args.broker_pid)
        if current["step"]:
            spent[str(current["step"])] = spent.get(str(current["step"]), 0) + now - int(current["at"])
        current["step"], current["at"] = step, now

    own_port = urlsplit(args.broker).port or 80
    await one_login(browser, args.broker, args.esia, **account)  # every connection open before counting
    writes = writes_by_peer(args.broker_pid, own_port)
    for _ in range(args.steps):
        await one_login(browser, args.broker, args.esia, **account, mark=mark)
    await asyncio.sleep(0.2)  # the queued writes of the last login
    mark("")
    after = writes_by_peer(args.broker_pid, own_port)
    per_login = {step: ns / args.steps / 1e6 for step, ns in spent.items()}
    sent = {port: (n - writes.get(port, 0)) / args.steps for port, n in after.items()}
    print(json.dumps({"logins": args.steps, "ms_per_login": per_login, "writes_per_login": sent}))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    parser.add_argument("--esia", required=True)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--logins", required=True, help="JSON list of {login, password}, one per browser")
    parser.add_argument("--once", action="store_true", help="one login, errors shown in full")
    parser.add_argument("--steps", type=int, default=0, help="N logins in a row: the broker's CPU by step")
    parser.add_argument("--broker-pid", type=int, default=0, help="the broker's process (with --steps)")
    args = parser.parse_args()
    require_loopback(args.broker)
    require_loopback(args.esia)

    accounts = json.loads(Path(args.logins).read_text(encoding="utf-8"))  # noqa: ASYNC240 - before any load
    if len(accounts) < args.concurrency:
        raise SystemExit("fewer accounts than virtual browsers")
    limits = httpx.Limits(
        max_connections=args.concurrency * 2, max_keepalive_connections=args.concurrency * 2
    )
    async with httpx.AsyncClient(limits=limits, timeout=30, follow_redirects=False) as shared:
        if args.once:
            browser = httpx.AsyncClient(timeout=30, follow_redirects=False)
            await one_login(browser, args.broker, args.esia, **accounts[0])
            print(json.dumps({"ok": True}))
            return
        if args.steps:
            await steps(httpx.AsyncClient(timeout=30, follow_redirects=False), args, accounts[0])
            return
        latencies: list[float] = []
        errors: list[str] = []
        deadline = time.monotonic() + args.duration

        async def user(account: dict[str, str]) -> None:
            # One cookie jar per virtual browser; the connection pool is shared.
            browser = httpx.AsyncClient(timeout=30, follow_redirects=False, transport=shared._transport)
            while time.monotonic() < deadline:
                t0 = time.monotonic()
                try:
                    await one_login(browser, args.broker, args.esia, **account)
                    latencies.append(time.monotonic() - t0)
                except (LoginFailed, httpx.HTTPError, KeyError, ValueError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

        started = time.monotonic()
        await asyncio.gather(*(user(accounts[i]) for i in range(args.concurrency)))
        wall = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    print(
        json.dumps(
            {
                "logins": len(latencies),
                "rps": len(latencies) / wall,
                "p50_ms": pct(0.5),
                "p90_ms": pct(0.9),
                "p99_ms": pct(0.99),
                "errors": len(errors),
                "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
                "first_error": errors[0] if errors else "",
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
