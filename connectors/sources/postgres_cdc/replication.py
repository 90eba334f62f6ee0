"""PostgreSQL's streaming replication protocol over psycopg's libpq binding.

psycopg 3 has no replication API, but its ``pq`` layer exposes libpq's COPY-both calls, which
is all the protocol needs: ``START_REPLICATION`` switches the connection to COPY-both, the
server sends XLogData (``w``) and keepalive (``k``) messages, and we answer with standby
status updates (``r``) whose *flush* position becomes the slot's ``confirmed_flush_lsn``.
We report as flushed only what the runtime says is durable, so the server keeps every WAL
record we might still need after a crash.

Why streaming and not ``pg_logical_slot_peek_binary_changes``: peeking re-decodes everything
since the confirmed position on every call, so it gets slower the longer offsets take to be
committed; the stream decodes each change once, with millisecond latency.
"""

from __future__ import annotations

import select
import struct
import time
from dataclasses import dataclass

from psycopg import pq
from psycopg.pq.abc import PGconn as PGconnABC
from psycopg.pq.abc import PGresult as PGresultABC

from connectors.sources.postgres_cdc.pgoutput import PG_EPOCH_OFFSET_US, format_lsn, parse_lsn

_XLOG = struct.Struct(">qqq")
_WAL_END = struct.Struct(">q")
_KEEPALIVE = struct.Struct(">qqB")
_STATUS = struct.Struct(">cqqqqB")


class ReplicationError(Exception):
    """The server refused a replication command; ``sqlstate`` says why."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@dataclass(slots=True)
class XLogData:
    """One decoded-change payload and the WAL position it starts at."""

    wal_start: int
    wal_end: int
    payload: bytes


@dataclass(frozen=True)
class SlotInfo:
    """A freshly created slot: where streaming starts and the snapshot consistent with it."""

    consistent_lsn: int
    snapshot_name: str | None


def command_error(pg: PGconnABC, res: PGresultABC | None, what: str) -> ReplicationError:
    """The server's error for a failed command ``what`` (its message and SQLSTATE)."""
    detail = res.error_message.decode(errors="replace") if res is not None else ""
    detail = detail or pg.error_message.decode(errors="replace")
    state = res.error_field(pq.DiagnosticField.SQLSTATE) if res is not None else None
    return ReplicationError(f"{what}: {detail.strip()}", state.decode() if state else None)


