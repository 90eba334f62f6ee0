"""`hub up` as a real process: banner, env vars, signals, lock, busy port, full disk."""

from __future__ import annotations

import resource
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from hub.core_log import Log
from tests.fixtures.net import free_port
from tests.fixtures.process import HUB_SCRIPT, ChildProcess, wait_for_http

pytestmark = pytest.mark.slow


def start_hub(data_dir: Path, port: int, *extra: str, **kwargs: object) -> ChildProcess:
    return ChildProcess(
        [HUB_SCRIPT, "up", "--data-dir", str(data_dir), "--port", str(port), *extra], **kwargs
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_up_serves_then_stops_cleanly(tmp_path: Path, sig: int) -> None:
    data_dir, port = tmp_path / "data", free_port()
    # Port and data dir from the environment, as `make run` passes them.
    hub = ChildProcess(
        [HUB_SCRIPT, "up"], env={"HUB_DATA_DIR": str(data_dir), "HUB_PORT": str(port)}
    )
    try:
        hub.wait_for_line("Press Ctrl-C to stop")
        url = f"http://127.0.0.1:{port}"
        assert f"data dir:   {data_dir.resolve()}" in hub.text
        assert f"REST API:   {url}" in hub.text
        assert f"{url}/docs" in hub.text
        assert f"{url}/openapi.json" in hub.text
        assert wait_for_http(url + "/").json()["name"] == "cdchub"
        produce = subprocess.run(
            [HUB_SCRIPT, "produce", "t", "--url", url],
            input=b'{"n": 1}\n',
            capture_output=True,
            check=False,
        )
        assert (
            produce.returncode == 1
        )  # the topic does not exist yet, the server's message is shown
        assert b"topic 't' does not exist" in produce.stderr
        subprocess.run(
            [HUB_SCRIPT, "topics", "create", "t", "--url", url], check=True, capture_output=True
        )
        subprocess.run(
            [HUB_SCRIPT, "produce", "t", "--url", url],
            input=b'{"n": 1}\n',
            check=True,
            capture_output=True,
        )
        hub.signal_group(sig)
        assert hub.wait() == 0, hub.text
    finally:
        hub.stop()
    assert "cdchub stopped; the log in" in hub.text
    assert "Traceback" not in hub.text
    with Log(data_dir) as log:  # the lock was released and the record is on disk
        (record,) = log.read("t", 0, 0).records(0)
        assert record.value == b'{"n":1}'


def test_second_hub_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    first = start_hub(tmp_path, free_port())
    try:
        first.wait_for_line("Press Ctrl-C to stop")
        second = start_hub(tmp_path, free_port())
        assert second.wait() == 1
        assert "Error:" in second.text
        assert "Traceback" not in second.text
        assert str(tmp_path) in second.text or "lock" in second.text.lower()
    finally:
        first.signal_group(signal.SIGTERM)
        first.wait()
        first.stop()


def test_busy_port_fails_and_releases_the_log(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        hub = start_hub(tmp_path, busy.getsockname()[1])
        try:
            assert hub.wait() == 1, hub.text
        finally:
            hub.stop()
    assert "could not listen" in hub.text
    Log(tmp_path).close()  # not left locked


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))


def test_full_disk_is_507_and_earlier_data_stays_readable(tmp_path: Path) -> None:
    port = free_port()
    hub = start_hub(tmp_path, port, preexec_fn=_limit_file_size)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", child=hub)
        with httpx.Client(base_url=url, timeout=30) as client:
            client.post("/topics", json={"name": "big"})
            chunk = {"records": [{"value": "x" * 1000} for _ in range(50)]}
            stored = 0
            for _ in range(40):
                resp = client.post("/topics/big/records", json=chunk)
                if resp.status_code != 200:
                    break
                stored += 50
            assert resp.status_code == 507, resp.text
            assert resp.json()["error_code"] == 50701
            assert stored > 0
            got = 0
            offset = 0
            while offset < stored:
                page = client.get("/topics/big/partitions/0/records", params={"offset": offset})
                assert page.status_code == 200, page.text
                got += len(page.json())
                offset = int(page.headers["x-hub-next-offset"])
            assert got == stored
            assert client.get("/topics/big/partitions/0/offsets").json()["end_offset"] == stored
    finally:
        hub.signal_group(signal.SIGTERM)
        hub.wait()
        hub.stop()


def test_up_with_an_auth_file_requires_credentials(tmp_path: Path) -> None:
    auth = tmp_path / "auth.json"
    auth.write_text('{"users": {}, "tokens": ["tok-123"]}')
    port = free_port()
    hub = start_hub(tmp_path / "data", port, "--auth-file", str(auth))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", child=hub)
        assert httpx.get(url + "/topics").status_code == 401
        ok = httpx.get(url + "/topics", headers={"authorization": "Bearer tok-123"})
        assert ok.status_code == 200, ok.text
    finally:
        hub.signal_group(signal.SIGTERM)
        hub.wait()
        hub.stop()


def test_unusable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    hub = start_hub(tmp_path / "file" / "data", free_port())
    try:
        assert hub.wait() == 1
    finally:
        hub.stop()
    assert "cannot use" in hub.text
    assert "--data-dir" in hub.text
    assert "Traceback" not in hub.text


def test_ctrl_c_answers_waiting_long_polls_at_once(tmp_path: Path) -> None:
    port = free_port()
    hub = start_hub(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", child=hub)
        httpx.post(url + "/topics", json={"name": "t"})
        with ThreadPoolExecutor(1) as pool:
            poll = pool.submit(
                httpx.get,
                url + "/topics/t/partitions/0/records",
                params={"max_wait_ms": 30000},
                timeout=60,
            )
            time.sleep(1)
            started = time.monotonic()
            hub.signal_group(signal.SIGINT)
            assert hub.wait() == 0, hub.text
            assert time.monotonic() - started < 5
            assert poll.result().json() == []
    finally:
        hub.stop()
