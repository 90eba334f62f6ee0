"""Background maintenance: time-based flushing, retention and compaction.

Two daemon threads per :class:`~hub.core_log.log.Log`:

* the *flusher* wakes a few times per second and fsyncs partitions whose
  unflushed data is older than their ``flush.ms`` (default 1 s), so an
  acknowledged record is on disk within about a second even without
  ``fsync.on.append``;
* the *cleaner* runs every ``maintenance_interval_ms``: it deletes whole old
  segments by ``retention.ms`` / ``retention.bytes`` (never the active one),
  compacts ``cleanup.policy=compact`` partitions and closes the descriptors of
  removed segments once ``file.delete.delay.ms`` has passed.

Neither thread holds a partition lock while doing I/O, so appends proceed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable

from hub.core_log.compaction import compact_partition
from hub.core_log.errors import LogError
from hub.core_log.partition import Partition, now_ms
from hub.core_log.segment import LogSegment

log = logging.getLogger(__name__)


def segment_age_reference(segment: LogSegment) -> int:
    """The timestamp retention compares against: the largest record timestamp, else mtime."""
    if segment.max_timestamp >= 0:
        return segment.max_timestamp
    with contextlib.suppress(OSError):
        return int(os.fstat(segment.fd).st_mtime * 1000)
    return now_ms()


def apply_retention(partition: Partition, now: int) -> int:
    """Delete leading segments past ``retention.ms`` or beyond ``retention.bytes``."""
    config = partition.config
    if not config.cleanup_delete:
        return 0

    def expired(segment: LogSegment, total_bytes: int) -> bool:
        if config.retention_ms >= 0 and now - segment_age_reference(segment) > config.retention_ms:
            return True
        return 0 <= config.retention_bytes <= total_bytes - segment.size

    return partition.delete_oldest(expired)


class Maintenance:
    """The flusher and cleaner threads of one log."""

    def __init__(self, partitions: Callable[[], list[Partition]], interval_ms: int) -> None:
        self._partitions = partitions
        self._interval = max(interval_ms, 10) / 1000
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._run_lock = threading.Lock()

    def start(self) -> None:
        for name, target in (("flusher", self._flush_loop), ("cleaner", self._clean_loop)):
            thread = threading.Thread(target=target, name=f"cdchub-log-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def _tick(self) -> float:
        flush_ms = [p.config.flush_ms for p in self._partitions()]
        return min([1000, *flush_ms]) / 2000 if flush_ms else 0.5

    def _flush_loop(self) -> None:
        while not self._stop.wait(max(self._tick(), 0.01)):
            now = now_ms()
            for partition in self._partitions():
                try:
                    partition.flush_if_due(now)
                except (OSError, ValueError, LogError):
                    log.exception("background flush of %s-%d failed", *_name(partition))

    def _clean_loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.run_once()

    def run_once(self) -> None:
        """Retention, compaction and descriptor cleanup for every partition, now."""
        with self._run_lock:
            for partition in self._partitions():
                if self._stop.is_set() and threading.current_thread() in self._threads:
                    return
                self._maintain(partition)

    @staticmethod
    def _maintain(partition: Partition) -> None:
        if partition.closed:
            return
        try:
            now = now_ms()
            apply_retention(partition, now)
            if partition.config.cleanup_compact:
                compact_partition(partition, now)
            partition.close_retired()
        except (OSError, LogError):
            log.exception("maintenance of %s-%d failed", *_name(partition))


def _name(partition: Partition) -> tuple[str, int]:
    return partition.topic, partition.index
