"""A tiny run of the log benchmark: the harness works and its figures are sane (not timed)."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.bench.log_bench import BenchError, run

ROOT = Path(__file__).resolve().parents[3]


def test_tiny_run_reports_sane_figures(tmp_path) -> None:
    out, progress = io.StringIO(), io.StringIO()
    report = run(
        records=2000,
        batch_size=500,
        runs=1,
        with_redis=False,
        rss_records=3000,
        large_records=40,
        work_dir=tmp_path,
        out=out,
        progress=progress,
    )
    medians = {name: fig.median for name, fig in report.figures.items()}
    for name in (
        "cdchub produce, Log.append",
        "cdchub produce, Log.append_kv",
        "cdchub consume",
        "raw write",
        "raw read",
    ):
        assert medians[name] > 0, name
    assert medians["cdchub produce, Log.append, 10 KiB values"] > 0
    assert medians["10 KiB produce / raw write"] > 0
    # the child is a whole Python process: more than 10 MB, far less than 10 GB
    assert 10 < medians["peak RSS, child producing"] < 10_000
    assert "Redis XADD" not in medians
    table = out.getvalue()
    assert "cdchub produce, Log.append" in table and "flush.ms=" in table
    assert "[run 1/1]" in progress.getvalue()
    judged = {t.figure for t, _, _ in report.verdicts()}
    assert judged == {
        "cdchub produce, Log.append",
        "cdchub produce, Log.append_kv",
        "cdchub consume",
        "10 KiB produce / raw write",
        "peak RSS, child producing",
    }
    assert list(tmp_path.iterdir()) == []  # temporary data removed


def test_bad_parameters_are_refused(tmp_path) -> None:
    with pytest.raises(BenchError, match="runs must be at least 1"):
        run(records=10, runs=0, work_dir=tmp_path, out=io.StringIO(), progress=io.StringIO())


def test_wrapper_script_writes_json(tmp_path) -> None:
    target = tmp_path / "report.json"
    args = [sys.executable, str(ROOT / "benchmarks" / "log_bench.py"), "--records", "1000"]
    args += ["--runs", "1", "--no-redis", "--rss-records", "0", "--large-records", "0"]
    args += ["--dir", str(tmp_path), "--json", str(target), "--markdown", str(tmp_path / "t.md")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "cdchub consume" in done.stdout
    data = json.loads(target.read_text())
    assert data["parameters"]["records"] == 1000
    assert data["figures"]["cdchub consume"]["median"] > 0
    assert "| cdchub consume |" in (tmp_path / "t.md").read_text()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_tiny_run_with_redis_has_ratios(tmp_path) -> None:
    report = run(
        records=2000,
        runs=1,
        rss_records=0,
        large_records=0,
        work_dir=tmp_path,
        redis_server=shutil.which("redis-server") or "",
        out=io.StringIO(),
        progress=io.StringIO(),
    )
    for name in (
        "Redis XADD",
        "Redis XREAD",
        "produce: cdchub Log.append / Redis",
        "produce: cdchub Log.append_kv / Redis",
        "consume: cdchub / Redis",
        "produce: cdchub Log.append / Redis, CPU time",
        "consume: cdchub / Redis, CPU time",
    ):
        assert report.figures[name].median > 0, name
    assert any(line.startswith("Redis: appendonly yes") for line in report.durability)
    assert any(line.startswith("Redis peer: redis-server ") for line in report.durability)
