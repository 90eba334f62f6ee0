"""Helpers of the sink tests: a DLQ-capturing context and Debezium-shaped records."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from connectors.api import (
    ErrantRecordReporter,
    Headers,
    Schema,
    SchemaBuilder,
    SinkRecord,
    SinkTask,
    Struct,
)
from tests.support.debezium import envelope, envelope_schema
from tests.support.sdk_harness import HarnessSinkTaskContext

PLACEHOLDER = "__debezium_unavailable_value"


class CapturingReporter(ErrantRecordReporter):
    """Collects what a sink sends to the dead letter queue."""

    def __init__(self) -> None:
        self.reported: list[tuple[SinkRecord, BaseException]] = []

    def report(self, record: SinkRecord, error: BaseException) -> Future[None]:
        self.reported.append((record, error))
        done: Future[None] = Future()
        done.set_result(None)
        return done


class DlqContext(HarnessSinkTaskContext):
    """The harness context plus an errant record reporter (errors.tolerance=all)."""

    def __init__(self, config: Mapping[str, str], *, tolerate: bool = True) -> None:
        super().__init__(config)
        self.reporter = CapturingReporter()
        self.tolerate = tolerate

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self.reporter if self.tolerate else None


def start_task(cls: type[SinkTask], config: Mapping[str, str], *, tolerate: bool = True) -> Any:
    """Build, initialize and start a sink task the way the worker does."""
    task = cls()
    task.initialize(DlqContext(config, tolerate=tolerate))
    task.start(dict(config))
    return task


def dead_letters(task: SinkTask) -> list[tuple[SinkRecord, BaseException]]:
    assert isinstance(task.context, DlqContext)
    return task.context.reporter.reported


KEY = SchemaBuilder.struct().name("pg.public.items.Key").field("id", Schema.INT32_SCHEMA).build()
ROW = (
    SchemaBuilder.struct()
    .name("pg.public.items.Value")
    .field("id", Schema.INT32_SCHEMA)
    .field("name", Schema.OPTIONAL_STRING_SCHEMA)
    .field("qty", Schema.OPTIONAL_INT64_SCHEMA)
    .field("note", Schema.OPTIONAL_STRING_SCHEMA)
    .optional()
    .build()
)
SOURCE = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.Source")
    .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
    .field("table", Schema.OPTIONAL_STRING_SCHEMA)
    .build()
)
ENVELOPE = envelope_schema("pg.public.items.Envelope", ROW, SOURCE)
TOPIC = "pg.public.items"


def key(i: int) -> Struct:
    return Struct(KEY).put("id", i)


def row(i: int, name: str | None = None, qty: int | None = None, note: str | None = None) -> Struct:
    return Struct(ROW).put("id", i).put("name", name).put("qty", qty).put("note", note)


class EventLog:
    """Builds Debezium change events with increasing offsets (one partition), like the log."""

    def __init__(self, topic: str = TOPIC) -> None:
        self.topic = topic
        self.offset = 0
        self.records: list[SinkRecord] = []

    def _add(
        self, k: Struct, value: Any, schema: Schema | None, headers: dict[str, Any] | None = None
    ) -> SinkRecord:
        h = Headers()
        for name, v in (headers or {}).items():
            h.add(name, v, KEY)
        record = SinkRecord(self.topic, 0, KEY, k, schema, value, kafka_offset=self.offset,
                            timestamp=1_700_000_000_000 + self.offset, headers=h)  # fmt: skip
        self.offset += 1
        self.records.append(record)
        return record

    def envelope(self, op: str, before: Struct | None, after: Struct | None) -> Struct:
        source = Struct(SOURCE).put("lsn", 1000 + self.offset * 8).put("table", "items")
        return envelope(ENVELOPE, op, before, after, source, 1)

    def create(self, r: Struct, headers: dict[str, Any] | None = None) -> SinkRecord:
        return self._add(key(r.get("id")), self.envelope("c", None, r), ENVELOPE, headers)

    def update(self, r: Struct) -> SinkRecord:
        return self._add(key(r.get("id")), self.envelope("u", None, r), ENVELOPE)

    def delete(
        self,
        i: int,
        *,
        tombstone: bool = True,
        before: Struct | None = None,
        headers: dict[str, Any] | None = None,
    ) -> list[SinkRecord]:
        old = before if before is not None else row(i)
        out = [self._add(key(i), self.envelope("d", old, None), ENVELOPE, headers)]
        if tombstone:
            out.append(self._add(key(i), None, None))
        return out

    def change_key(self, old: int, new: Struct) -> list[SinkRecord]:
        """A primary-key change: delete (old key) + tombstone + create (new key), with
        Debezium's ``__debezium.newkey``/``__debezium.oldkey`` headers."""
        out = self.delete(old, headers={"__debezium.newkey": key(new.get("id"))})
        out.append(self.create(new, headers={"__debezium.oldkey": key(old)}))
        return out


class RestartableRedis:
    """A redis-server that can be stopped and started again on the same port (outages)."""

    def __init__(self, *extra: str) -> None:
        import tempfile

        from tests.fixtures.net import free_port

        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="cdchub-redis-restart-")
        self.extra = extra
        self.process: Any = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import subprocess
        import time

        from tests.fixtures.redis import REDIS_SERVER

        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                self.directory, "--save", "", "--appendonly", "no", *self.extra]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 10
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        import shutil

        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
