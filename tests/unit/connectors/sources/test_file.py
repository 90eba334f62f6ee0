"""File source: FileStream compatibility, resume, rotation, truncation, multi-line, globs."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from connectors.api import ConfigError, Schema
from connectors.plugins import default_registry
from connectors.sources.file import FileSourceConnector, FileSourceTask, parse_file_config
from tests.support.sdk_harness import (
    MemoryOffsetStore,
    ack,
    poll_for,
    poll_until,
    start_source_task,
)


def _config(path: Path | str, **extra: Any) -> dict[str, str]:
    return {"file": str(path), "topic": "lines", "poll.wait.ms": "5", **extra}


def _write(path: Path, *lines: str, newline: bool = True) -> None:
    with path.open("a") as f:
        f.write("\n".join(lines) + ("\n" if newline else ""))


def _values(records: list[Any]) -> list[str]:
    return [r.value for r in records]


def test_filestream_config_and_records(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _write(log, "one", "two")
    cls = default_registry().connector_class(
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    )
    assert cls is FileSourceConnector
    task = start_source_task(FileSourceTask, {"file": str(log), "topic": "t", "batch.size": "10"})
    records = poll_until(task, 2)
    task.stop()
    assert _values(records) == ["one", "two"]
    first = records[0]
    assert (first.topic, first.key, first.key_schema) == ("t", None, None)
    assert first.value_schema == Schema.STRING_SCHEMA
    assert first.source_partition == {"filename": str(log)}
    assert first.source_offset["position"] == 4
    assert records[1].source_offset["position"] == 8


def test_resume_from_committed_offset_loses_and_repeats_nothing(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _write(log, *[f"line {i}" for i in range(10)])
    store = MemoryOffsetStore()
    task = start_source_task(FileSourceTask, _config(log, **{"batch.size": "4"}), store)
    first = poll_until(task, 4)
    task.stop()
    task = start_source_task(FileSourceTask, _config(log, **{"batch.size": "4"}), store)
    rest = poll_until(task, 6, exact=False)
    assert poll_for(task, 0.05) == []
    task.stop()
    assert _values(first + rest) == [f"line {i}" for i in range(10)]


def test_partial_line_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _write(log, "whole", "half", newline=False)
    task = start_source_task(FileSourceTask, _config(log))
    assert _values(poll_until(task, 1)) == ["whole"]
    assert poll_for(task, 0.05) == []
    _write(log, "-done")
    assert _values(poll_until(task, 1)) == ["half-done"]
    task.stop()


def test_crlf_terminators_are_stripped(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"dos\r\nunix\n")
    task = start_source_task(FileSourceTask, _config(log))
    assert _values(poll_until(task, 2)) == ["dos", "unix"]
    task.stop()


def test_follows_rotation_without_losing_late_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "a1", "a2")
    task = start_source_task(FileSourceTask, _config(log))
    got = poll_until(task, 2)
    _write(log, "a3")  # written before the rename: still in the old file
    os.rename(log, tmp_path / "app.log.1")
    _write(tmp_path / "app.log.1", "a4", "tail-without-newline", newline=False)
    _write(log, "b1", "b2")  # the new file at the same path
    got += poll_until(task, 5, exact=False)
    task.stop()
    assert _values(got) == ["a1", "a2", "a3", "a4", "tail-without-newline", "b1", "b2"]
    new_inode = os.stat(log).st_ino
    assert got[-1].source_offset["inode"] == new_inode
    assert got[-1].source_offset["position"] == 6
    assert got[0].source_offset["inode"] != new_inode


def test_truncation_restarts_at_the_beginning(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "old line 1", "old line 2")
    task = start_source_task(FileSourceTask, _config(log))
    poll_until(task, 2)
    log.write_text("")  # copytruncate
    assert poll_for(task, 0.05) == []
    _write(log, "new")
    records = poll_until(task, 1)
    task.stop()
    assert _values(records) == ["new"]
    assert records[0].source_offset["position"] == 4


def test_restart_after_rotation_while_down_reads_the_new_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "before-1", "before-2")
    store = MemoryOffsetStore()
    task = start_source_task(FileSourceTask, _config(log), store)
    poll_until(task, 2)
    task.stop()
    os.rename(log, tmp_path / "app.log.1")
    _write(log, "after-1", "after-2", "after-3")  # longer than the stored position
    task = start_source_task(FileSourceTask, _config(log), store)
    assert _values(poll_until(task, 3)) == ["after-1", "after-2", "after-3"]
    task.stop()


def test_restart_after_truncation_while_down(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "a long first line", "another long line")
    store = MemoryOffsetStore()
    task = start_source_task(FileSourceTask, _config(log), store)
    poll_until(task, 2)
    task.stop()
    log.write_text("short\n")
    task = start_source_task(FileSourceTask, _config(log), store)
    assert _values(poll_until(task, 1)) == ["short"]
    task.stop()


def test_filestream_position_only_offset_is_honoured(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _write(log, "skip", "keep")
    store = MemoryOffsetStore()
    store.commit({"filename": str(log)}, {"position": 5})
    task = start_source_task(FileSourceTask, _config(log), store)
    assert _values(poll_until(task, 1)) == ["keep"]
    task.stop()


def test_read_from_end_skips_existing_lines_of_files_without_offset(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _write(log, "history")
    task = start_source_task(FileSourceTask, _config(log, **{"read.from": "end"}))
    assert poll_for(task, 0.05) == []
    _write(log, "fresh")
    assert _values(poll_until(task, 1)) == ["fresh"]
    task.stop()


def test_missing_file_is_picked_up_when_it_appears(tmp_path: Path) -> None:
    log = tmp_path / "later.log"
    task = start_source_task(FileSourceTask, _config(log, **{"file.scan.interval.ms": "10"}))
    assert poll_for(task, 0.05) == []
    _write(log, "here now")
    assert _values(poll_until(task, 1)) == ["here now"]
    task.stop()


MULTI = {"multiline.pattern": r"^\d{4}-", "multiline.flush.ms": "50"}


def test_multiline_joins_continuation_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "2024-01-01 boom", "Traceback:", "  File x", "2024-01-01 ok", "2024-01-02 last")
    task = start_source_task(FileSourceTask, _config(log, **MULTI))
    records = poll_until(task, 2)  # the last record is still open
    assert _values(records) == ["2024-01-01 boom\nTraceback:\n  File x", "2024-01-01 ok"]
    assert records[0].source_offset["position"] == len("2024-01-01 boom\nTraceback:\n  File x\n")
    _write(log, "  continued")
    time.sleep(0.06)
    assert _values(poll_until(task, 1)) == ["2024-01-02 last\n  continued"]
    task.stop()


def test_multiline_resume_continues_at_the_next_record(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "2024 a", " a-more", "2024 b", " b-more", "2024 c", "2024 d")
    store = MemoryOffsetStore()
    config = _config(log, **{**MULTI, "multiline.pattern": "^2024"})
    task = start_source_task(FileSourceTask, config, store)
    polled = poll_until(task, 1, exact=False, acknowledge=False)
    assert _values(polled)[:2] == ["2024 a\n a-more", "2024 b\n b-more"]
    ack(task, polled[:1])
    task.stop()  # "b" and later were polled but never committed
    task = start_source_task(FileSourceTask, config, store)
    time.sleep(0.06)
    rest = poll_until(task, 3, exact=False)
    task.stop()
    assert _values(rest) == ["2024 b\n b-more", "2024 c", "2024 d"]


def test_multiline_cuts_records_at_max_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "START", "x", "x", "x", "START")
    config = _config(log, **{"multiline.pattern": "^START", "multiline.max.lines": "2"})
    task = start_source_task(FileSourceTask, config)
    assert _values(poll_until(task, 2)) == ["START\nx", "x\nx"]
    task.stop()


def test_glob_tails_every_matching_file_and_new_ones(tmp_path: Path) -> None:
    _write(tmp_path / "a.log", "a")
    _write(tmp_path / "b.log", "b")
    _write(tmp_path / "ignored.txt", "no")
    config = _config(tmp_path / "*.log", **{"file.scan.interval.ms": "10"})
    task = start_source_task(FileSourceTask, config)
    records = poll_until(task, 2)
    _write(tmp_path / "c.log", "c")
    records += poll_until(task, 1)
    task.stop()
    assert sorted(_values(records)) == ["a", "b", "c"]
    assert {r.source_partition["filename"] for r in records} == {
        str(tmp_path / n) for n in ("a.log", "b.log", "c.log")
    }


def test_batch_size_bounds_each_poll(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _write(log, *map(str, range(25)))
    task = start_source_task(FileSourceTask, _config(log, **{"batch.size": "10"}))
    sizes = [len(task.poll()) for _ in range(3)]
    task.stop()
    assert sizes == [10, 10, 5]


def test_task_configs_split_patterns(tmp_path: Path) -> None:
    connector = FileSourceConnector()
    connector.start({"files": "/a/*.log,/b/*.log,/c.log", "topic": "t"})
    configs = connector.task_configs(2)
    assert [c["files"] for c in configs] == ["/a/*.log,/c.log", "/b/*.log"]
    assert len(connector.task_configs(10)) == 3


def test_validation_reports_every_error_at_once() -> None:
    bad = {"batch.size": "0", "multiline.pattern": "([", "read.from": "middle",
           "file.encoding": "utf-16"}  # fmt: skip
    with pytest.raises(ConfigError) as info:
        parse_file_config(bad)
    assert set(info.value.errors) == {
        "topic",
        "batch.size",
        "multiline.pattern",
        "file.encoding",
        "read.from",
        "file",
    }
    values = {v.name: v.errors for v in FileSourceConnector().validate(bad)}
    assert "both are empty" in values["file"][0]
    assert "regular expression" in values["multiline.pattern"][0]


def test_stop_from_another_thread_while_polling(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _write(log, *map(str, range(1000)))
    task = start_source_task(FileSourceTask, _config(log, **{"batch.size": "1"}))
    errors: list[BaseException] = []
    done = threading.Event()

    def loop() -> None:
        try:
            while not done.is_set():
                task.poll()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=loop)
    thread.start()
    time.sleep(0.05)
    task.stop()
    assert task.poll() == []
    done.set()
    thread.join(2)
    assert errors == []


def test_busy_file_does_not_starve_the_others(tmp_path: Path) -> None:
    _write(tmp_path / "a.log", *["a"] * 100)
    _write(tmp_path / "b.log", "b")
    task = start_source_task(FileSourceTask, _config(tmp_path / "*.log", **{"batch.size": "10"}))
    first_two = [r.value for _ in range(2) for r in task.poll()]
    task.stop()
    assert "b" in first_two


def test_rotation_to_a_name_the_glob_matches_reads_nothing_twice(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "a1", "a2")
    config = _config(tmp_path / "app*.log", **{"file.scan.interval.ms": "10"})
    task = start_source_task(FileSourceTask, config)
    got = poll_until(task, 2)
    os.rename(log, tmp_path / "app-1.log")
    _write(tmp_path / "app-1.log", "a3")
    _write(log, "b1")
    got += poll_until(task, 2, exact=False)
    got += poll_for(task, 0.1)
    task.stop()
    assert sorted(_values(got)) == ["a1", "a2", "a3", "b1"]


def test_restart_after_rotation_to_a_matching_name_resumes_the_old_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    _write(log, "a1", "a2")
    store = MemoryOffsetStore()
    config = _config(tmp_path / "app*.log")
    task = start_source_task(FileSourceTask, config, store)
    poll_until(task, 2)
    task.stop()
    os.rename(log, tmp_path / "app-1.log")  # logrotate while the connector was down
    _write(tmp_path / "app-1.log", "a3")
    _write(log, "b1")
    task = start_source_task(FileSourceTask, config, store)
    rest = poll_until(task, 2, exact=False) + poll_for(task, 0.1)
    task.stop()
    assert sorted(_values(rest)) == ["a3", "b1"]


def test_same_inode_with_other_leading_bytes_is_another_file(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _write(log, "first line of a new file", "second")
    st = os.stat(log)
    store = MemoryOffsetStore()
    stale = {"position": 25, "device": st.st_dev, "inode": st.st_ino,
             "fingerprint": "0" * 24, "fingerprint.length": 10}  # fmt: skip
    store.commit({"filename": str(log)}, stale)  # an old file whose inode was reused
    task = start_source_task(FileSourceTask, _config(log), store)
    assert _values(poll_until(task, 2)) == ["first line of a new file", "second"]
    task.stop()
