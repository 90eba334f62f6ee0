"""The peer: Redis Streams on a private redis-server started for the benchmark.

The server runs on a free port in a temporary directory and is stopped
afterwards, so the machine's own Redis (if any) is never touched.  Its
durability is AOF with ``appendfsync everysec``: every write reaches the
kernel at once and is fsynced about once a second, the closest match to the
log's default time-based flush policy (see docs/performance.md).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from hub.bench.dataset import KeyValue, chunks
from hub.bench.errors import BenchError

STREAM = b"bench"
DURABILITY = (
    "Redis: appendonly yes, appendfsync everysec (written at once, fsynced about every second)"
)


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """A redis-server child process for one benchmark run (context manager)."""

    def __init__(self, executable: str, directory: Path) -> None:
        found = shutil.which(executable)
        if found is None:
            msg = (
                f"redis-server not found at {executable!r}; install it"
                " (apt-get install redis-server) or run the benchmark without Redis (--no-redis)"
            )
            raise BenchError(msg)
        self.executable = found
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(self.directory), "--save", "", "--appendonly", "yes"]
        args += ["--appendfsync", "everysec", "--protected-mode", "no", "--daemonize", "no"]
        args += ["--logfile", str(self.directory / "redis.log")]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 10.0) -> None:
        client = self.client()
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                client.close()
                return
            except Exception as exc:  # any failure means "not up yet"
                assert self.process is not None
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = self.directory / "redis.log"
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    msg = f"redis-server did not start on port {self.port}: {exc}\n{tail}"
                    raise BenchError(msg) from exc
                time.sleep(0.05)

    def client(self) -> Any:
        """A redis-py client (imported here: redis is a dev/benchmark dependency only)."""
        try:
            import redis
        except ImportError as exc:
            msg = (
                "the Redis peer needs redis-py: pip install 'cdchub[dev]' (or run with --no-redis)"
            )
            raise BenchError(msg) from exc
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=False)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


def describe_client(client: Any) -> str:
    """Server version, client library and reply parser: what the peer's figures depend on most."""
    import redis
    from redis.utils import HIREDIS_AVAILABLE

    server = client.info("server").get("redis_version", "?")
    if HIREDIS_AVAILABLE:
        import hiredis

        parser = f"the hiredis {hiredis.__version__} C parser"
    else:
        parser = "its pure-Python parser (pip install hiredis for the peer at its best)"
    return f"Redis peer: redis-server {server}, redis-py {redis.__version__} with {parser}"


def produce(client: Any, records: Sequence[KeyValue], batch_size: int) -> float:
    """XADD every record (fields k and v) through pipelines of ``batch_size``; return seconds."""
    start = time.perf_counter()
    for chunk in chunks(records, batch_size):
        pipe = client.pipeline(transaction=False)
        for key, value in chunk:
            pipe.xadd(STREAM, {b"k": key, b"v": value})
        pipe.execute()
    return time.perf_counter() - start


def consume(client: Any, expected: int, count: int = 10_000) -> tuple[float, int, KeyValue | None]:
    """XREAD the whole stream ``count`` entries at a time, decoded to (key, value).

    Returns (seconds, records read, last record) so the caller can check that
    Redis handed back what was written.
    """
    start = time.perf_counter()
    last_id = b"0-0"
    total = 0
    last: KeyValue | None = None
    while total < expected:
        reply = client.xread({STREAM: last_id}, count=count)
        if not reply:
            break
        entries = reply[0][1]
        pairs = [(fields[b"k"], fields[b"v"]) for _, fields in entries]
        total += len(pairs)
        last_id = entries[-1][0]
        last = pairs[-1]
    return time.perf_counter() - start, total, last
