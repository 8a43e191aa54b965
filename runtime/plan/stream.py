"""A plan.json read as a stream: its units are verified in one pass and loaded on demand.

``load_plan`` holds the whole plan: the file's text, its dicts and every unit's model, about
4.4 KB per case for the run. ``open_plan`` reads the file in chunks instead, parses one unit at
a time to check the content hash, and keeps only each unit's byte span in the file
(``LazyUnits``: 16 bytes per unit); a unit is parsed again when it is indexed and dropped by
the caller when done.

The hash is the same as ``Plan.compute_hash``: the canonical JSON of a plan is pydantic's
compact dump in field order, so it is the dump of the plan without units up to ``"units":[``,
then each unit's own compact dump joined by commas, then the rest. Feeding those pieces to
sha256 in order gives the digest of the whole without building it. A plan hashed the legacy
way (key-sorted, before 2026-12) does not match the streamed digest: it falls back to
``load_plan``, which verifies it (or raises the "edited by hand" error) and holds it whole.
"""

from __future__ import annotations

import hashlib
import json
import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, overload

from pydantic import ValidationError

from ..errors import PlanError
from .cases import Unit, attempt_of, unit_attempts
from .facts import FactsBuilder, UnitFacts, known_facts

__all__ = ["LazyUnits", "WorkItems", "open_plan"]

_CHUNK = 1 << 20
"""Characters read from plan.json at a time."""
_WS = " \t\n\r"


