"""Settings of one hub process, read from the command line and the environment.

`hub up` options win over environment variables, which win over the defaults
below, so `make run` (which passes ``HUB_DATA_DIR``/``HUB_HOST``/``HUB_PORT``
through) and a bare `hub up` agree on where things are.
"""

from __future__ import annotations

import ctypes
import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = "./hub-data"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8083
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """A setting has a value the hub cannot use; the message names the variable."""


def parse_bool(name: str, raw: str) -> bool:
    """Read a yes/no setting the way shells and .env files usually spell it."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    msg = f"{name}={raw!r} is not a boolean; use true or false"
    raise ConfigError(msg)


def parse_positive_int(name: str, raw: str) -> int:
    """Read a count setting, rejecting zero and negatives with a message naming it."""
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        msg = f"{name}={raw!r} must be a positive integer"
        raise ConfigError(msg)
    return value


@dataclass(frozen=True)
class HubConfig:
    """Everything `hub up` needs to start; immutable once the process runs.

    Attributes:
        data_dir: where the log keeps its topics (and its lock file).
        host: interface the REST API listens on.
        port: REST API port (8083, Kafka Connect's usual port).
        auto_create_topics: create an unknown topic on its first produce instead of
            answering 404. Off by default so a typo in a topic name is noticed.
        auto_create_partitions: partition count of auto-created topics.
        log_defaults: broker-wide topic config defaults handed to the log.
        auth_file: JSON file of users/tokens; when set, the REST API requires them
            (see hub/api/auth.py). Env ``HUB_AUTH_FILE``.
    """

    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR))
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    auto_create_topics: bool = False
    auto_create_partitions: int = 1
    log_defaults: Mapping[str, str] = field(default_factory=dict)
    auth_file: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.data_dir, Path):  # accept str from callers without mypy
            object.__setattr__(self, "data_dir", Path(self.data_dir))

    @property
    def url(self) -> str:
        """Base URL of the REST API as a client on this machine reaches it."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> HubConfig:
        """Build a config from ``HUB_*`` variables, then apply non-None overrides.

        Raises:
            ConfigError: a variable holds a value of the wrong type.
        """
        env = os.environ if env is None else env
        values: dict[str, object] = {
            "data_dir": Path(env.get("HUB_DATA_DIR", DEFAULT_DATA_DIR)),
            "host": env.get("HUB_HOST", DEFAULT_HOST),
            "port": parse_positive_int("HUB_PORT", env.get("HUB_PORT", str(DEFAULT_PORT))),
            "auto_create_topics": parse_bool(
                "HUB_AUTO_CREATE_TOPICS", env.get("HUB_AUTO_CREATE_TOPICS", "false")
            ),
            "auto_create_partitions": parse_positive_int(
                "HUB_AUTO_CREATE_PARTITIONS", env.get("HUB_AUTO_CREATE_PARTITIONS", "1")
            ),
        }
        if env.get("HUB_AUTH_FILE"):
            values["auth_file"] = Path(env["HUB_AUTH_FILE"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


M_TOP_PAD = -2  # glibc mallopt parameter numbers (malloc.h)
ALLOCATOR_TOP_PAD = 16 << 20


def tune_allocator(top_pad: int = ALLOCATOR_TOP_PAD) -> bool:
    """Keep some freed heap instead of returning it to the OS after every request.

    Serializing a produce request allocates one short-lived buffer per record;
    with glibc's defaults the heap is trimmed after each request and grown again
    by the next, page-faulting on every value (about 2 µs per record, measured).
    Keeping ``top_pad`` bytes of slack makes that cost vanish. Returns False (and
    changes nothing) where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_TOP_PAD, top_pad))


GC_THRESHOLDS = (50_000, 20, 10)
"""Collections per allocations: generation 0 every 50k (Python's default is 700)."""


def tune_gc(thresholds: tuple[int, int, int] = GC_THRESHOLDS) -> None:
    """Freeze what startup built and collect cyclic garbage less often.

    A pipeline allocates several short-lived objects per record (structs, dicts, bytes),
    almost all freed by reference counting. With the default thresholds the cycle
    collector still ran about 11,000 times per million records, and each full collection
    walked every module, class and function of the process: about 15% of the CPU of a
    transform pipeline, measured. ``gc.freeze`` moves the startup objects out of the
    collector's sight; the thresholds let a young generation of 50k objects die first.
    """
    gc.freeze()
    gc.set_threshold(*thresholds)


def tune_process() -> None:
    """The allocator and collector settings of a long-running hub process."""
    tune_allocator()
    tune_gc()
