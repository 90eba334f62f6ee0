"""Connector pipeline benchmark: file source -> log -> file sink, against a plain loop.

One run, same data, same machine:

* **plain loop** (the limit): read the input lines, wrap each as the JSON the pipeline
  stores (JsonConverter's ``{"schema": {"type": "string", ...}, "payload": line}``), write
  them to an output file, fsync;
* **pipeline**: a herder in a child process (its own peak RSS) runs the bundled file source
  (``FileStreamSource``) into topic ``lines`` with the JSON converter, and the bundled file
  sink (``FileStreamSink``) from that topic into an output file; timed from connector
  creation until the sink's committed offset covers every line;
* **pipeline + 3 SMTs**: the same with HoistField$Value -> InsertField$Value ->
  ReplaceField$Value on the source side.

Usage: ``.venv/bin/python benchmarks/pipeline_bench.py [--lines 1000000] [--dir /tmp]``.
Targets (issue 3): >= 200,000 records/s end to end, >= 0.4x the plain loop, peak RSS < 250 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

TRANSFORMS = {
    "transforms": "hoist,insert,rename",
    "transforms.hoist.type": "HoistField$Value",
    "transforms.hoist.field": "line",
    "transforms.insert.type": "InsertField$Value",
    "transforms.insert.static.field": "origin",
    "transforms.insert.static.value": "bench",
    "transforms.rename.type": "ReplaceField$Value",
    "transforms.rename.renames": "line:message",
}
TARGET_RATE, TARGET_RATIO, TARGET_RSS_MB = 200_000, 0.4, 250


def make_input(path: Path, lines: int) -> int:
    """Write ``lines`` lines of ~100 bytes; returns the byte count."""
    pad = "x" * 48
    with path.open("w") as f:
        for i in range(lines):
            f.write(f'{{"id": {i:>10}, "event": "page_view", "pad": "{pad}"}}\n')
    return path.stat().st_size


LINE_SCHEMA = {"type": "string", "optional": False}
TRANSFORMED_SCHEMA = {
    "type": "struct",
    "fields": [
        {"type": "string", "optional": False, "field": "message"},
        {"type": "string", "optional": True, "field": "origin"},
    ],
    "optional": False,
}
"""What the 3-SMT chain makes of a line: the schema half of the stored envelope."""


def plain_loop(src: Path, dst: Path, *, transformed: bool = False) -> float:
    """The limit: read, wrap as the same JSON envelope, write, fsync. Returns seconds.

    ``transformed`` writes what the pipeline with the 3-SMT chain stores instead (the line
    as field ``message`` of a struct with ``origin``), so both scenarios have a limit
    doing the same JSON work.
    """
    started = time.perf_counter()
    with src.open() as f, dst.open("wb") as out:
        buf = []
        for line in f:
            text = line.rstrip("\n")
            if transformed:
                payload: Any = {"message": text, "origin": "bench"}
                buf.append(orjson.dumps({"schema": TRANSFORMED_SCHEMA, "payload": payload}) + b"\n")
            else:
                buf.append(orjson.dumps({"schema": LINE_SCHEMA, "payload": text}) + b"\n")
            if len(buf) >= 2000:
                out.write(b"".join(buf))
                buf.clear()
        out.write(b"".join(buf))
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - started


def vm_hwm_mb() -> float:
    """This process's own peak RSS (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_pipeline(work: Path, src: Path, lines: int, transforms: bool) -> dict[str, Any]:
    """Child-process body: a herder on a fresh log runs file source -> file sink."""
    from hub.config import tune_process
    from hub.core_log import GroupOffsets, Log
    from workers.herder import Herder

    tune_process()  # what `hub up` does at startup
    log = Log(work / "log")
    groups = GroupOffsets(log)
    herder = Herder(log=log, groups=groups, worker_id="bench:0")
    herder.start()
    out = work / "out.txt"
    source = {
        "connector.class": "FileStreamSource",
        "file": str(src),
        "topic": "lines",
        **(TRANSFORMS if transforms else {}),
    }
    sink = {"connector.class": "FileStreamSink", "file": str(out), "topics": "lines"}
    started = time.perf_counter()
    cpu_started = time.process_time()
    herder.put_connector_config("bench-source", source, allow_replace=False)
    herder.put_connector_config("bench-sink", sink, allow_replace=False)
    checked = time.monotonic()
    while (groups.committed("connect-bench-sink", "lines", 0) or 0) < lines:
        time.sleep(0.005)  # fine-grained, so the wait adds little to the measured time
        if time.monotonic() - checked < 0.5:
            continue
        checked = time.monotonic()
        status = herder.status("bench-sink")["tasks"] + herder.status("bench-source")["tasks"]
        failed = [t for t in status if t["state"] == "FAILED"]
        if failed:
            raise RuntimeError(failed[0].get("trace"))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    herder.close()
    first = next(log.partition("lines", 0).batches()).records()[0].value or b""
    log.close()
    with out.open("rb") as f:
        written = sum(1 for _ in f)
    return {"seconds": elapsed, "cpu_seconds": cpu, "written": written, "rss_mb": vm_hwm_mb(),
            "first_stored": first.decode()}  # fmt: skip


