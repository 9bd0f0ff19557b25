"""GOST R 34.10-2012 per path: the pure-Python ``gostcrypto`` against OpenSSL's GOST engine, and the
ESIA side of a GOST login with each.

``.venv/bin/python bench/gost.py [-n 20] [--logins 10]`` prints two Markdown tables:

1. milliseconds per operation (median of ``-n``; the paths take turns, so a load change on a shared
   machine hits them alike): signing a ``client_secret`` in process (``GostSecretSigner``) and by
   the ``command`` signer (``openssl dgst -engine gost``), verifying a GOST JWS in process
   (``jose.signature_valid``) and through the engine (``OpenSslGost``, one ``openssl`` per check);
2. the connector's share of a brokered login in GOST mode: ``EsiaConnector`` against the mock ESIA
   (``apps:mock_esia_gost``, its own process) signs ``/v2/ac``, the mock's ``/_dev/codes`` finishes the
   login, then ``complete`` signs ``/v3/te``, verifies the two GOST tokens and reads the person. Wall
   milliseconds per login and the broker's CPU milliseconds (its process and the ``openssl`` children),
   "before" (gostcrypto signs and verifies) and "after" (the engine verifies; signed by gostcrypto or
   by the command).

It ends with the load average: the ratios, measured in one run, are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support for the engine's key file

from frmr_sso.jose.gost import gost_curve, gost_sign_digest, streebog256
from frmr_sso.jose.gost_openssl import OpenSslGost
from frmr_sso.jose.jws import GOST256, GostPublicKey, signature_valid
from frmr_sso.upstream.base import new_code_verifier, new_nonce, new_state
from frmr_sso.upstream.command_signer import CommandSecretSigner
from frmr_sso.upstream.esia import EsiaConnector
from frmr_sso.upstream.esia_protocol import EsiaOptions
from frmr_sso.upstream.esia_signer import ClientSecretSigner, GostSecretSigner
from tests.support.gost_keys import openssl_sign_argv, write_engine_key

REDIRECT = "http://127.0.0.1:9/callback"
BENCH = Path(__file__).resolve().parent
MESSAGE = b"FRMR01openid fullname snils2026.12.07 13:00:00 +0300" + b"0" * 36 + REDIRECT.encode()


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def operations(rounds: int, key: GostSecretSigner, command: CommandSecretSigner) -> list[tuple[str, float]]:
    engine = OpenSslGost()
    point, curve = bytes.fromhex(key.public_key_hex()), gost_curve(key.curve)
    data = b"eyJhbGciOiJHT1NUMzQxMF8yMDEyXzI1NiJ9." + b"x" * 600
    signature = gost_sign_digest(bytes.fromhex(key.private_key_hex()), streebog256(data), curve)
    public = GostPublicKey(point, curve)
    work: dict[str, Callable[[], Any]] = {
        "sign client_secret, gostcrypto in process": lambda: key.sign(MESSAGE),
        "sign client_secret, command: openssl dgst -engine gost": lambda: command.sign(MESSAGE),
        "verify a GOST JWS, gostcrypto in process": lambda: signature_valid(public, GOST256, data, signature),
        "verify a GOST JWS, OpenSSL engine (openssl dgst -verify)": lambda: engine.verify_sync(
            point, key.curve, data, signature
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(rounds):
        for name, run in work.items():
            started = time.perf_counter()
            assert run() not in (False, None)
            times[name].append((time.perf_counter() - started) * 1000)
    return [(name, statistics.median(values)) for name, values in times.items()]


async def logins(
    count: int, base: str, signer: ClientSecretSigner, engine: OpenSslGost | None
) -> tuple[float, float]:
    """(wall ms, broker CPU ms) per login, medians."""
    options = EsiaOptions(
        base_url=base, issuer="http://127.0.0.1:8001/", client_id="BENCHGOST", certificate_hash="A" * 64,
        algorithms=(GOST256,), jwks_min_refetch=0.0,
    )
    walls, cpus = [], []
    async with httpx.AsyncClient(timeout=60) as http, httpx.AsyncClient(timeout=60) as browser:
        connector = EsiaConnector(options, signer=signer, http=http, gost_engine=engine)
        for index in range(count + 1):  # the first one warms the JWKS cache up and is not counted
            state, nonce, verifier = new_state(), new_nonce(), new_code_verifier()
            wall, cpu, mock_wait = time.perf_counter(), _cpu(), 0.0
            url = await connector.authorization_url(
                state=state, nonce=nonce, code_verifier=verifier, redirect_uri=REDIRECT
            )
            started = time.perf_counter()
            to_login = await browser.get(url)
            tx = to_login.headers["location"].split("tx=", 1)[1]
            minted = await browser.post(f"{base}/_dev/codes", json={"tx": tx, "oid": 1000299654})
            mock_wait += time.perf_counter() - started
            params = dict(httpx.URL(minted.json()["location"]).params)
            await connector.complete(
                params=params, expected_state=state, nonce=nonce, code_verifier=verifier,
                redirect_uri=REDIRECT,
            )
            if index:
                walls.append((time.perf_counter() - wall - mock_wait) * 1000)
                cpus.append((_cpu() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def _mock(key: GostSecretSigner, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"BENCH_GOST_PUBLIC": key.public_key_hex(), "BENCH_REDIRECT": REDIRECT}
    argv = [sys.executable, "-m", "uvicorn", "apps:mock_esia_gost", "--factory", "--app-dir", str(BENCH),
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(argv, env=env)  # noqa: S603 - our own interpreter and module
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/aas/oauth2/jwks", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the mock ESIA did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="rounds of each operation")
    parser.add_argument("--logins", type=int, default=10, help="logins per configuration")
    parser.add_argument("--port", type=int, default=18431)
    args = parser.parse_args()
    engine = OpenSslGost()
    if (problem := engine.probe()) is not None:
        raise SystemExit(problem)
    key = GostSecretSigner.generate()
    with tempfile.TemporaryDirectory() as tmp:
        command = CommandSecretSigner(openssl_sign_argv(write_engine_key(key, Path(tmp))))
        rows = operations(args.n, key, command)
        print("| operation | ms (median) |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value:.1f} |")
        mock = _mock(key, args.port)
        try:
            base = f"http://127.0.0.1:{args.port}"
            configs: list[tuple[str, ClientSecretSigner, OpenSslGost | None]] = [
                ("before: gostcrypto signs and verifies", key, None),
                ("after: gostcrypto signs, the engine verifies", key, engine),
                ("after: the command signs, the engine verifies", command, engine),
            ]
            print("\n| GOST login, the connector's part | wall ms | broker CPU ms |\n|---|---|---|")
            results = {}
            for name, signer, chosen in configs:
                results[name] = asyncio.run(logins(args.logins, base, signer, chosen))
                print(f"| {name} | {results[name][0]:.0f} | {results[name][1]:.0f} |")
        finally:
            mock.terminate()
            mock.wait()
    print(f"\nload average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}, nproc={os.cpu_count()}")


if __name__ == "__main__":
    main()
