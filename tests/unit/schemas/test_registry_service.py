"""The registry service over a shared store: several nodes, threads, replay."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from hub.core_log import Log
from schemas.errors import IncompatibleSchemaError, InvalidSchemaError, SchemaNotFoundError
from schemas.models import CompatibilityLevel, Schema, SchemaType
from schemas.registry import SchemaRegistry
from schemas.state import identity_of
from schemas.storage import LogStore, MemoryStore, RegistryStore, StoredRecord


def avro(i: int) -> Schema:
    return Schema(json.dumps({"type": "record", "name": f"T{i}", "fields": []}))


def summary(reg: SchemaRegistry) -> dict[str, list[tuple[int, int]]]:
    state = reg.state
    return {s: sorted((v, e.id) for v, e in vs.items()) for s, vs in state.subjects.items()}


def hammer(nodes: list[SchemaRegistry], threads: int = 8, per_thread: int = 15) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(per_thread):
                node = nodes[(n + i) % len(nodes)]
                node.register(f"s{(n * 7 + i) % 4}", avro((n + i) % 6))
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors


def check_consistent(store: RegistryStore, nodes: list[SchemaRegistry]) -> None:
    fresh = SchemaRegistry(store)
    expected = summary(fresh)
    for node in nodes:
        assert summary(node) == expected
    state = fresh.state
    assert sorted(state.schemas) == list(range(1, 7))  # 6 distinct schemas, ids 1..6, no gaps
    assert len({identity_of(s) for s in state.schemas.values()}) == 6
    for versions in expected.values():
        assert [v for v, _ in versions] == list(range(1, len(versions) + 1))
        assert len({i for _, i in versions}) == len(versions)  # no schema twice in a subject


def test_concurrent_nodes_on_one_store_agree() -> None:
    store = MemoryStore()
    nodes = [SchemaRegistry(store) for _ in range(3)]
    for node in nodes[:1]:
        node.set_level(None, CompatibilityLevel.NONE)
    hammer(nodes)
    check_consistent(store, nodes)


def test_concurrent_nodes_on_the_log_agree_and_survive_restart(tmp_path: Path) -> None:
    with Log(tmp_path / "data") as log:
        nodes = [SchemaRegistry(LogStore(log)) for _ in range(2)]
        nodes[0].set_level(None, CompatibilityLevel.NONE)
        hammer(nodes, threads=4, per_thread=10)
        check_consistent(LogStore(log), nodes)
        before = summary(nodes[0])
    with Log(tmp_path / "data") as log:
        assert summary(SchemaRegistry(LogStore(log))) == before


def test_a_stale_node_catches_up_before_answering() -> None:
    store = MemoryStore()
    a, b = SchemaRegistry(store), SchemaRegistry(store)
    registered = a.register("s", avro(1))
    assert b.schema_by_id(registered.id) == registered.schema
    assert b.register("s", avro(1)).version == 1


class RacingStore(MemoryStore):
    """Runs ``before_first_append`` (another node's write) just before this node's first append."""

    def __init__(self, inner: MemoryStore, before_first_append: Callable[[], object]) -> None:
        super().__init__()
        self._inner, self._hook = inner, before_first_append
        self._hooked = False

    def append(self, records: Sequence[tuple[bytes, bytes | None]]) -> list[int]:
        if not self._hooked:
            self._hooked = True
            self._hook()
        return self._inner.append(records)

    def read(self, offset: int) -> Iterator[StoredRecord]:
        return self._inner.read(offset)

    def end_offset(self) -> int:
        return self._inner.end_offset()


def record(*fields: tuple[str, str]) -> Schema:
    doc = {"type": "record", "name": "R", "fields": [{"name": n, "type": t} for n, t in fields]}
    return Schema(json.dumps(doc))


def test_a_proposal_that_lost_a_race_is_checked_again() -> None:
    inner = MemoryStore()
    a = SchemaRegistry(inner)
    a.register("s", record(("x", "int")))
    # While b checks its schema against v1, a registers v2 (x dropped, z with a default).
    v2 = Schema(
        json.dumps(
            {
                "type": "record",
                "name": "R",
                "fields": [{"name": "z", "type": "string", "default": ""}],
            }
        )
    )
    b = SchemaRegistry(RacingStore(inner, lambda: a.register("s", v2)))
    compatible_with_v1 = Schema(
        json.dumps(
            {
                "type": "record",
                "name": "R",
                "fields": [
                    {"name": "x", "type": "int"},
                    {"name": "y", "type": "int", "default": 0},
                ],
            }
        )
    )
    with pytest.raises(IncompatibleSchemaError, match="oldSchemaVersion: 2"):
        b.register("s", compatible_with_v1)  # x has no default, so it cannot read v2 data
    assert [v for v, _ in summary(a)["s"]] == [1, 2]
    assert summary(a) == summary(SchemaRegistry(inner))


def test_invalid_and_unknown() -> None:
    reg = SchemaRegistry(MemoryStore())
    with pytest.raises(InvalidSchemaError, match="JSON"):
        reg.register("s", Schema("{", SchemaType.JSON))
    with pytest.raises(SchemaNotFoundError):
        reg.schema_by_id(1)


def test_unknown_records_are_skipped() -> None:
    store = MemoryStore()
    store.append([(b'{"keytype":"FUTURE"}', b"{}"), (b"not json", b"x"), (b"{}", None)])
    reg = SchemaRegistry(store)
    assert reg.register("s", avro(1)).id == 1


def test_ids_survive_compaction_of_the_schemas_topic(tmp_path: Path) -> None:
    configs = {
        "cleanup.policy": "compact",
        "segment.bytes": "2000",  # many small segments, so there is something to clean
        "min.cleanable.dirty.ratio": "0.01",
        "delete.retention.ms": "0",
    }
    with Log(tmp_path / "data") as log:
        log.create_topic("_schemas", 1, configs)
        reg = SchemaRegistry(LogStore(log))
        reg.set_level(None, CompatibilityLevel.NONE)
        for i in range(12):
            reg.register(f"s{i % 3}", avro(i))
            reg.set_level("cfg", CompatibilityLevel.FULL if i % 2 else CompatibilityLevel.FORWARD)
        reg.delete_version("s1", 1)
        reg.delete_version("s1", 1, permanent=True)
        reg.delete_subject("s2")
        before = (summary(reg), reg.max_id(), reg.effective_level("cfg"))
        records_before = sum(1 for _ in LogStore(log).read(0))
        log.run_maintenance()
        records_after = sum(1 for _ in LogStore(log).read(0))
        assert records_after < records_before  # the config records were compacted
        fresh = SchemaRegistry(LogStore(log))
        assert (summary(fresh), fresh.max_id(), fresh.effective_level("cfg")) == before
        assert fresh.register("new", avro(99)).id == 13