def child(work: Path, lines: int, transforms: bool) -> dict[str, Any]:
    """Run one pipeline scenario in a fresh interpreter (its own RSS, no shared caches)."""
    work.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--child", str(work), "--lines", str(lines)]
    if transforms:
        cmd.append("--transforms")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"pipeline child failed:\n{done.stderr[-3000:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="parent of the temp dir")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--transforms", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        src = args.child.parent / "input.txt"
        print(json.dumps(run_pipeline(args.child, src, args.lines, args.transforms)))
        return
    root = Path(tempfile.mkdtemp(prefix="pipeline-bench-", dir=args.dir))
    try:
        report(root, args.lines)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def report(root: Path, lines: int) -> None:
    """Run the limits and the two pipeline scenarios and print the table.

    Each scenario is compared with the limit that writes the same JSON (checked: the first
    line of the limit's output is the first value the pipeline stored), and also with the
    plain loop of the untransformed lines.
    """
    src = root / "input.txt"
    size = make_input(src, lines)
    print(f"input: {lines:,} lines, {size / 1e6:.1f} MB ({size / lines:.0f} B/line)")
    limits = {
        False: (lines / plain_loop(src, root / "plain.txt"), root / "plain.txt"),
        True: (lines / plain_loop(src, root / "plain-t.txt", transformed=True),
               root / "plain-t.txt"),
    }  # fmt: skip
    plain_rate = limits[False][0]
    head = f"{'scenario':<26} {'records/s':>12} {'x limit':>8} {'x plain':>8} {'peak RSS':>9}"
    print(f"{head}  verdict")
    print(f"{'plain loop (limit)':<26} {plain_rate:>12,.0f} {1:>8.2f} {1:>8.2f} {'-':>9}")
    print(f"{'plain loop, SMT output':<26} {limits[True][0]:>12,.0f} {1:>8.2f} "
          f"{limits[True][0] / plain_rate:>8.2f} {'-':>9}")  # fmt: skip
    for name, transforms in (("pipeline", False), ("pipeline + 3 SMTs", True)):
        result = child(root / name.replace(" ", "_").replace("+", "p"), lines, transforms)
        if result["written"] < lines:
            msg = f"{name}: only {result['written']} of {lines} lines reached the sink file"
            raise RuntimeError(msg)
        limit_rate, limit_file = limits[transforms]
        with limit_file.open() as f:
            if f.readline().rstrip("\n") != result["first_stored"]:
                msg = f"{name}: the limit does not write what the pipeline stores"
                raise RuntimeError(msg)
        rate, rss = lines / result["seconds"], result["rss_mb"]
        ok = rate >= TARGET_RATE and rate / limit_rate >= TARGET_RATIO and rss < TARGET_RSS_MB
        times = f"({result['seconds']:.2f} s wall, {result['cpu_seconds']:.2f} s CPU)"
        print(f"{name:<26} {rate:>12,.0f} {rate / limit_rate:>8.2f} {rate / plain_rate:>8.2f} "
              f"{rss:>6.0f} MB  {'OK' if ok else 'MISS'}   {times}")  # fmt: skip
    print(
        f"targets: >= {TARGET_RATE:,} records/s, >= {TARGET_RATIO}x the limit writing the same "
        f"JSON, peak RSS < {TARGET_RSS_MB} MB"
    )


if __name__ == "__main__":
    main()
