"""Configuration of the PostgreSQL CDC source: Debezium's keys, defaults and meanings.

An existing Debezium PostgreSQL connector config must work unchanged, so every key here has
Debezium's name and default. Keys Debezium has that change nothing here (``plugin.name`` other
than ``pgoutput`` is refused with a message saying why) are accepted so configs validate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    NonEmptyString,
    Password,
    Range,
    ValidString,
)
from connectors.sources.postgres_cdc.types import DEFAULT_PLACEHOLDER, SESSION_OPTIONS, Modes

_DB, _OUT, _SNAP, _VAL, _ADV = "Connection", "Events", "Snapshot", "Values", "Advanced"
SNAPSHOT_MODES = ("initial", "initial_only", "never", "no_data", "always", "when_needed")
_SLOT_NAME = re.compile(r"^[a-z0-9_]{1,63}$")


def _slot_name(name: str, value: Any) -> None:
    if not _SLOT_NAME.match(str(value)):
        msg = "slot names may contain only lower-case letters, digits and '_' (max 63)"
        raise ValueError(msg)


def _plugin(name: str, value: Any) -> None:
    if value != "pgoutput":
        msg = (
            f"only pgoutput is supported (built into PostgreSQL 10+, needs no server plugin); "
            f"set {name}=pgoutput"
        )
        raise ValueError(msg)


CONFIG_DEF = (
    ConfigDef()
    .define("database.hostname", ConfigType.STRING, NO_DEFAULT, NonEmptyString(), Importance.HIGH,
            "PostgreSQL host name or address.", group=_DB, order=1)
    .define("database.port", ConfigType.INT, 5432, Range.between(1, 65535), Importance.HIGH,
            "PostgreSQL port.", group=_DB, order=2)
    .define("database.user", ConfigType.STRING, NO_DEFAULT, NonEmptyString(), Importance.HIGH,
            "User with the REPLICATION attribute and SELECT on the captured tables.",
            group=_DB, order=3)
    .define("database.password", ConfigType.PASSWORD, None, None, Importance.HIGH,
            "Password of database.user.", group=_DB, order=4)
    .define("database.dbname", ConfigType.STRING, NO_DEFAULT, NonEmptyString(), Importance.HIGH,
            "Database to capture.", group=_DB, order=5)
    .define("database.sslmode", ConfigType.STRING, "prefer",
            ValidString("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
            Importance.LOW, "libpq sslmode.", group=_DB, order=6)
    .define("database.connect.timeout.ms", ConfigType.LONG, 30000, Range.at_least(1000),
            Importance.LOW, "Connection timeout.", group=_DB, order=7)
    .define("topic.prefix", ConfigType.STRING, NO_DEFAULT, NonEmptyString(), Importance.HIGH,
            "Logical server name: prefix of every topic (<prefix>.<schema>.<table>) and the "
            "source partition; never change it once events were produced.", group=_OUT, order=1)
    .define("plugin.name", ConfigType.STRING, "pgoutput", _plugin, Importance.MEDIUM,
            "Logical decoding plugin; only pgoutput.", group=_DB, order=8)
    .define("slot.name", ConfigType.STRING, "debezium", _slot_name, Importance.MEDIUM,
            "Replication slot, created when missing.", group=_DB, order=9)
    .define("slot.drop.on.stop", ConfigType.BOOLEAN, False, None, Importance.LOW,
            "Drop the slot when the task stops (development only: changes made while stopped "
            "are lost).", group=_DB, order=10)
    .define("publication.name", ConfigType.STRING, "dbz_publication", NonEmptyString(),
            Importance.MEDIUM, "pgoutput publication.", group=_DB, order=11)
    .define("publication.autocreate.mode", ConfigType.STRING, "all_tables",
            ValidString("all_tables", "filtered", "disabled", "no_tables"), Importance.MEDIUM,
            "all_tables: CREATE PUBLICATION ... FOR ALL TABLES; filtered: only the included "
            "tables (kept up to date); disabled: it must exist; no_tables: created empty.",
            group=_DB, order=12)
    .define("schema.include.list", ConfigType.LIST, "", None, Importance.MEDIUM,
            "Regexes of schemas to capture (full match).", group=_OUT, order=2)
    .define("schema.exclude.list", ConfigType.LIST, "", None, Importance.LOW,
            "Regexes of schemas not to capture.", group=_OUT, order=3)
    .define("table.include.list", ConfigType.LIST, "", None, Importance.MEDIUM,
            "Regexes of schema.table to capture (full match); empty = every table.",
            group=_OUT, order=4)
    .define("table.exclude.list", ConfigType.LIST, "", None, Importance.LOW,
            "Regexes of schema.table not to capture.", group=_OUT, order=5)
    .define("column.include.list", ConfigType.LIST, "", None, Importance.LOW,
            "Regexes of schema.table.column to keep; key columns are always kept.",
            group=_OUT, order=6)
    .define("column.exclude.list", ConfigType.LIST, "", None, Importance.LOW,
            "Regexes of schema.table.column to drop.", group=_OUT, order=7)
    .define("message.key.columns", ConfigType.STRING, "", None, Importance.LOW,
            "<table regex>:<col>,<col>;... key columns for tables without (or instead of) a "
            "primary key.", group=_OUT, order=8)
    .define("tombstones.on.delete", ConfigType.BOOLEAN, True, None, Importance.MEDIUM,
            "Emit a null-value tombstone after each delete (lets compaction drop the key).",
            group=_OUT, order=9)
    .define("skipped.operations", ConfigType.LIST, "t", None, Importance.LOW,
            "Operations not emitted: c,u,d,t or none.", group=_OUT, order=10)
    .define("provide.transaction.metadata", ConfigType.BOOLEAN, False, None, Importance.LOW,
            "Emit BEGIN/END events to <prefix>.<topic.transaction> and a transaction block.",
            group=_OUT, order=11)
    .define("topic.transaction", ConfigType.STRING, "transaction", None, Importance.LOW,
            "Suffix of the transaction metadata topic.", group=_OUT, order=12)
    .define("heartbeat.interval.ms", ConfigType.INT, 0, Range.at_least(0), Importance.MEDIUM,
            "Emit a heartbeat this often (0 = never); lets the slot advance while captured "
            "tables are idle.", group=_OUT, order=13)
    .define("heartbeat.action.query", ConfigType.STRING, "", None, Importance.LOW,
            "SQL run on each heartbeat (e.g. an INSERT into a heartbeat table).",
            group=_OUT, order=14)
    .define("topic.heartbeat.prefix", ConfigType.STRING, "__debezium-heartbeat", None,
            Importance.LOW, "Heartbeat topic = <this>.<topic.prefix>.", group=_OUT, order=15)
    .define("snapshot.mode", ConfigType.STRING, "initial", ValidString(*SNAPSHOT_MODES),
            Importance.HIGH, "initial: snapshot once, then stream; initial_only: snapshot and "
            "stop; never/no_data: stream only; always: snapshot at every start; when_needed: "
            "snapshot when there is no usable offset.", group=_SNAP, order=1)
    .define("snapshot.fetch.size", ConfigType.INT, 10240, Range.at_least(1), Importance.MEDIUM,
            "Rows per snapshot chunk (read by primary key; bounds memory).", group=_SNAP, order=2)
    .define("signal.data.collection", ConfigType.STRING, "", None, Importance.LOW,
            "schema.table of the signal table (columns id, type, data).", group=_SNAP, order=3)
    .define("signal.enabled.channels", ConfigType.LIST, "source", None, Importance.LOW,
            "Signal channels; only source (the signal table) is read.", group=_SNAP, order=4)
    .define("incremental.snapshot.chunk.size", ConfigType.INT, 1024, Range.at_least(1),
            Importance.LOW, "Rows per incremental snapshot chunk.", group=_SNAP, order=5)
    .define("decimal.handling.mode", ConfigType.STRING, "precise",
            ValidString("precise", "double", "string"), Importance.MEDIUM,
            "NUMERIC/MONEY as Connect Decimal, FLOAT64 or string.", group=_VAL, order=1)
    .define("time.precision.mode", ConfigType.STRING, "adaptive",
            ValidString("adaptive", "adaptive_time_microseconds", "connect"), Importance.MEDIUM,
            "Temporal representation (Debezium's time types or Connect's).", group=_VAL, order=2)
    .define("binary.handling.mode", ConfigType.STRING, "bytes",
            ValidString("bytes", "base64", "base64-url-safe", "hex"), Importance.LOW,
            "bytea as bytes or an encoded string.", group=_VAL, order=3)
    .define("interval.handling.mode", ConfigType.STRING, "numeric",
            ValidString("numeric", "string"), Importance.LOW,
            "interval as microseconds (MicroDuration) or ISO-8601 string.", group=_VAL, order=4)
    .define("money.fraction.digits", ConfigType.SHORT, 2, Range.at_least(0), Importance.LOW,
            "Scale of MONEY values.", group=_VAL, order=5)
    .define("unavailable.value.placeholder", ConfigType.STRING, DEFAULT_PLACEHOLDER, None,
            Importance.LOW, "Stands for an unchanged TOASTed value PostgreSQL did not send "
            "(hex: prefix = hex bytes).", group=_VAL, order=6)
    .define("max.batch.size", ConfigType.INT, 2048, Range.at_least(1), Importance.LOW,
            "Most events returned by one poll.", group=_ADV, order=1)
    .define("poll.interval.ms", ConfigType.LONG, 100, Range.at_least(0), Importance.LOW,
            "Longest a poll waits for changes before returning nothing.", group=_ADV, order=2)
    .define("retriable.restart.connector.wait.ms", ConfigType.LONG, 10000, Range.at_least(0),
            Importance.LOW, "Longest back-off between reconnect attempts.", group=_ADV, order=3)
    .define("errors.max.retries", ConfigType.INT, -1, Range.at_least(-1), Importance.LOW,
            "Reconnect attempts before the task fails (-1 = forever).", group=_ADV, order=4)
    .define("replication.transport", ConfigType.STRING, "streaming",
            ValidString("streaming", "slot_functions"), Importance.LOW,
            "streaming: the replication protocol (lowest latency, ~100k changes/s); "
            "slot_functions: pg_logical_slot_get_binary_changes on a temporary copy of the "
            "slot, fetched in big COPY batches (several times the throughput, polls every "
            "few ms, needs PostgreSQL 12+); the slot itself moves only when changes are "
            "durable either way.", group=_ADV, order=5)
)  # fmt: skip


def _regexes(values: list[str] | None) -> list[re.Pattern[str]]:
    return [re.compile(v.strip()) for v in values or [] if v.strip()]


def _key_columns(text: str) -> list[tuple[re.Pattern[str], list[str]]]:
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        table, _, cols = part.rpartition(":")
        out.append((re.compile(table), [c.strip() for c in cols.split(",") if c.strip()]))
    return out


@dataclass
class PgCdcConfig:
    """The parsed configuration (typed values, compiled filters)."""

    raw: dict[str, Any]
    modes: Modes
    table_include: list[re.Pattern[str]] = field(default_factory=list)
    table_exclude: list[re.Pattern[str]] = field(default_factory=list)
    schema_include: list[re.Pattern[str]] = field(default_factory=list)
    schema_exclude: list[re.Pattern[str]] = field(default_factory=list)
    column_include: list[re.Pattern[str]] = field(default_factory=list)
    column_exclude: list[re.Pattern[str]] = field(default_factory=list)
    key_columns: list[tuple[re.Pattern[str], list[str]]] = field(default_factory=list)
    masks: list[tuple[re.Pattern[str], Callable[[Any], Any]]] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    @property
    def prefix(self) -> str:
        return str(self.raw["topic.prefix"])

    def conninfo(self) -> str:
        """Libpq conninfo with our fixed session settings."""
        pw = self.raw.get("database.password")
        parts = {
            "host": self.raw["database.hostname"],
            "port": self.raw["database.port"],
            "user": self.raw["database.user"],
            "dbname": self.raw["database.dbname"],
            "sslmode": self.raw["database.sslmode"],
            "connect_timeout": max(1, int(self.raw["database.connect.timeout.ms"]) // 1000),
            "application_name": f"cdchub-{self.prefix}",
            "options": SESSION_OPTIONS,
        }
        if pw is not None:
            parts["password"] = pw.value if isinstance(pw, Password) else str(pw)
        return " ".join(f"{k}='{_quote(str(v))}'" for k, v in parts.items())

    def captured(self, schema: str, table: str) -> bool:
        """Whether schema.table passes the schema and table include/exclude lists."""
        full = f"{schema}.{table}"
        if schema in ("pg_catalog", "information_schema"):
            return False
        if self.schema_include and not any(p.fullmatch(schema) for p in self.schema_include):
            return False
        if any(p.fullmatch(schema) for p in self.schema_exclude):
            return False
        if self.table_include and not any(p.fullmatch(full) for p in self.table_include):
            return False
        return not any(p.fullmatch(full) for p in self.table_exclude)

    def column_kept(self, schema: str, table: str, column: str) -> bool:
        """Whether a column passes column.include.list / column.exclude.list."""
        full = f"{schema}.{table}.{column}"
        if self.column_include and not any(p.fullmatch(full) for p in self.column_include):
            return False
        return not any(p.fullmatch(full) for p in self.column_exclude)

    def message_key(self, schema: str, table: str) -> list[str] | None:
        """Key columns from message.key.columns for this table, if configured."""
        full = f"{schema}.{table}"
        for pattern, cols in self.key_columns:
            if pattern.fullmatch(full):
                return cols
        return None

    def mask(self, schema: str, table: str, column: str) -> Callable[[Any], Any] | None:
        """The column.mask.* function for this column, if one matches."""
        full = f"{schema}.{table}.{column}"
        for pattern, fn in self.masks:
            if pattern.fullmatch(full):
                return fn
        return None

    def skipped(self) -> set[str]:
        ops = {str(o).strip() for o in self.raw["skipped.operations"] or []}
        return set() if "none" in ops else ops


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


_MASK_CHARS = re.compile(r"^column\.mask\.with\.(\d+)\.chars$")
_MASK_HASH = re.compile(r"^column\.mask\.hash\.([\w-]+)\.with\.salt\.(.*)$")


def _masks(props: Mapping[str, str]) -> list[tuple[re.Pattern[str], Callable[[Any], Any]]]:
    """Debezium's column.mask.with.<n>.chars and column.mask.hash.<algo>.with.salt.<salt>."""
    out: list[tuple[re.Pattern[str], Callable[[Any], Any]]] = []
    for name, value in props.items():
        fn: Callable[[Any], Any] | None = None
        if m := _MASK_CHARS.match(name):
            stars = "*" * int(m.group(1))
            fn = lambda _v, s=stars: s  # noqa: E731
        elif m := _MASK_HASH.match(name):
            algo, salt = m.group(1).lower().replace("-", ""), m.group(2).encode()
            if algo not in hashlib.algorithms_available:
                msg = f"{name}: unknown hash algorithm {m.group(1)}; use e.g. SHA-256"
                raise ConfigError(msg)
            fn = lambda v, a=algo, s=salt: hashlib.new(a, s + str(v).encode()).hexdigest()  # noqa: E731
        if fn is not None:
            out.extend((re.compile(p.strip()), fn) for p in str(value).split(",") if p.strip())
    return out


def parse_config(props: Mapping[str, str]) -> PgCdcConfig:
    """Typed config, or one ConfigError listing every bad key."""
    raw = CONFIG_DEF.parse(dict(props))
    try:
        return PgCdcConfig(
            raw=raw,
            modes=Modes(
                decimal=raw["decimal.handling.mode"],
                time=raw["time.precision.mode"],
                binary=raw["binary.handling.mode"],
                interval=raw["interval.handling.mode"],
                money_fraction_digits=int(raw["money.fraction.digits"]),
                placeholder=raw["unavailable.value.placeholder"],
            ),
            table_include=_regexes(raw["table.include.list"]),
            table_exclude=_regexes(raw["table.exclude.list"]),
            schema_include=_regexes(raw["schema.include.list"]),
            schema_exclude=_regexes(raw["schema.exclude.list"]),
            column_include=_regexes(raw["column.include.list"]),
            column_exclude=_regexes(raw["column.exclude.list"]),
            key_columns=_key_columns(raw["message.key.columns"]),
            masks=_masks(props),
        )
    except re.error as exc:
        msg = f"invalid regular expression in a filter list: {exc}"
        raise ConfigError(msg) from None
