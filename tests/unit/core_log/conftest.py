"""Fixtures for the storage tests: a real Log in a temp directory, plus produce helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.core_log import Log, ProduceRecord


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def log(data_dir: Path) -> Iterator[Log]:
    with Log(data_dir, maintenance_interval_ms=3_600_000) as opened:
        yield opened


def records(n: int, *, start: int = 0, key: bool = True, size: int = 20) -> list[ProduceRecord]:
    """``n`` records with distinct keys k<i> and values v<i> padded to ``size`` bytes."""
    return [
        ProduceRecord(
            key=f"k{i}".encode() if key else None,
            value=f"v{i}".encode().ljust(size, b"."),
        )
        for i in range(start, start + n)
    ]


def read_all(log: Log, topic: str, partition: int = 0, start: int | None = None) -> list:
    """Every record from ``start`` (default: the log start) to the end, decoded."""
    offset = log.start_offset(topic, partition) if start is None else start
    out = []
    while offset < log.end_offset(topic, partition):
        result = log.read(topic, partition, offset)
        got = list(result.records(offset))
        if not got:
            break
        out.extend(got)
        offset = got[-1].offset + 1
    return out
