from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hub.core_log import Log, LogDirLockedError

HOLD = textwrap.dedent(
    """
    import sys, time
    from hub.core_log import Log
    log = Log(sys.argv[1])
    print("locked", flush=True)
    sys.stdin.readline()
    log.close()
    """
)


def test_second_process_is_refused_with_the_holder_pid(data_dir: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with pytest.raises(LogDirLockedError) as err:
            Log(data_dir)
        assert f"process {child.pid}" in str(err.value) and str(data_dir) in str(err.value)
        assert "--data-dir" in str(err.value)
    finally:
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=30)
    with Log(data_dir) as log:  # released when the holder closed
        assert log.list_topics() == []


def test_same_process_second_open_is_refused_and_lock_dies_with_holder(data_dir: Path) -> None:
    log = Log(data_dir)
    with pytest.raises(LogDirLockedError, match=f"process {os.getpid()}"):
        Log(data_dir)
    log.close()
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os,sys; from hub.core_log import Log; Log(sys.argv[1]); os._exit(0)",
            str(data_dir),
        ],
        cwd=Path(__file__).resolve().parents[3],
        check=True,
    )
    assert killed.returncode == 0
    Log(data_dir).close()  # a dead holder leaves no stale lock
