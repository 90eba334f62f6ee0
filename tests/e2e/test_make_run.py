"""README's first command: `make run` starts a working hub and stops cleanly on Ctrl-C."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import httpx
import pytest

from hub.core_log import Log
from tests.fixtures.net import free_port
from tests.fixtures.process import ChildProcess, wait_for_http

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_the_rest_api_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "hub-data", free_port()
    url = f"http://127.0.0.1:{port}"
    run = ChildProcess(
        ["make", "--no-print-directory", "run"],
        cwd=REPO,
        env={"HUB_DATA_DIR": str(data_dir), "HUB_PORT": str(port)},
    )
    try:
        assert wait_for_http(url + "/", timeout=240, child=run).json()["name"] == "cdchub"
        run.wait_for_line(f"REST API:   {url}")
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.post("/topics", json={"name": "greetings"}).status_code == 201
            resp = client.post(
                "/topics/greetings/records",
                json={"records": [{"key": "k", "value": {"hello": "world"}}]},
            )
            assert resp.json() == {"offsets": [{"partition": 0, "offset": 0}]}
            (record,) = client.get("/topics/greetings/partitions/0/records").json()
            assert (record["key"], record["value"]) == ("k", {"hello": "world"})
        run.signal_group(signal.SIGINT)  # what Ctrl-C in the terminal does
        code = run.wait(timeout=60)
    finally:
        run.stop()
    # make reports the interrupt itself (exit 2 or killed by SIGINT); the hub must stop cleanly.
    assert code in (0, 2, -signal.SIGINT), run.text
    assert "cdchub stopped; the log in" in run.text, run.text
    assert "Traceback" not in run.text
    with Log(data_dir) as log:  # unlocked, and the record is durable
        assert [r.value for r in log.read("greetings", 0, 0).records(0)] == [b'{"hello":"world"}']
