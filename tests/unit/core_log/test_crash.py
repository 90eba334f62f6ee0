"""Crash test: SIGKILL a producer with fsync-before-ack at random moments, then verify the log."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from hub.core_log import Log

ROUNDS = 22

CHILD = textwrap.dedent(
    """
    import hashlib, os, random, sys
    from hub.core_log import Log, ProduceRecord

    log = Log(sys.argv[1])
    if not log.has_topic("crash"):
        log.create_topic("crash", 1, {"fsync.on.append": "true", "segment.bytes": "65536",
                                      "index.interval.bytes": "1024"})
    rng = random.Random(int(sys.argv[2]))
    print("ready", log.end_offset("crash", 0), flush=True)
    while True:
        batch = [ProduceRecord(os.urandom(8), os.urandom(rng.randint(0, 3000)))
                 for _ in range(rng.randint(1, 40))]
        result = log.append("crash", batch)
        lines = [f"{off} {hashlib.sha1(r.key + r.value).hexdigest()}"
                 for (_, off), r in zip(result, batch)]
        sys.stdout.write("\\n".join(lines) + "\\n")
        sys.stdout.flush()
    """
)


def _run_and_kill(data_dir: Path, seed: int, rng: random.Random) -> tuple[int, dict[int, str]]:
    """Start the producer, SIGKILL it after a random delay; (start offset, acked offset -> hash)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), str(seed)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert child.stdout is not None
    ready = child.stdout.readline().split()
    assert ready and ready[0] == b"ready", ready
    acked: dict[int, str] = {}
    out = child.stdout

    def collect() -> None:
        pending = b""
        while chunk := out.read1(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")  # a line without "\n" is not acknowledged
            for line in lines:
                offset, digest = line.decode().split()
                acked[int(offset)] = digest

    reader = threading.Thread(target=collect)
    reader.start()
    time.sleep(rng.uniform(0.02, 0.6))
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    reader.join(timeout=30)
    return int(ready[1]), acked


def _tear_tail(data_dir: Path, rng: random.Random) -> None:
    """Simulate a write torn by a power cut: the start of a batch lands, the rest does not."""
    last = sorted((data_dir / "crash-0").glob("*.log"))[-1]
    data = last.read_bytes()
    if len(data) < 200:
        return
    start = rng.randrange(0, len(data) - 100)
    with open(last, "ab") as f:
        f.write(data[start : start + rng.randint(1, 100)])


@pytest.mark.slow
def test_sigkill_never_loses_acknowledged_records(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(20261121)
    expected: dict[int, str] = {}
    started = time.monotonic()
    for round_ in range(ROUNDS):
        start, acked = _run_and_kill(data_dir, round_, rng)
        assert start >= len(expected)  # nothing acknowledged before was lost on the last open
        expected.update(acked)
        if round_ % 3 == 2:
            _tear_tail(data_dir, rng)
        with Log(data_dir) as log:
            end = log.end_offset("crash", 0)
            assert end >= max(expected, default=-1) + 1
            offset = 0
            while offset < end:
                result = log.read("crash", 0, offset)  # CRC-checked; raises if anything is corrupt
                for record in result.records(offset):
                    assert record.offset == offset, "offsets must be contiguous"
                    digest = hashlib.sha1((record.key or b"") + (record.value or b"")).hexdigest()
                    if offset in expected:
                        assert digest == expected[offset], f"record {offset} changed"
                    else:  # written but not acknowledged before the kill: now part of the log
                        expected[offset] = digest
                    offset += 1
            assert offset == end
    assert len(expected) > ROUNDS  # the kills landed while records were flowing
    assert time.monotonic() - started < 90
