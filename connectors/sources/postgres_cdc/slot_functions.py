"""Reading a logical slot through SQL functions: the ``replication.transport=slot_functions``.

The walsender writes one TCP message per change and flushes it, which caps the streaming
protocol at about 100k changes/s on a small machine. ``pg_logical_slot_get_binary_changes``
decodes into a tuplestore and ``COPY ... TO STDOUT (FORMAT binary)`` ships the result in
big writes, several times faster. This reader serves the same messages as
:class:`~connectors.sources.postgres_cdc.replication.ReplicationConnection` (``w`` + WAL
start, WAL end, send time + pgoutput payload; the server builds them, so a row is one slice
here) through the subset of its interface the task uses.

Crash safety: the durable slot is never consumed. At start it is copied to a TEMPORARY slot
of this session (``pg_copy_logical_replication_slot``, PostgreSQL 12+) and the copy is
consumed; the durable slot only moves by :meth:`SlotFunctionReader.confirm`
(``pg_replication_slot_advance``) to what the runtime says is durable. A crash loses the
session and with it the copy; the next start copies the durable slot again.

Costs to know: every call decodes again from the copy's ``restart_lsn``, which moves only at
the running-transactions records the server logs every 15 s (and at checkpoints). Batches
are therefore big (one call per ``batch_changes`` changes) and the next one is requested
before the current one is handed out, so the server decodes while the task converts.
"""

from __future__ import annotations

import re
import select
import struct
import time

import psycopg
from psycopg import pq

from connectors.api import ConnectError
from connectors.sources.postgres_cdc.database import temp_slot_name
from connectors.sources.postgres_cdc.pgoutput import format_lsn
from connectors.sources.postgres_cdc.replication import (
    ReplicationError,
    XLogData,
    command_error,
)

_XLOG = struct.Struct(">qqq")
_WAL_END = struct.Struct(">q")
_TAIL = struct.Struct(">qq")  # after a 0 byte: the copy's confirmed position, server time (us)
#: the binary COPY signature, flags and header extension length, sent before the first row
_COPY_HEADER = 19
#: before each row's value: field count (int16) and value length (int32)
_ROW_PREFIX = 6
#: changes per call; a call decodes again from the slot's restart point, so fewer is slower
BATCH_CHANGES = 100_000
#: durable slot advances at most this often (each one reads WAL from its restart point)
ADVANCE_INTERVAL_S = 1.0
#: an unchanged Relation message is passed on again after this long (see _drop_known_relations)
RELATION_REFRESH_S = 30.0
#: empty polls start this far apart and back off (doubling) to ``max_delay``
FIRST_DELAY_S = 0.002

