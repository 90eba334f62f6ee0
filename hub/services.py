"""The long-lived objects of one hub process, built once and closed once.

Routers, workers and the registry all receive the same :class:`HubServices`,
so there is exactly one :class:`~hub.core_log.Log` per data directory (the log
also enforces that with its lock file) and one place that knows the shutdown
order: whatever was registered with :meth:`HubServices.on_close` first is
closed last, and the log itself is closed after everything that writes to it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from hub.config import HubConfig
from hub.core_log import GroupOffsets, Log

_log = logging.getLogger(__name__)


class HubServices:
    """Owns the log and everything that lives on it for the life of the process.

    Attributes:
        config: the settings the hub was started with.
        stopping: set once shutdown begins; long waits should check it.
        data_dir: the log's directory.
        log: the embedded partitioned log.
        groups: committed consumer-group offsets (stored on the log).
    """

    def __init__(self, config: HubConfig, log: Log, groups: GroupOffsets) -> None:
        self.config = config
        self.data_dir: Path = config.data_dir
        self.log = log
        self.groups = groups
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._closed = False
        self.stopping = threading.Event()

    @classmethod
    def open(cls, config: HubConfig) -> HubServices:
        """Open (or create) the log under ``config.data_dir`` and rebuild group state.

        Raises:
            hub.core_log.errors.LogDirLockedError: another process uses the directory.
        """
        log = Log(config.data_dir, defaults=dict(config.log_defaults) or None)
        try:
            groups = GroupOffsets(log)
        except BaseException:
            log.close()
            raise
        return cls(config, log, groups)

    def on_close(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` at shutdown, before the log closes; later registrations run first."""
        with self._lock:
            if self._closed:
                msg = "the hub is already closed; register closers before shutdown"
                raise RuntimeError(msg)
            self._closers.append(fn)

    def begin_shutdown(self) -> None:
        """Tell long-running calls (long-polls) to return now: the process is stopping.

        The server waits for in-flight requests before :meth:`close`; without this a
        consumer long-polling for 30 s would hold Ctrl-C up for 30 s.
        """
        self.stopping.set()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run (the log is then flushed and unlocked)."""
        return self._closed

    def close(self) -> None:
        """Run the registered closers in reverse order, then flush, fsync and close the log.

        Safe to call twice. A failing closer is logged and does not stop the others,
        because the log must be closed (fsynced, lock released) whatever happens.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.stopping.set()
            closers = list(reversed(self._closers))
            self._closers.clear()
        for fn in closers:
            try:
                fn()
            except Exception:
                _log.exception("closer %r failed during shutdown; continuing", fn)
        self.log.close()

    def __enter__(self) -> HubServices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
