"""SIGKILL `hub up` in the middle of a file -> topic -> file pipeline; no line may be lost.

The hub runs as a real process. A file source tails an input file into a topic and a file
sink writes the topic to an output file. The hub is killed with SIGKILL (no shutdown, no
final commit) while lines are flowing, more lines are appended while it is down, and
after a restart every input line must reach the output. Duplicates are allowed only as
a replay of what followed the last committed offsets (at-least-once), so the output with
repeats removed must be exactly the input, in order.

The replays are counted and bounded: the source commits its offsets every
``offset.flush.interval.ms`` (1 s), so the topic may hold again at most what the source
read in one interval plus one batch (its rate is sampled from ``GET /metrics`` while the
pipeline runs), and the restarted task must report exactly that count
(``source_replayed_records_total``); the output file may hold those again plus what the
sink wrote after its own last group commit (the same bound with the sink's rate).
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.net import free_port
from tests.fixtures.process import HUB_SCRIPT, ChildProcess, wait_for_http

pytestmark = pytest.mark.slow

FIRST, SECOND = 400_000, 50_000
INTERVAL_S = 1.0  # offset.flush.interval.ms default
SOURCE_BATCH, SINK_BATCH = 2000, 500  # file source batch.size, sink max.poll.records
_SERIES = re.compile(
    r'^cdchub_connect_records_(polled|written)_total\{connector="([^"]+)",task="0"\} (\S+)$', re.M
)

_REPLAYED = re.compile(
    r'^cdchub_connect_source_replayed_records_total\{connector="file-in",task="0"\} (\S+)$', re.M
)


def _counters(client: httpx.Client) -> dict[tuple[str, str], float]:
    text = client.get("/metrics").text
    return {(c, kind): float(v) for kind, c, v in _SERIES.findall(text)}


def _window_max(samples: list[tuple[float, float]], span: float = 0.25) -> float:
    """Highest rate (records/s) over any stretch of at least ``span`` seconds.

    A pipeline fast enough to be killed within ``span`` of its start has its rate taken over
    the whole sampled time instead.
    """
    (t_first, c_first), (t_last, c_last) = samples[0], samples[-1]
    best = (c_last - c_first) / (t_last - t_first) if t_last > t_first else 0.0
    for i, (t1, c1) in enumerate(samples):
        for t0, c0 in reversed(samples[:i]):
            if t1 - t0 >= span:
                best = max(best, (c1 - c0) / (t1 - t0))
                break
    return best


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
    created = time.monotonic()  # both counters are 0 here: the rate covers the whole run
    polled: list[tuple[float, float]] = [(created, 0.0)]
    written: list[tuple[float, float]] = [(created, 0.0)]
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
        with httpx.Client(base_url=url, timeout=30) as client:
            while True:  # sampled once more after the output is big enough, just before the kill
                assert time.monotonic() < deadline, child.text
                counters = _counters(client)
                now = time.monotonic()
                polled.append((now, counters.get(("file-in", "polled"), 0.0)))
                written.append((now, counters.get(("file-out", "written"), 0.0)))
                if out.exists() and out.stat().st_size >= 8_000_000:
                    break
                time.sleep(0.02)
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
            topic = client.get("/topics/lines").json()
            in_topic = sum(p["end_offset"] for p in topic["partitions"])
            counted = _REPLAYED.search(client.get("/metrics").text)
    finally:
        child.stop()
    got = _lines(out)
    deduplicated = list(dict.fromkeys(got))
    assert deduplicated == expected, "every line exactly once after removing replays, in order"
    duplicates = len(got) - len(deduplicated)
    replayed = in_topic - len(expected)
    source_bound = _window_max(polled) * INTERVAL_S + SOURCE_BATCH
    sink_bound = _window_max(written) * INTERVAL_S + SINK_BATCH
    print(
        f"killed after {written_before} lines; source replayed {replayed} records into the "
        f"topic (bound {source_bound:.0f}); {duplicates} duplicate lines in the output "
        f"(bound {replayed + sink_bound:.0f})"
    )
    assert 0 <= replayed <= source_bound, "source replay beyond one offset-flush interval"
    assert counted is not None and float(counted.group(1)) == replayed, "the runtime counts it"
    assert duplicates <= replayed + sink_bound, "sink replay beyond one commit interval"