class ReplicationConnection:
    """One walsender connection (``replication=database``): slot commands and the stream."""

    def __init__(self, conninfo: str) -> None:
        self.pg = pq.PGconn.connect((conninfo + " replication=database").encode())
        if self.pg.status != pq.ConnStatus.OK:
            err = self.pg.error_message.decode(errors="replace").strip()
            self.pg.finish()
            msg = f"replication connection failed: {err}"
            raise ReplicationError(msg)
        self.received_lsn = 0
        self.flushed_lsn = 0
        #: Set by the caller when everything received so far is durable or irrelevant: a
        #: keepalive's position may then be confirmed (lets idle slots and shutdowns proceed).
        self.idle = False
        self._last_status = 0.0

    def command(self, sql: str) -> list[tuple[str | None, ...]]:
        """Run one replication command (simple query protocol) and return its rows as text."""
        res = self.pg.exec_(sql.encode())
        if res.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            raise command_error(self.pg, res, sql.split(" (")[0])
        return [
            tuple(
                None if (v := res.get_value(r, c)) is None else bytes(v).decode()
                for c in range(res.nfields)
            )
            for r in range(res.ntuples)
        ]

    def create_slot(self, name: str, *, export_snapshot: bool) -> SlotInfo:
        """``CREATE_REPLICATION_SLOT`` for pgoutput; the snapshot lives until the next command."""
        mode = "EXPORT_SNAPSHOT" if export_snapshot else "NOEXPORT_SNAPSHOT"
        rows = self.command(f'CREATE_REPLICATION_SLOT "{name}" LOGICAL pgoutput {mode}')
        _, lsn, snapshot, _ = rows[0]
        assert lsn is not None
        return SlotInfo(parse_lsn(lsn), snapshot)

    def start(self, slot: str, lsn: int, publication: str, *, messages: bool = True) -> None:
        """Enter COPY-both: the server streams changes committed after ``lsn`` (or the slot's)."""
        opts = f"proto_version '1', publication_names '\"{publication}\"'"
        if messages:
            opts += ", messages 'true'"
        sql = f'START_REPLICATION SLOT "{slot}" LOGICAL {format_lsn(lsn)} ({opts})'
        res = self.pg.exec_(sql.encode())
        if res.status != pq.ExecStatus.COPY_BOTH:
            raise command_error(self.pg, res, "START_REPLICATION")
        self.pg.nonblocking = 1
        self.flushed_lsn = max(self.flushed_lsn, lsn)

    def read(self, timeout: float) -> XLogData | None:
        """The next change payload, or None when ``timeout`` seconds passed without one.

        Keepalives are answered here (with our last flushed position), so callers only see data.
        """
        deadline = time.monotonic() + timeout
        consumed = False
        while True:
            size, data = self.pg.get_copy_data(1)
            if size > 0:
                msg = bytes(data)
                if msg[:1] == b"w":
                    self.idle = False
                    start, end, _ = _XLOG.unpack_from(msg, 1)
                    self.received_lsn = max(self.received_lsn, end)
                    return XLogData(start, end, msg[25:])
                self._keepalive(msg)
                continue
            if size < 0:
                res = self.pg.get_result()
                raise command_error(self.pg, res, "replication stream ended")
            if not consumed:
                self.pg.consume_input()
                consumed = True
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([self.pg.socket], [], [], min(left, 1.0))
            consumed = False

    def read_many(self, timeout: float, limit: int) -> list[XLogData]:
        """Up to ``limit`` payloads: waits ``timeout`` for the first, then takes what is buffered.

        One call per batch instead of per message: the per-message work is a tight loop.
        """
        first = self.read(timeout)
        if first is None:
            return []
        out = [first]
        get = self.pg.get_copy_data
        unpack = _XLOG.unpack_from
        consumed = False
        end = first.wal_end
        while len(out) < limit:
            size, data = get(1)
            if size > 0:
                msg = bytes(data)
                if msg[0] == 0x77:  # 'w'
                    start, end, _ = unpack(msg, 1)
                    out.append(XLogData(start, end, msg[25:]))
                else:
                    self._keepalive(msg)
            elif size == 0 and not consumed:
                self.pg.consume_input()
                consumed = True
            else:
                break  # nothing buffered (or the stream ended: the next read() reports it)
        self.received_lsn = max(self.received_lsn, end)
        return out

    def read_wire(self, timeout: float, limit: int) -> list[bytes]:
        """Up to ``limit`` XLogData messages as received (``w``, 24-byte header, payload).

        Waits up to ``timeout`` for the first, then takes only what is already buffered.
        The stream's batch decoder reads the header fields it needs itself: no per-message
        object or payload copy (see :meth:`ChangeStream.handle_wire`).
        """
        out: list[bytes] = []
        append = out.append
        pg = self.pg
        get = pg.get_copy_data
        consumed = False
        deadline = 0.0
        while len(out) < limit:
            size, data = get(1)
            if size > 0:
                msg = bytes(data)
                if msg[0] == 0x77:  # 'w'
                    append(msg)
                else:
                    if out:
                        self.idle = False  # data came before this keepalive: not idle
                    self._keepalive(msg)
                consumed = False  # libpq's buffer had data: read the socket again when empty
                continue
            if size < 0:
                if out:
                    break  # the next call reports the end of the stream
                raise command_error(pg, pg.get_result(), "replication stream ended")
            if not consumed:
                pg.consume_input()
                consumed = True
                continue
            if out:
                break
            now = time.monotonic()
            if not deadline:
                deadline = now + timeout
            left = deadline - now
            if left <= 0:
                break
            select.select([pg.socket], [], [], min(left, 1.0))
            consumed = False
        if out:
            self.idle = False
            (end,) = _WAL_END.unpack_from(out[-1], 9)
            if end > self.received_lsn:
                self.received_lsn = end
        return out

    def _keepalive(self, msg: bytes) -> None:
        if msg[:1] != b"k":
            return
        end, _, reply = _KEEPALIVE.unpack_from(msg, 1)
        self.received_lsn = max(self.received_lsn, end)
        if self.idle and end > self.flushed_lsn:
            self.flushed_lsn = end
            reply = 1
        if reply:
            self.send_status(force=True)

    def confirm(self, lsn: int) -> None:
        """Report ``lsn`` as flushed: the slot's confirmed position may move up to it."""
        if lsn > self.flushed_lsn:
            self.flushed_lsn = lsn
            self.send_status(force=True)
        else:
            self.send_status()

    def send_status(self, *, force: bool = False) -> None:
        """A standby status update; unforced ones at most every 10 s (wal_sender_timeout)."""
        now = time.monotonic()
        if not force and now - self._last_status < 10:
            return
        clock = int(time.time() * 1_000_000) - PG_EPOCH_OFFSET_US
        written = max(self.received_lsn, self.flushed_lsn)
        msg = _STATUS.pack(b"r", written, self.flushed_lsn, self.flushed_lsn, clock, 0)
        if self.pg.put_copy_data(msg) != 1:
            raise command_error(self.pg, None, "sending the standby status update")
        while self.pg.flush() == 1:
            select.select([], [self.pg.socket], [], 1.0)
        self._last_status = now

    def close(self) -> None:
        """Drop the connection (the slot becomes inactive; nothing is lost)."""
        self.pg.finish()
