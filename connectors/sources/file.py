"""File source: tail files (one path or globs) into a topic, one record per line or per event.

A drop-in for Kafka's ``FileStreamSource``: the same keys (``file``, ``topic``,
``batch.size``) and the same records (value = the line as a STRING, key null, source
partition ``{"filename": path}``, offset ``{"position": n}``). On top of that it follows
rotation and truncation, tails many files by glob, and can join multi-line events
(stack traces) with a start-of-record regex.

The offset stores the file identity next to the position (see
:mod:`connectors.sources.file_tail`), so a restart resumes in the same file or starts a
rotated-in file from its beginning; old FileStreamSource offsets (position only) still work.
"""

from __future__ import annotations

import codecs
import glob
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

from connectors.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigType,
    ConfiguredConnector,
    ConfigValue,
    Importance,
    NonEmptyString,
    OffsetColumn,
    Range,
    Schema,
    SourceConnector,
    SourceRecord,
    SourceRecordBatch,
    SourceTask,
    ValidString,
)
from connectors.sources.file_tail import Tailer

_ASCII_COMPATIBLE = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252"})
"""Codecs (by their canonical name) in which byte 0x0A is always a newline."""

VERSION = "1.0.0"
_G_FILES, _G_FORMAT = "Files", "Records"


def _regex(name: str, value: Any) -> None:
    if value:
        try:
            re.compile(value)
        except re.error as exc:
            msg = f"not a valid regular expression ({exc}); escape special characters"
            raise ValueError(msg) from None


def _encoding(name: str, value: Any) -> None:
    """Lines are split on the byte 0x0A, so the encoding must write newline as that byte."""
    try:
        newline = "\n".encode(value)
    except LookupError:
        msg = f"unknown encoding {value!r}; use a Python codec name such as utf-8 or latin-1"
        raise ValueError(msg) from None
    if newline != b"\n":
        msg = f"{value} does not encode newline as one 0x0A byte; use utf-8, latin-1, cp1252..."
        raise ValueError(msg)


CONFIG_DEF = (
    ConfigDef()
    .define("file", ConfigType.STRING, "", None, Importance.HIGH,
            "The file to tail, or a glob pattern (``/var/log/app/*.log``) for many files. "
            "Same key as FileStreamSource.", group=_G_FILES, order=1)
    .define("files", ConfigType.LIST, "", None, Importance.HIGH,
            "More paths or glob patterns, comma-separated; each matching file is a source "
            "partition of its own.", group=_G_FILES, order=2)
    .define("topic", ConfigType.STRING, NO_DEFAULT, NonEmptyString(), Importance.HIGH,
            "The topic to write the records to.", group=_G_FORMAT, order=1)
    .define("batch.size", ConfigType.INT, 2000, Range.at_least(1), Importance.LOW,
            "The most records returned by one poll.", group=_G_FORMAT, order=2)
    .define("multiline.pattern", ConfigType.STRING, "", _regex, Importance.MEDIUM,
            "A regex matching the first line of a record (e.g. ``^\\d{4}-\\d{2}-\\d{2}``); "
            "following lines that do not match are appended to it with a newline. Empty: "
            "one record per line.", group=_G_FORMAT, order=3)
    .define("multiline.max.lines", ConfigType.INT, 500, Range.at_least(1), Importance.LOW,
            "A multi-line record is cut after this many lines.", group=_G_FORMAT, order=4)
    .define("multiline.flush.ms", ConfigType.LONG, 1000, Range.at_least(0), Importance.LOW,
            "An incomplete multi-line record is emitted after the file stayed idle this long.",
            group=_G_FORMAT, order=5)
    .define("file.encoding", ConfigType.STRING, "utf-8", _encoding, Importance.LOW,
            "The files' text encoding; undecodable bytes become U+FFFD.", group=_G_FORMAT,
            order=6)
    .define("read.from", ConfigType.STRING, "beginning", ValidString("beginning", "end"),
            Importance.MEDIUM, "Where to start in files that have no stored offset when the "
            "task starts: ``beginning`` (FileStreamSource's behaviour) or ``end``. Files "
            "appearing later are always read from their beginning.", group=_G_FILES, order=3)
    .define("file.scan.interval.ms", ConfigType.LONG, 1000, Range.at_least(10),
            Importance.LOW, "How often glob patterns are expanded again to find new files.",
            group=_G_FILES, order=4)
    .define("poll.wait.ms", ConfigType.LONG, 100, Range.between(0, 1000), Importance.LOW,
            "How long poll() waits for new data before returning an empty batch.",
            group=_G_FILES, order=5)
)  # fmt: skip


def _patterns(parsed: Mapping[str, Any]) -> list[str]:
    found = [parsed["file"]] if parsed.get("file") else []
    return found + [p for p in parsed.get("files") or [] if p]