class LazyUnits(Sequence[Unit]):
    """The units of a plan.json, parsed from their byte span in the file when indexed.

    Holds two integer arrays (offset and length per unit), never the units: ``units[i]`` reads
    and validates unit ``i`` (a new model each time), so a caller that drops a unit after use
    keeps only the units it is working on. The file must not change while the plan is in use
    (the run store keeps its own copy; the hash was checked when it was opened).
    """

    def __init__(
        self,
        path: Path,
        offsets: array[int],
        lengths: array[int],
        stamp: tuple[int, int, int] | None = None,
        facts: UnitFacts | None = None,
    ) -> None:
        self.path = path
        self._offsets = offsets
        self._lengths = lengths
        self.facts = facts
        """What a run needs to know of the units (runtime/plan/facts.py), gathered when the
        plan was opened; None when it was not."""
        self._stamp = stamp
        """The file's (inode, size, mtime) when its hash was checked: a unit is read only
        from that same file, never from one written over it since (a recompile mid-run)."""

    def _checked(self, fh: IO[bytes]) -> IO[bytes]:
        if self._stamp is not None and _stamp_of(os.fstat(fh.fileno())) != self._stamp:
            fh.close()
            raise PlanError(
                f"{self.path} changed after its hash was checked: a run reads its units from "
                "it as they start, so the plan must stay as it was (compile to another file "
                "while a run uses this one)"
            )
        return fh

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> Unit: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Unit, ...]: ...
    def __getitem__(self, index: int | slice) -> Unit | tuple[Unit, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        offset, length = self._offsets[index], self._lengths[index]
        with self._checked(self.path.open("rb")) as fh:
            fh.seek(offset)
            raw = fh.read(length)
        return Unit.model_validate_json(raw)

    def __iter__(self) -> Iterator[Unit]:
        with self._checked(self.path.open("rb")) as fh:
            for offset, length in zip(self._offsets, self._lengths, strict=True):
                fh.seek(offset)
                yield Unit.model_validate_json(fh.read(length))


class WorkItems(Sequence[tuple[Unit, int]]):
    """``work_items`` of a plan's units without holding them: (unit index, attempt) pairs.

    The same order as ``runtime.plan.work_items`` (every unit's first attempt, then every
    second one, ...); an item is ``(attempt_of(unit, attempt), attempt)``, the unit read from
    ``units`` when the item is taken. 16 bytes per item, whatever the plan's size.
    """

    def __init__(
        self, units: Sequence[Unit], keep: Callable[[Unit, int], bool] | None = None
    ) -> None:
        """``keep(unit_at_attempt, attempt)``: False leaves the item out (a resume's done work).

        Without ``keep``, a streamed plan's items come from the facts gathered when it was
        opened: no unit is read here. With it, each unit is read once per attempt.
        """
        self.units = units
        self._index: array[int] = array("q")
        self._attempt: array[int] = array("l")
        self.case_count = 0
        """Cases the items run (a unit's cases once per item)."""
        self.agents: tuple[str, ...] = ()
        """The agents of the items' units, in plan order."""
        self.judges: tuple[str, ...] = ()
        """The providers the items' llm_judge assertions ask, in plan order."""
        facts = known_facts(units)
        if keep is None and facts is not None:
            self._all(facts)
            return
        seen = FactsBuilder()
        rounds: array[int] = array("l")
        for i, unit in enumerate(units):  # one unit at a time: a streamed plan parses it here
            rounds.append(unit_attempts(unit))
            if keep is None or keep(unit, 0):  # attempt 0 is the unit itself
                self._index.append(i)
                self._attempt.append(0)
                self.case_count += len(unit.cases)
                seen.add(unit)
        for a in range(1, max(rounds, default=0)):
            for i, n in enumerate(rounds):
                if n <= a:
                    continue
                later = attempt_of(units[i], a)
                if keep is None or keep(later, a):
                    self._index.append(i)
                    self._attempt.append(a)
                    self.case_count += len(later.cases)
                    seen.add(later)
        kept = seen.build()
        self.agents, self.judges = tuple(kept.agents), kept.judges

    def _all(self, facts: UnitFacts) -> None:
        """Every item, from the plan's facts (the same order as the loop above)."""
        rounds = facts.rounds
        self._index.extend(range(len(rounds)))
        self._attempt.extend([0] * len(rounds))
        for a in range(1, max(rounds, default=0)):
            later = [i for i, n in enumerate(rounds) if n > a]
            self._index.extend(later)
            self._attempt.extend([a] * len(later))
        self.case_count = facts.attempts  # a case runs in ``repeat`` of its unit's attempts
        self.agents, self.judges = tuple(facts.agents), facts.judges

    def __len__(self) -> int:
        return len(self._index)

    @overload
    def __getitem__(self, index: int) -> tuple[Unit, int]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[Unit, int]]: ...
    def __getitem__(self, index: int | slice) -> tuple[Unit, int] | list[tuple[Unit, int]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        a = self._attempt[index]
        return attempt_of(self.units[self._index[index]], a), a

    def __iter__(self) -> Iterator[tuple[Unit, int]]:
        for i, a in zip(self._index, self._attempt, strict=True):
            yield attempt_of(self.units[i], a), a

    def first_runs(self) -> Sequence[Unit]:
        """The units of the attempt-0 items (they come first), read on demand."""
        n = 0
        while n < len(self._attempt) and self._attempt[n] == 0:
            n += 1
        return _FirstRuns(self, n)


class _FirstRuns(Sequence[Unit]):
    def __init__(self, items: WorkItems, n: int) -> None:
        self.items, self.n = items, n

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, index: int) -> Unit: ...
    @overload
    def __getitem__(self, index: slice) -> list[Unit]: ...
    def __getitem__(self, index: int | slice) -> Unit | list[Unit]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.n))]
        if not -self.n <= index < self.n:
            raise IndexError(index)
        return self.items[index % self.n][0]

    def __iter__(self) -> Iterator[Unit]:
        for i, (unit, _) in enumerate(self.items):
            if i >= self.n:
                return
            yield unit


