"""Summarise a py-spy ``--format raw`` profile (bench/results/profile-<key>.folded): the top frames by
self time and the frmr-sso frames (and a few library hot spots) by inclusive time, main thread only
(stacks of idle thread-pool workers are dropped). ``python bench/profile_top.py FILE...``;
``--by library`` or ``--by step`` (the brokered login) shares instead: see ``by_library``."""

from __future__ import annotations

import collections
import re
import sys

_PREFIX = re.compile(
    r"/work/main/\.venv/lib/python3\.\d+/site-packages/|/\S*?/site-packages/|/\S*?/src/"
    r"|/\S*?/lib/python3\.\d+/"
)
_WATCH = (
    "frmr_sso",
    "mock_esia",
    "run_in_threadpool",
    "asyncpg/connection",
    "cryptography",
    "jwt/",
    "token_bytes",
    "httpx/_client",
)


def short(frame: str) -> str:
    return _PREFIX.sub("", frame)


def summarise(path: str, limit: int = 10, floor: float = 2.0) -> None:
    self_time: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            stack, _, count = line.rstrip().rpartition(" ")
            frames = stack.split(";")
            if frames[0].startswith(("Thread._bootstrap", "_bootstrap")):
                continue  # a worker thread of the pool, mostly idle in Queue.get
            n = int(count)
            total += n
            self_time[short(frames[-1])] += n
            for frame in {short(re.sub(r":\d+\)", ")", f)) for f in frames}:
                inclusive[frame] += n
    print(f"== {path}: {total} main-thread samples")
    print("self:")
    for frame, n in self_time.most_common(limit):
        print(f"  {100 * n / total:5.1f}%  {frame}")
    print("inclusive (frmr-sso and watched library frames):")
    for frame, n in inclusive.most_common():
        if 100 * n / total < floor:
            break
        if any(w in frame for w in _WATCH):
            print(f"  {100 * n / total:5.1f}%  {frame}")


# Signature work, counted inclusively wherever it is called from (RSA in C shows as these frames).
_SIGNATURES = ("sign_compact", "RsaSecretSigner.sign", "verify_jws", "signature_valid", "public_key (")
# Library of a frame's file; standard-library frames (asyncio, contextlib, ...) count for their caller.
_LIBRARIES = (
    ("sqlalchemy/", "SQL (SQLAlchemy, asyncpg)"),
    ("asyncpg/", "SQL (SQLAlchemy, asyncpg)"),
    ("httpx/", "upstream HTTP client (httpx, httpcore, h11, anyio)"),
    ("httpcore/", "upstream HTTP client (httpx, httpcore, h11, anyio)"),
    ("h11/", "upstream HTTP client (httpx, httpcore, h11, anyio)"),
    ("anyio/", "upstream HTTP client (httpx, httpcore, h11, anyio)"),
    ("redis/", "Redis (redis-py)"),
    ("fastapi/", "FastAPI, Starlette"),
    ("starlette/", "FastAPI, Starlette"),
    ("uvicorn/", "uvicorn"),
    ("jwt/", "PyJWT (JWK parsing)"),
    ("frmr_sso/web/", "the broker's web layer"),
    ("frmr_sso/storage/", "the broker's storage adapters"),
    ("frmr_sso/", "the broker's own code (login, OAuth, audit, ...)"),
    ("json/", "JSON"),
)
# Steps of the brokered login, most specific first: a sample counts for the first frame it holds.
_STEPS = (
    ("EsiaConnector._token_request", "callback: ESIA token request"),
    ("EsiaConnector._person", "callback: ESIA person data"),
    ("EsiaConnector._identity", "callback: ESIA tokens checked"),
    ("find_person", "callback: FRMR mapping"),
    ("SqlSubjectRepository.for_login", "callback: subject get-or-create"),
    ("SqlSubjectRepository.touch_login", "callback: subject's last login"),
    ("SecondFactorGate.required", "callback: second-factor check"),
    ("SessionStore.create", "callback: session"),
    ("LoginService._deliver", "callback: consent and code"),
    ("LoginService.complete", "callback: login record"),
    ("LoginTransactions.consume", "callback: login transaction"),
    ("callback (", "callback: the rest"),
    ("authorize (", "/authorize"),
    ("token (", "/token"),
    ("BatchingAuditWriter", "the audit writer (batches)"),
    ("_WriteBatches", "Redis write batches"),
    ("EdgeMiddleware", "web layer outside the routes"),
    ("Runner.run", "elsewhere under the event loop"),
)
_LOOP = "event loop (uvloop in C: sockets, callbacks)"


def _library(frames: list[str]) -> str:
    if any(s in f for f in frames for s in _SIGNATURES):
        return "signatures (RSA sign and verify, key parsing)"
    if frames[-1].startswith("Runner.run"):
        return _LOOP
    for frame in reversed(frames):
        for marker, name in _LIBRARIES:
            if marker in frame and (marker != "json/" or "frmr_sso" not in frame):
                return name
    return "other"


def _step(frames: list[str]) -> str:
    if frames[-1].startswith("Runner.run"):
        return _LOOP
    for marker, name in _STEPS:
        if any(f.startswith(marker) or f" {marker}" in f for f in frames):
            return name
    return "other (SQLAlchemy's greenlet stacks, C code)"


def shares(path: str, by: str) -> None:
    """Share of main-thread samples per library (innermost non-stdlib frame) or per login step."""
    counts: collections.Counter[str] = collections.Counter()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            stack, _, count = line.rstrip().rpartition(" ")
            frames = [short(f) for f in stack.split(";")]
            if frames[0].startswith(("Thread._bootstrap", "_bootstrap")):
                continue
            counts[(_library if by == "library" else _step)(frames)] += int(count)
    # Samples in the event loop's C code alone mix uvloop's own work with waiting (py-spy --nonblocking
    # cannot tell them apart there): counted, then left out of the shares.
    loop = counts.pop(_LOOP, 0)
    total = sum(counts.values())
    print(f"== {path}: {total} samples with a Python frame, by {by} ({loop} in the loop's C code left out)")
    for name, n in counts.most_common():
        print(f"  {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    argv = sys.argv[1:]
    by = ""
    if argv[:1] == ["--by"]:
        by, argv = argv[1], argv[2:]
    for name in argv:
        shares(name, by) if by else summarise(name)
