"""Which Redis failures are transient (retry the batch) and which are terminal.

Three outcomes, by one table each:

* transient - the connection dropped, or the server said READONLY (a failover made this
  node a replica), LOADING (restarting from disk), CLUSTERDOWN/TRYAGAIN/MASTERDOWN
  (cluster reconfiguring), BUSY, OOM: the whole batch is written again after a backoff
  (every command the sink sends is idempotent except XADD);
* per record - WRONGTYPE and other command errors belong to one record: it goes to the
  dead letter queue with the server's reason, the rest of the batch stands;
* terminal - bad credentials or missing ACL permissions: retrying cannot help.

The ``redis`` package is imported here lazily, only when a task runs.
"""

from __future__ import annotations

from typing import Any

from connectors.api import ConnectError, RetriableError

TRANSIENT_PREFIXES = ("READONLY", "LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "BUSY",
                      "OOM", "NOREPLICAS")  # fmt: skip
TERMINAL_PREFIXES = ("NOAUTH", "WRONGPASS", "NOPERM")


class RedisTransientError(RetriableError):
    """The batch may succeed if written again later."""


class RedisRecordError(ConnectError):
    """One record cannot be written (e.g. WRONGTYPE); the DLQ gets it with this reason."""


def classify(exc: BaseException) -> str:
    """'transient', 'record' or 'terminal' for an exception raised by or returned from redis-py."""
    import redis.exceptions as rex

    if isinstance(exc, rex.AuthenticationError | rex.NoPermissionError | rex.AuthorizationError):
        return "terminal"
    if isinstance(exc, rex.ConnectionError | rex.TimeoutError | rex.ClusterError):
        return "transient"
    if isinstance(exc, rex.ReadOnlyError | rex.BusyLoadingError | rex.TryAgainError):
        return "transient"
    if isinstance(exc, rex.ClusterDownError | rex.MasterDownError | rex.OutOfMemoryError):
        return "transient"
    if isinstance(exc, rex.ResponseError):
        text = str(exc).upper()
        if text.startswith(TRANSIENT_PREFIXES):
            return "transient"
        if text.startswith(TERMINAL_PREFIXES):
            return "terminal"
        if "EXECABORT" in text:
            return "transient"
        return "record"
    return "terminal"


def terminal_error(exc: BaseException, uri: str) -> ConnectError:
    """A terminal failure with what to do next."""
    text = f"{type(exc).__name__}: {exc}"
    if any(p in text.upper() for p in ("WRONGPASS", "NOAUTH", "AUTHENTICATION")):
        return ConnectError(
            f"Redis at {uri} refused the credentials ({text}); check redis.username and "
            "redis.password (or the user:password in redis.uri)"
        )
    if "NOPERM" in text.upper():
        return ConnectError(
            f"The Redis ACL user lacks a permission the sink needs ({text}); grant it the "
            "commands HSET, HDEL, SET, DEL, EXPIRE, XADD, EVALSHA, MULTI, EXEC on its keys"
        )
    return ConnectError(f"Redis at {uri} failed: {text}")


def exhausted_error(exc: BaseException, uri: str, waited_s: float) -> RetriableError:
    """The retry budget ran out; retriable so the runtime's own retries may still help."""
    return RedisTransientError(
        f"Redis at {uri} still failing after {waited_s:.0f}s of retries ({type(exc).__name__}: "
        f"{exc}); check that the server is up and reachable, or raise redis.retry.timeout.ms"
    )


def is_error(result: Any) -> bool:
    """True for a per-command failure in a pipeline's results (raise_on_error=False)."""
    return isinstance(result, Exception)