_IDLE, _SENT, _COPYING = 0, 1, 2


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class SlotFunctionReader:
    """Consumes a temporary copy of a slot in big COPY batches; confirms on the durable slot.

    ``received_lsn``, ``flushed_lsn``, ``idle``, :meth:`read_wire`, :meth:`read_many`,
    :meth:`confirm`, :meth:`send_status` and :meth:`close` mean what they mean on
    :class:`~connectors.sources.postgres_cdc.replication.ReplicationConnection`.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        batch_changes: int = BATCH_CHANGES,
        max_delay: float = 0.05,
        wait_s: float = 5.0,
    ) -> None:
        self.pg = pq.PGconn.connect(conninfo.encode())
        if self.pg.status != pq.ConnStatus.OK:
            err = self.pg.error_message.decode(errors="replace").strip()
            self.pg.finish()
            msg = f"connection for the slot functions failed: {err}"
            raise ReplicationError(msg)
        self.batch_changes = batch_changes
        self.max_delay = max_delay
        self.wait_s = wait_s
        self.received_lsn = 0
        self.flushed_lsn = 0
        #: Set by the caller when everything received so far is durable or irrelevant: the
        #: copy's position after a fully handed-out batch may then be confirmed.
        self.idle = False
        self.slot = self.temp = ""
        self._query = b""
        self._state = _IDLE
        self._first: bytes | None = None
        self._buf: list[bytes] = []
        self._pos = 0
        self._tail = 0  # the copy's confirmed position after the last batch
        self._durable = 0  # the durable slot's confirmed position (as last set by us)
        self._last_advance = 0.0
        self._delay = FIRST_DELAY_S
        self._next_query = 0.0
        self._relations: dict[bytes, tuple[bytes, float]] = {}

    # -- setup -----------------------------------------------------------------------------

    def _exec(self, query: str, *params: str) -> list[tuple[str | None, ...]]:
        res = self.pg.exec_params(query.encode(), [p.encode() for p in params])
        if res.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            called = re.search(r"pg_catalog\.(\w+)\(", query)
            raise command_error(self.pg, res, called.group(1) if called else "query")
        return [
            tuple(
                None if (v := res.get_value(r, c)) is None else bytes(v).decode()
                for c in range(res.nfields)
            )
            for r in range(res.ntuples)
        ]

    def start(self, slot: str, lsn: int, publication: str, *, messages: bool = True) -> None:
        """Copy ``slot`` to this session's temporary slot and request the first batch.

        Like ``START_REPLICATION``: changes committed before the slot's confirmed position,
        or before ``lsn`` when it is further, are not sent.
        """
        if self.pg.server_version < 120000:
            msg = (
                "replication.transport=slot_functions needs PostgreSQL 12 or newer "
                "(pg_copy_logical_replication_slot); use replication.transport=streaming"
            )
            raise ConnectError(msg)
        rows = self._exec(
            "SELECT active_pid, confirmed_flush_lsn FROM pg_catalog.pg_replication_slots "
            "WHERE slot_name = $1",
            slot,
        )
        if not rows:
            msg = f'replication slot "{slot}" does not exist'
            raise ReplicationError(msg, "42704")
        if rows[0][0] is not None:
            self._busy(slot, rows[0][0], via="")
        if not self._exec("SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1",
                          publication):  # fmt: skip
            msg = f'publication "{publication}" does not exist'
            raise ReplicationError(msg, "42704")
        self.slot, self.temp = slot, temp_slot_name(slot)
        self._copy_slot()
        confirmed = self._slot_lsn(self.temp)
        if lsn > confirmed:
            self._exec("SELECT pg_catalog.pg_replication_slot_advance($1, $2)",
                       self.temp, format_lsn(lsn))  # fmt: skip
        self._durable = self._slot_lsn(slot)
        self.flushed_lsn = max(self.flushed_lsn, self._durable, lsn)
        self._tail = max(confirmed, lsn)
        opts = f"'proto_version', '1', 'publication_names', {_literal(_ident(publication))}"
        if messages:
            opts += ", 'messages', 'true'"
        temp = _literal(self.temp)
        self._query = (
            "COPY (SELECT '\\x77'::bytea || pg_catalog.pg_lsn_send(lsn) || "
            "pg_catalog.pg_lsn_send(lsn) || '\\x0000000000000000'::bytea || data "
            f"FROM pg_catalog.pg_logical_slot_get_binary_changes({temp}, NULL, "
            f"{self.batch_changes}, {opts}) UNION ALL "
            "SELECT '\\x00'::bytea || pg_catalog.pg_lsn_send(confirmed_flush_lsn) || "
            "pg_catalog.int8send((1e6 * extract(epoch FROM pg_catalog.clock_timestamp() - "
            "pg_catalog.statement_timestamp()))::int8) "
            f"FROM pg_catalog.pg_replication_slots WHERE slot_name = {temp}) "
            "TO STDOUT (FORMAT binary)"
        ).encode()
        self._send()

    def _copy_slot(self) -> None:
        """Create the temporary copy; an existing one means another reader (or our last one)."""
        deadline = time.monotonic() + self.wait_s
        while True:
            rows = self._exec(
                "SELECT active_pid FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
                self.temp,
            )
            if not rows:
                try:
                    self._exec("SELECT pg_catalog.pg_copy_logical_replication_slot($1, $2, true)",
                               self.slot, self.temp)  # fmt: skip
                    return
                except ReplicationError as exc:
                    if exc.sqlstate != "42710":  # duplicate_object: another reader was faster
                        raise
            elif time.monotonic() > deadline:
                self._busy(self.slot, rows[0][0], via=self.temp)
            time.sleep(0.2)

    def _busy(self, slot: str, pid: str | None, *, via: str) -> None:
        how = f" through its temporary copy '{via}' (replication.transport=slot_functions)"
        msg = (
            f"replication slot '{slot}' is active for PID {pid}{how if via else ''}: another "
            "process (another connector?) is reading it. Stop that process, or give this "
            "connector its own slot.name"
        )
        raise ConnectError(msg)

    def _slot_lsn(self, name: str) -> int:
        rows = self._exec(
            "SELECT (confirmed_flush_lsn - '0/0')::text FROM pg_catalog.pg_replication_slots "
            "WHERE slot_name = $1",
            name,
        )
        if not rows or rows[0][0] is None:
            msg = f'replication slot "{name}" does not exist'
            raise ReplicationError(msg, "42704")
        return int(rows[0][0])

    # -- batches ---------------------------------------------------------------------------

    def _send(self) -> None:
        self.pg.send_query(self._query)  # raises psycopg.OperationalError when it cannot
        self._state = _SENT

    def _ready(self, wait: float) -> bool:
        """Whether the requested batch started arriving (waits up to ``wait`` seconds)."""
        pg = self.pg
        deadline = time.monotonic() + wait
        while True:
            pg.consume_input()
            if self._state == _SENT and not pg.is_busy():
                res = pg.get_result()
                if res is None or res.status != pq.ExecStatus.COPY_OUT:
                    self._state = _IDLE
                    while pg.get_result() is not None:
                        pass
                    raise command_error(pg, res, "reading the slot")
                self._state = _COPYING
            if self._state == _COPYING:
                size, data = pg.get_copy_data(1)
                if size != 0:
                    self._first = bytes(data) if size > 0 else b""
                    return True
            if pg.status != pq.ConnStatus.OK:
                raise command_error(pg, None, "connection lost")
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            select.select([pg.socket], [], [], min(left, 1.0))

    def _collect(self) -> None:
        """Read the whole batch (it is decoded already), then request the next if it was full."""
        pg = self.pg
        first, self._first = self._first or b"", None
        buf = self._buf = []
        self._pos = 0
        append = buf.append
        relations: list[int] = []  # where the Relation messages are
        if len(first) > _COPY_HEADER + 2:
            append(first[_COPY_HEADER + _ROW_PREFIX :])
            if len(buf[0]) > 25 and buf[0][25] == 0x52:  # 'R'
                relations.append(0)
        get = pg.get_copy_data
        size = len(first) or -1
        while size > 0:
            size, data = get(0)
            if size > 2:
                if size > _ROW_PREFIX + 25 and data[_ROW_PREFIX + 25] == 0x52:  # 'R'
                    relations.append(len(buf))
                append(bytes(data[_ROW_PREFIX:]))
        self._state = _IDLE
        res = pg.get_result()
        while pg.get_result() is not None:
            pass
        if size == -2 or res is None or res.status != pq.ExecStatus.COMMAND_OK:
            raise command_error(pg, res, "reading the slot")
        full = len(buf) > self.batch_changes  # (the last row is the tail)
        if relations:
            self._drop_known_relations(buf, relations)
        took = 0.0
        if buf and buf[-1][0] == 0:
            self._tail, took_us = _TAIL.unpack_from(buf.pop(), 1)
            took = took_us / 1e6
        if not buf and self._tail > self.received_lsn:
            self.received_lsn = self._tail
        now = time.monotonic()
        self._advance_if_due(force=False)
        if full:  # more is waiting: the server decodes it while this batch is used
            self._delay = FIRST_DELAY_S
            self._send()
            return
        # polling: back off while nothing comes, and then never keep the server busy more than
        # half the time (a call decodes again from the copy's restart point: it can be slow)
        self._delay = FIRST_DELAY_S if buf else min(self.max_delay, self._delay * 2)
        self._next_query = now + max(self._delay, took / 2 if buf else took)

    def _drop_known_relations(self, buf: list[bytes], at: list[int]) -> None:
        """Drop Relation messages identical to one already handed out (recently).

        Each call is a new decoding session, so pgoutput sends every relation again before
        its first change; the walsender sends one only when the relation changed. Passing
        them on would make the task rebuild the table's shape (and its converters their
        encoders) once per batch. A changed relation always passes; an unchanged one again
        after ``RELATION_REFRESH_S``, so a change pgoutput does not describe (NOT NULL, say)
        reaches the task within that time, as it would after any relation message.
        """
        now = time.monotonic()
        known = self._relations
        drop = []
        for i in at:
            msg = buf[i]
            relid = msg[26:30]
            seen = known.get(relid)
            if seen is not None and seen[0] == msg[25:] and seen[1] > now:
                drop.append(i)
            else:
                known[relid] = (msg[25:], now + RELATION_REFRESH_S)
        for i in reversed(drop):
            del buf[i]

    def _fill(self, timeout: float) -> bool:
        """Get the next batch into the buffer; False when none arrived within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            if self._state == _IDLE:
                wait = self._next_query - time.monotonic()
                if wait > 0:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    time.sleep(min(wait, left))
                    if wait > left:
                        return False
                self._send()
            if not self._ready(max(0.0, deadline - time.monotonic())):
                return False
            self._collect()
            if self._buf:
                return True

    def _take(self, timeout: float, limit: int) -> list[bytes]:
        if self._pos >= len(self._buf):
            self._confirm_idle()
            if not self._fill(timeout):
                return []
        pos = self._pos
        out = self._buf[pos : pos + limit]
        self._pos = pos + len(out)
        self.idle = False
        (end,) = _WAL_END.unpack_from(out[-1], 9)
        if self._pos >= len(self._buf):
            end = max(end, self._tail)  # all of the batch is out: everything before the tail
        if end > self.received_lsn:
            self.received_lsn = end
        return out

    def read_wire(self, timeout: float, limit: int) -> list[bytes]:
        """Up to ``limit`` XLogData messages, laid out as the walsender sends them.

        Waits up to ``timeout`` for the first; then returns only what is already here.
        """
        return self._take(timeout, limit)

    def read_many(self, timeout: float, limit: int) -> list[XLogData]:
        """Up to ``limit`` payloads, as :meth:`ReplicationConnection.read_many` returns them."""
        unpack = _XLOG.unpack_from
        out = []
        for msg in self._take(timeout, limit):
            start, end, _ = unpack(msg, 1)
            out.append(XLogData(start, end, msg[25:]))
        return out

    # -- confirming ------------------------------------------------------------------------

    def _confirm_idle(self) -> None:
        """Idle and everything handed out: the copy's position may be confirmed."""
        if self.idle and self._pos >= len(self._buf) and self._tail > self.flushed_lsn:
            self.flushed_lsn = self._tail

    def confirm(self, lsn: int) -> None:
        """Report ``lsn`` as durable: the durable slot moves up to it (at most once a second)."""
        if lsn > self.flushed_lsn:
            self.flushed_lsn = lsn
        self.send_status()

    def send_status(self, *, force: bool = False) -> None:
        """Advance the durable slot to ``flushed_lsn`` if due (or now, when forced)."""
        self._confirm_idle()
        if force and self.flushed_lsn > self._durable:
            self._last_advance = 0.0  # due now
            if self._state != _IDLE and self._ready(60.0):
                self._collect()  # the connection is busy with a batch: take it, then advance
        if self._state == _IDLE:
            self._advance_if_due(force=force)

    def _advance_if_due(self, *, force: bool) -> None:
        if self.flushed_lsn <= self._durable:
            return
        now = time.monotonic()
        if not force and now - self._last_advance < ADVANCE_INTERVAL_S:
            return
        try:
            rows = self._exec(
                "SELECT ((pg_catalog.pg_replication_slot_advance($1, $2)).end_lsn - '0/0')::text",
                self.slot,
                format_lsn(self.flushed_lsn),
            )
        except ReplicationError as exc:
            if exc.sqlstate == "55006":  # object_in_use: a walsender (another reader) holds it
                pid = self._exec("SELECT active_pid FROM pg_catalog.pg_replication_slots "
                                 "WHERE slot_name = $1", self.slot)  # fmt: skip
                self._busy(self.slot, pid[0][0] if pid else "?", via="")
            raise
        moved = rows[0][0]
        self._durable = max(self._durable, int(moved) if moved else 0)
        self._last_advance = now

    def close(self) -> None:
        """Confirm what is pending, then disconnect (the temporary copy goes with the session).

        A batch still being decoded is cancelled: its backend would otherwise hold the copy
        (and make the next start wait) until it tried to send.
        """
        try:
            if self.slot and self.pg.status == pq.ConnStatus.OK:
                self.send_status(force=True)
                if self._state != _IDLE:
                    self.pg.get_cancel().cancel()
        except (ReplicationError, ConnectError, psycopg.Error, OSError):
            pass  # the durable slot stays where it was: those changes are sent again
        finally:
            self.pg.finish()


def _ident(name: str) -> str:
    """A publication name as pgoutput's publication_names list parses it (quoted identifier)."""
    return '"' + name.replace('"', '""') + '"'
