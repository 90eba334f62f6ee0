"""SIGKILL `hub up` in the middle of a file -> topic -> file pipeline; no line may be lost.

The hub runs as a real process. A file source tails an input file into a topic and a file
sink writes the topic to an output file. The hub is killed with SIGKILL (no shutdown, no
final commit) while lines are flowing, more lines are appended while it is down, and
after a restart every input line must reach the output. Duplicates are allowed only as
a replay of what followed the last committed offsets (at-least-once), so the output with
repeats removed must be exactly the input, in order.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.net import free_port
from tests.fixtures.process import HUB_SCRIPT, ChildProcess, wait_for_http

pytestmark = pytest.mark.slow

FIRST, SECOND = 150_000, 50_000


def _write_lines(path: Path, start: int, count: int) -> None:
    with path.open("a") as f:
        f.writelines(f"line {i:08d} some payload to make it ~60 bytes long....\n"
                     for i in range(start, start + count))  # fmt: skip


def _start(data: Path, port: int) -> ChildProcess:
    child = ChildProcess([HUB_SCRIPT, "up", "--data-dir", str(data), "--port", str(port),
                          "--log-level", "warning"])  # fmt: skip
    wait_for_http(f"http://127.0.0.1:{port}/", child=child)
    return child


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    text = path.read_text()
    return text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]


def test_no_line_lost_after_sigkill(tmp_path: Path) -> None:
    data, src, out = tmp_path / "data", tmp_path / "in.log", tmp_path / "out.log"
    _write_lines(src, 0, FIRST)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    child = _start(data, port)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            for name, config in (
                ("file-in", {"connector.class": "FileStreamSource", "file": str(src),
                             "topic": "lines"}),
                ("file-out", {"connector.class": "FileStreamSink", "file": str(out),
                              "topics": "lines"}),
            ):  # fmt: skip
                resp = client.post("/connectors", json={"name": name, "config": config})
                assert resp.status_code == 201, resp.text
        deadline = time.monotonic() + 60
        while out.stat().st_size < 1_000_000 if out.exists() else True:
            assert time.monotonic() < deadline, child.text
            time.sleep(0.005)
        child.signal_group(signal.SIGKILL)
        child.wait()
        written_before = len(_lines(out))
        assert written_before < FIRST, "the pipeline finished before the kill; raise FIRST"
        _write_lines(src, FIRST, SECOND)
        child = _start(data, port)
        expected = [f"line {i:08d} some payload to make it ~60 bytes long...." for i in
                    range(FIRST + SECOND)]  # fmt: skip
        deadline = time.monotonic() + 120
        while len(set(_lines(out))) < len(expected):
            assert time.monotonic() < deadline, f"only {len(set(_lines(out)))} lines arrived"
            time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=30) as client:
            states = client.get("/connectors?expand=status").json()
            assert {s["status"]["tasks"][0]["state"] for s in states.values()} == {"RUNNING"}
    finally:
        child.stop()
    got = _lines(out)
    deduplicated = list(dict.fromkeys(got))
    assert deduplicated == expected, "every line exactly once after removing replays, in order"
    duplicates = len(got) - len(deduplicated)
    print(f"killed after {written_before} lines; {duplicates} duplicates replayed")
    assert duplicates <= FIRST