def _check_files(values: Mapping[str, ConfigValue], config: Mapping[str, Any]) -> None:
    """The cross-key rule: ``file`` or ``files`` must name something."""
    if not values["file"].errors and not values["files"].errors:
        parsed = {"file": values["file"].value, "files": values["files"].value}
        if not _patterns(parsed):
            values["file"].errors.append(
                "Set 'file' (a path or glob) or 'files' (a list of them); both are empty."
            )


_MAX_LEFT = 10_000


def _file_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _offset_is_for(offset: dict[str, Any] | None, key: tuple[int, int]) -> bool:
    return offset is not None and (offset.get("device"), offset.get("inode")) == key


def _by_file_key(offsets: Sequence[dict[str, Any] | None]) -> dict[tuple[int, int], dict[str, Any]]:
    return {(o["device"], o["inode"]): o for o in offsets if o and "inode" in o and "device" in o}


class _Pending:
    """A multi-line record being assembled, with the resume point after its last line."""

    __slots__ = ("lines", "offset", "since")

    def __init__(self, line: str, offset: dict[str, Any]) -> None:
        self.lines, self.offset, self.since = [line], offset, time.monotonic()


class FileSourceTask(SourceTask):
    """Tails every file its patterns match; see the module docstring for the offsets."""

    def __init__(self) -> None:
        self._tailers: dict[str, Tailer] = {}
        self._pending: dict[str, _Pending] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._turn = 0
        self._left: dict[tuple[int, int], dict[str, Any]] = {}
        self._next_scan = 0.0
        self._first_scan = True

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        cfg = parse_file_config(config)
        self._topic: str = cfg["topic"]
        self._patterns = _patterns(cfg)
        self._batch: int = cfg["batch.size"]
        self._encoding: str = cfg["file.encoding"]
        self._ascii_compatible = codecs.lookup(self._encoding).name in _ASCII_COMPATIBLE
        self._multiline = re.compile(cfg["multiline.pattern"]) if cfg["multiline.pattern"] else None
        self._max_lines: int = cfg["multiline.max.lines"]
        self._flush_s = cfg["multiline.flush.ms"] / 1000
        self._from_end = cfg["read.from"] == "end"
        self._scan_s = cfg["file.scan.interval.ms"] / 1000
        self._wait_s = cfg["poll.wait.ms"] / 1000
        self._stopping.clear()
        self._scan()

    # -- discovery -------------------------------------------------------------------------
    def _matching_paths(self) -> list[str]:
        paths: list[str] = []
        for pattern in self._patterns:
            if glob.has_magic(pattern):
                paths.extend(sorted(p for p in glob.glob(pattern) if os.path.isfile(p)))
            else:
                paths.append(pattern)
        return list(dict.fromkeys(paths))  # as configured: FileStreamSource's partition keys

    def _scan(self) -> None:
        """Open newly matching files, resuming from their stored offsets.

        A file renamed to a name the patterns also match (``app.log`` -> ``app-1.log``)
        keeps its position: it is recognised by device+inode among the files this task left
        (or, after a restart, among the stored offsets of the paths scanned together).
        """
        self._next_scan = time.monotonic() + self._scan_s
        new = [p for p in self._matching_paths() if p not in self._tailers]
        if not new:
            self._first_scan = False
            return
        reader = self.context.offset_storage_reader() if self.context else None
        stored = reader.offsets([{"filename": p} for p in new]) if reader else [None] * len(new)
        known = {**_by_file_key(stored), **self._left}
        reading = {t.file_key for t in self._tailers.values()}
        for path, offset in zip(new, stored, strict=True):
            key = _file_key(path)
            if key is None or key in reading:
                continue  # gone, or still being read to its end under its old name
            if key in known and not _offset_is_for(offset, key):
                offset = known[key]
            tailer = Tailer(path, text=self._ascii_compatible and self._multiline is None)
            if tailer.open(offset, from_end=self._from_end and self._first_scan):
                self._tailers[path] = tailer
        self._first_scan = False

    def _remember_left(self, tailer: Tailer) -> None:
        """Keep where reading stopped in files a tailer left (bounded)."""
        self._left.update(tailer.retired)
        tailer.retired.clear()
        while len(self._left) > _MAX_LEFT:
            del self._left[next(iter(self._left))]

    # -- polling ---------------------------------------------------------------------------
    def poll(self) -> Sequence[SourceRecord]:
        with self._lock:
            if self._stopping.is_set():
                return []
            records = self._poll_files()
        if not records:
            self._stopping.wait(self._wait_s)
        return records

    def _poll_files(self) -> Sequence[SourceRecord]:
        """Read every file in turn (starting one further each time, so none starves).

        The lines of one file come back as a SourceRecordBatch (no record objects); when
        several files had lines, the batches are joined as one list of records.
        """
        if time.monotonic() >= self._next_scan:
            self._scan()
        parts: list[Sequence[SourceRecord]] = []
        count = 0
        tailers = list(self._tailers.items())
        self._turn = (self._turn + 1) % max(1, len(tailers))
        for path, tailer in tailers[self._turn :] + tailers[: self._turn]:
            room = self._batch - count
            if room <= 0:
                break
            read = self._read(tailer, room)
            if tailer.retired:
                self._remember_left(tailer)
            retired = self._retire(path, tailer) if tailer.gone else []
            for part in (read, retired):
                if part:
                    parts.append(part)
                    count += len(part)
        if len(parts) == 1:
            return parts[0]
        return [record for part in parts for record in part]

    def _read(self, tailer: Tailer, room: int) -> Sequence[SourceRecord]:
        if self._multiline is not None:
            return self._assemble(tailer, tailer.read_lines(room))
        if self._ascii_compatible:
            texts, ends = tailer.read_text_block(room, self._encoding)
        else:
            lines, ends = tailer.read_block(room)
            texts = list(map(bytes.decode, lines, repeat(self._encoding), repeat("replace")))
        if not texts:
            return []
        # offsets are {"position": <end of the line>, **identity}: held as one column
        offsets = OffsetColumn({"position": 0, **tailer.identity_offset}, "position", ends)
        part = {"filename": tailer.path}
        return SourceRecordBatch(self._topic, Schema.STRING_SCHEMA, texts, part, offsets)

    def _line_record(self, path: str, line: bytes, offset: dict[str, Any]) -> SourceRecord:
        return SourceRecord(
            self._topic, None, None, None, Schema.STRING_SCHEMA,
            line.decode(self._encoding, "replace"),
            source_partition={"filename": path}, source_offset=offset,
        )  # fmt: skip

    def _assemble(self, tailer: Tailer, lines: list[tuple[bytes, int]]) -> list[SourceRecord]:
        """Join continuation lines to the record they belong to (multi-line mode)."""
        assert self._multiline is not None
        out: list[SourceRecord] = []
        pending = self._pending.get(tailer.path)
        for raw, end in lines:
            line = raw.decode(self._encoding, "replace")
            starts = self._multiline.search(line) is not None
            if pending is not None and not starts and len(pending.lines) < self._max_lines:
                pending.lines.append(line)
                pending.offset, pending.since = tailer.offset_for(end), time.monotonic()
                continue
            if pending is not None:
                out.append(self._multi_record(tailer.path, pending))
            pending = _Pending(line, tailer.offset_for(end))
        if pending is not None and not lines and time.monotonic() - pending.since >= self._flush_s:
            out.append(self._multi_record(tailer.path, pending))
            pending = None
        if pending is None:
            self._pending.pop(tailer.path, None)
        else:
            self._pending[tailer.path] = pending
        return out

    def _multi_record(self, path: str, pending: _Pending) -> SourceRecord:
        return SourceRecord(
            self._topic, None, None, None, Schema.STRING_SCHEMA, "\n".join(pending.lines),
            source_partition={"filename": path}, source_offset=pending.offset,
        )  # fmt: skip

    def _retire(self, path: str, tailer: Tailer) -> list[SourceRecord]:
        """The file was deleted or moved away: emit what is left and stop tailing it."""
        last = tailer.take_partial()
        if self._multiline is None:
            records = [self._line_record(path, line, tailer.offset_for(end)) for line, end in last]
        else:
            records = self._assemble(tailer, last) if last else []
            pending = self._pending.pop(path, None)
            if pending is not None:
                records.append(self._multi_record(path, pending))
        key = tailer.file_key
        if key is not None:
            tailer.retired[key] = tailer.offset_for(tailer.position)
            self._remember_left(tailer)
        tailer.close()
        del self._tailers[path]
        return records

    def stop(self) -> None:
        """Safe from another thread: waits for a running poll() to finish, then closes."""
        self._stopping.set()
        with self._lock:
            for tailer in list(self._tailers.values()):
                tailer.close()
            self._tailers.clear()


class FileSourceConnector(ConfiguredConnector, SourceConnector):
    """Splits the configured paths/globs over at most ``tasks.max`` tasks."""

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = FileSourceTask
    VERSION = VERSION
    check_config = staticmethod(_check_files)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        patterns = _patterns(self.parse_config(self._config))
        count = max(1, min(max_tasks, len(patterns)))
        configs = []
        for i in range(count):
            mine = patterns[i::count]
            configs.append({**self._config, "file": "", "files": ",".join(mine)})
        return configs


parse_file_config = FileSourceConnector.parse_config
