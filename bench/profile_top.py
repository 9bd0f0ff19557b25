"""Summarise a py-spy ``--format raw`` profile (bench/results/profile-<key>.folded): the top frames by
self time and the frmr-sso frames (and a few library hot spots) by inclusive time, main thread only
(stacks of idle thread-pool workers are dropped). ``python bench/profile_top.py FILE...``"""

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


if __name__ == "__main__":
    for name in sys.argv[1:]:
        summarise(name)
