"""Write one batch of changes to Redis: one pipeline, retried as a whole on transient errors.

A batch is sent as one pipeline (inside MULTI/EXEC with ``redis.transactional``), in log
order, so the last change of a key wins. Transient failures (connection loss, READONLY,
LOADING, CLUSTERDOWN, ...) retry the whole batch with exponential backoff and jitter for up
to ``redis.retry.timeout.ms``: writing a batch again is harmless because the commands
set state rather than add to it. Per-command failures (WRONGTYPE) are handed back with the
index of their change, for the dead letter queue.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from connectors.api import ConnectError
from connectors.sinks.redis.config import RedisSinkSettings
from connectors.sinks.redis.errors import classify, exhausted_error, terminal_error

Command = tuple[Any, ...]


def _tls_uri(settings: RedisSinkSettings, uri: str) -> str:
    if settings.tls and uri.startswith("redis://"):
        return "rediss://" + uri[len("redis://") :]
    return uri


def client_options(settings: RedisSinkSettings) -> dict[str, Any]:
    """Keyword arguments for redis-py from the settings (auth, TLS, timeouts)."""
    options: dict[str, Any] = {
        "socket_timeout": settings.timeout_s,
        "socket_connect_timeout": min(settings.timeout_s, 5.0),
    }
    if settings.username is not None:
        options["username"] = settings.username
    if settings.password is not None:
        options["password"] = settings.password
    uses_tls = settings.tls or settings.uri.startswith("rediss://")
    if uses_tls:
        options["ssl_cert_reqs"] = "none" if settings.insecure else "required"
        options["ssl_check_hostname"] = not settings.insecure
        if settings.ca_file:
            options["ssl_ca_certs"] = settings.ca_file
        if settings.cert_file:
            options["ssl_certfile"] = settings.cert_file
            options["ssl_keyfile"] = settings.key_file
    return options


def connect(settings: RedisSinkSettings) -> Any:
    """A redis-py client (standalone or cluster); redis is imported only here."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    options = client_options(settings)
    uris = [_tls_uri(settings, u.strip()) for u in settings.uri.split(",") if u.strip()]
    if settings.cluster:
        from redis.cluster import ClusterNode, RedisCluster

        node: Any = ClusterNode
        nodes = [node(*_host_port(u)) for u in uris]
        first = urlsplit(uris[0])
        auth = {"username": first.username, "password": first.password}
        auth = {k: unquote(v) for k, v in auth.items() if v}
        return RedisCluster(startup_nodes=nodes, **{**auth, **options})
    return redis.Redis.from_url(uris[0], retry=Retry(NoBackoff(), 0), **options)


def _host_port(uri: str) -> tuple[str, int]:
    parts = urlsplit(uri if "://" in uri else f"redis://{uri}")
    return parts.hostname or "localhost", parts.port or 6379


class RedisWriter:
    """Owns the client; :meth:`write` runs one batch's commands with retries."""

    def __init__(self, settings: RedisSinkSettings, stopping: threading.Event) -> None:
        self.s = settings
        self.stopping = stopping
        self.client: Any = None
        self.retries = 0

    def open(self) -> None:
        """Connect lazily-checked: the first batch reports an unreachable server."""
        self.client = connect(self.s)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def write(self, commands: Sequence[Command]) -> list[Any]:
        """Results aligned with ``commands`` (exceptions in place of per-command errors)."""
        if not commands:
            return []
        start = time.monotonic()
        delay = self.s.backoff_s
        while True:
            error = self._attempt(commands)
            if isinstance(error, list):
                return error
            waited = time.monotonic() - start
            if self.stopping.is_set() or waited + delay > self.s.retry_timeout_s:
                raise exhausted_error(error, self._where(), waited)
            self.retries += 1
            self.stopping.wait(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.s.backoff_max_s)

    def _attempt(self, commands: Sequence[Command]) -> list[Any] | BaseException:
        """The results, or the transient error to retry after (terminal ones raise)."""
        if self.client is None:
            self.open()
        try:
            results = self._pipeline(commands)
        except ConnectError:
            raise
        except Exception as exc:
            if classify(exc) == "terminal":
                raise terminal_error(exc, self._where()) from exc
            self._reset()
            return exc
        for result in results:
            if isinstance(result, Exception):
                kind = classify(result)
                if kind == "transient":
                    return result
                if kind == "terminal":
                    raise terminal_error(result, self._where())
        return results

    def _pipeline(self, commands: Sequence[Command]) -> list[Any]:
        pipe = self.client.pipeline(transaction=self.s.transactional)
        execute = pipe.execute_command
        for command in commands:
            execute(*command)
        results: list[Any] = list(pipe.execute(raise_on_error=False))
        return results

    def _reset(self) -> None:
        """Drop pooled connections so the next attempt reconnects (standalone)."""
        if self.client is not None and not self.s.cluster:
            self.client.connection_pool.reset()

    def _where(self) -> str:
        uri = self.s.uri
        if "@" in uri:  # never show credentials
            scheme, _, rest = uri.partition("://")
            uri = f"{scheme}://***@{rest.rpartition('@')[2]}"
        return uri
