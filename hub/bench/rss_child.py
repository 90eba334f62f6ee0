"""Peak memory while producing many records, measured in a child process.

The parent holds the benchmark's data set, so its own RSS says nothing about
the log.  The child builds its records on the fly from a small pool of values
(so the data set does not count either), produces them through ``Log.append``
and reports its own peak RSS: ``VmHWM`` from ``/proc/self/status``, the
kernel's exact high-water mark of the process image, with no polling gaps.

Not ``wait4``/``RUSAGE_CHILDREN``: Linux carries the high-water mark of the
address space a child had *before* ``exec`` into its ``ru_maxrss``, and that
address space is the (v)forked parent's, so the parent's data set would count.

Run as ``python -m hub.bench.rss_child DIR RECORDS KEY_SIZE VALUE_SIZE BATCH_SIZE``;
prints one JSON line ``{"records": n, "seconds": s, "peak_rss_bytes": b}``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub.bench.errors import BenchError

VALUE_POOL = 1024


@dataclass(frozen=True)
class RssResult:
    """The child's peak resident set size and how fast it produced."""

    peak_rss_bytes: int
    records: int
    seconds: float


def measure_peak_rss(
    data_dir: Path,
    records: int,
    key_size: int,
    value_size: int,
    batch_size: int,
    tick: Callable[[float], None] | None = None,
) -> RssResult:
    """Run the producing child to completion; return its peak RSS and produce rate.

    ``tick`` is called about once a second with the elapsed seconds (progress).

    Raises:
        BenchError: the child failed (its stderr is included).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = data_dir / "child.out", data_dir / "child.err"
    args = [sys.executable, "-m", "hub.bench.rss_child", str(data_dir / "log")]
    args += [str(records), str(key_size), str(value_size), str(batch_size)]
    start = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err)
        while proc.poll() is None:
            time.sleep(0.5)
            if tick:
                tick(time.monotonic() - start)
    if proc.returncode != 0:
        tail = err_path.read_text(errors="replace")[-3000:]
        msg = f"the RSS child exited with {proc.returncode}:\n{tail}"
        raise BenchError(msg)
    result = json.loads(out_path.read_text())
    return RssResult(
        int(result["peak_rss_bytes"]), int(result["records"]), float(result["seconds"])
    )


def peak_rss_of_this_process() -> int:
    """VmHWM of the running process in bytes (falls back to ru_maxrss off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # reported in kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def produce_generated(
    data_dir: Path, records: int, key_size: int, value_size: int, batch_size: int
) -> float:
    """Produce ``records`` generated records into a fresh Log; return the seconds taken."""
    from hub.bench.dataset import make_key, make_records
    from hub.bench.log_side import TOPIC
    from hub.core_log import Log, ProduceRecord

    values = [v for _, v in make_records(VALUE_POOL, 1, value_size)]
    log = Log(data_dir)
    try:
        log.create_topic(TOPIC, partitions=1)
        start = time.perf_counter()
        for first in range(0, records, batch_size):
            indexes = range(first, min(first + batch_size, records))
            batch = [
                ProduceRecord(key=make_key(i, key_size), value=values[i % VALUE_POOL])
                for i in indexes
            ]
            log.append(TOPIC, batch)
        log.flush()
        return time.perf_counter() - start
    finally:
        log.close()


def main(argv: list[str]) -> int:
    """Entry point of the child process (see the module docstring)."""
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    data_dir = Path(argv[0])
    records, key_size, value_size, batch_size = (int(a) for a in argv[1:])
    seconds = produce_generated(data_dir, records, key_size, value_size, batch_size)
    peak = peak_rss_of_this_process()
    print(json.dumps({"records": records, "seconds": seconds, "peak_rss_bytes": peak}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
