"""``frmr-sso audit verify``: walk the hash chain once, in id order, and name the first broken link.

For each record: its ``hash`` must be ``audit_chain_hash`` of its content and
``prev_hash`` (else it was edited), its ``prev_hash`` the previous record's
``hash`` and its id the previous id plus one (else records were deleted or
inserted). The first record starts the chain when its ``prev_hash`` is the
genesis hash, or the ``last_purged_hash`` of a retention checkpoint found in
the chain itself (``frmr_sso.audit.retention``). Memory stays constant: only
the previous record and the pending start are kept.

An unkeyed chain proves no edit happened only to someone who keeps the head
hash elsewhere: whoever can rewrite the whole tail can recompute it. The
report therefore names the head (last id and hash) for operators to record.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from typing import Literal

from frmr_sso.audit.retention import checkpoint_of
from frmr_sso.storage.ports import GENESIS_HASH, AuditRecord, audit_chain_hash

BreakKind = Literal["edited", "unlinked", "id_gap", "unanchored"]
Hasher = Callable[[AuditRecord, str], str]


@dataclass(frozen=True, slots=True)
class ChainBreak:
    record_id: int
    kind: BreakKind
    detail: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    records: int
    first_id: int | None = None
    head_id: int | None = None
    head_hash: str | None = None
    checkpoint_id: int | None = None
    broken: ChainBreak | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


EDITED = "hash mismatch: the record was changed after it was written"


def _link_break(record: AuditRecord, prev: AuditRecord, hasher: Hasher) -> ChainBreak | None:
    rid, pid = record.id or 0, prev.id or 0
    if record.hash != hasher(record, record.prev_hash):
        return ChainBreak(rid, "edited", EDITED)
    missing = f" (ids {pid + 1}..{rid - 1} missing)" if rid > pid + 1 else ""
    if record.prev_hash != prev.hash:
        why = f"prev_hash does not match record {pid}: records deleted or inserted before it{missing}"
        return ChainBreak(rid, "unlinked", f"{why}, or record {pid} rewritten with a new hash")
    if rid != pid + 1:
        return ChainBreak(rid, "id_gap", f"id gap after record {pid}{missing}: records deleted")
    return None


def _start_break(first: AuditRecord, hasher: Hasher) -> ChainBreak | None:
    if first.hash != hasher(first, first.prev_hash):
        return ChainBreak(first.id or 0, "edited", EDITED)
    return None


async def verify_chain(
    records: AsyncIterable[AuditRecord], *, hasher: Hasher = audit_chain_hash
) -> ChainReport:
    count = 0
    first: AuditRecord | None = None
    prev: AuditRecord | None = None
    broken: ChainBreak | None = None
    anchor: tuple[int, str] | None = None  # (id, hash) a checkpoint must name, when not genesis
    checkpoint_id: int | None = None
    async for record in records:
        if broken is None:
            count += 1
            if prev is None:
                first = record
                broken = _start_break(record, hasher)
                if record.prev_hash != GENESIS_HASH:
                    anchor = ((record.id or 0) - 1, record.prev_hash)
            else:
                broken = _link_break(record, prev, hasher)
            prev = record if broken is None else prev
        if anchor is not None and checkpoint_of(record) == anchor:
            anchor, checkpoint_id = None, record.id
        if broken is not None and anchor is None:
            break
    if first is None:
        return ChainReport(records=0)
    verified = count if broken is None else count - 1
    if anchor is not None:  # the first record links to a record no checkpoint vouches for
        why = "prev_hash links to a missing record and no purge checkpoint names it: records deleted"
        broken, verified = ChainBreak(first.id or 0, "unanchored", why), 0
    head = prev or first
    return ChainReport(
        records=verified,
        first_id=first.id,
        head_id=head.id,
        head_hash=head.hash,
        checkpoint_id=checkpoint_id,
        broken=broken,
    )