class _Scanner:
    """JSON values read one at a time from a text stream, tracking the byte offset."""

    def __init__(self, fh: IO[str], source: str) -> None:
        self.fh = fh
        self.source = source
        self.buf = ""
        self.pos = 0
        self.byte = 0
        """Byte offset in the file of ``buf[pos]`` (UTF-8)."""
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def _advance(self, end: int) -> None:
        self.byte += len(self.buf[self.pos : end].encode("utf-8"))
        self.pos = end

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self._advance(self.pos + 1)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str) -> str:
        """Consume one of ``chars`` (after white space) and return it."""
        c = self.peek()
        if not c or c not in chars:
            found = repr(c) if c else "the end of the file"
            raise PlanError(f"{self.source}: not JSON: expected {' or '.join(chars)} at {found}")
        self._advance(self.pos + 1)
        return c

    def value(self) -> tuple[Any, int, int]:
        """The next JSON value, its byte offset and its byte length."""
        self.peek()
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self._more():
                    continue
                raise PlanError(f"{self.source}: not JSON: {exc.msg}") from exc
            if end == len(self.buf) and self._more():
                continue  # a number cut by the chunk's end: read on before trusting it
            start = self.byte
            self._advance(end)
            return obj, start, self.byte - start


def open_plan(path: str | Path) -> Any:
    """The plan in ``path``, verified like ``load_plan``, with ``LazyUnits`` for its units.

    Returns a ``Plan`` (typed ``Any``: ``runtime.plan``'s package init defines Plan and
    imports this module). Anything out of the ordinary (not an object, fields out of model
    order, an invalid unit, a legacy or wrong hash) falls back to ``load_plan``, whose checks
    and messages are the plan's contract.
    """
    from . import PLAN_VERSION, Plan, load_plan

    p = Path(path)
    try:
        fh = p.open(encoding="utf-8", newline="")
        stamp = _stamp_of(os.fstat(fh.fileno()))
    except OSError as exc:
        raise PlanError(f"cannot read plan {p}: {exc.strerror}") from exc
    header: dict[str, Any] = {}
    offsets: array[int] = array("q")
    lengths: array[int] = array("q")
    digest: Any = None
    facts = FactsBuilder()
    head = ""
    with fh:
        scan = _Scanner(fh, str(p))
        if scan.peek() != "{":
            return load_plan(p)
        scan.expect("{")
        while scan.peek() != "}":
            key, _, _ = scan.value()
            scan.expect(":")
            if key == "units" and digest is None and scan.peek() == "[":
                # Every field before units in model order has been read (a plan.json is
                # written in model order): the canonical text up to the units is known.
                try:
                    before = Plan.model_validate({**header, "units": []})
                except ValidationError:
                    return load_plan(p)
                head = before.canonical_json().partition(',"units":[]')[0]
                digest = hashlib.sha256(head.encode() + b',"units":[')
                scan.expect("[")
                first = True
                while scan.peek() != "]":
                    if not first:
                        scan.expect(",")
                    raw, start, length = scan.value()
                    try:
                        unit = Unit.model_validate(raw)
                    except ValidationError:
                        return load_plan(p)
                    digest.update((b"" if first else b",") + unit.model_dump_json().encode())
                    facts.add(unit)
                    offsets.append(start)
                    lengths.append(length)
                    first = False
                scan.expect("]")
            else:
                header[str(key)] = scan.value()[0]
            if scan.expect(",}") == "}":
                break
        else:
            scan.expect("}")
        if scan.peek():
            return load_plan(p)  # trailing data: its JSON error
    if digest is None or header.get("plan_version") != PLAN_VERSION:
        return load_plan(p)
    try:
        shell = Plan.model_validate({**header, "units": []})
    except ValidationError:
        return load_plan(p)
    shell_head, sep, tail = shell.canonical_json().partition(',"units":[]')
    if not sep or shell_head != head:
        return load_plan(p)  # fields out of model order in the file
    digest.update(b"]" + tail.encode())
    if shell.hash != "sha256:" + digest.hexdigest():
        return load_plan(p)  # a legacy hash verifies there; a tampered plan is refused there
    fields = {name: getattr(shell, name) for name in Plan.model_fields}
    return Plan.model_construct(
        **{**fields, "units": LazyUnits(p, offsets, lengths, stamp, facts.build())}
    )


def _stamp_of(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns)
