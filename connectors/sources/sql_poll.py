"""SQL poll source: copy new and changed rows of SQL tables into topics (Kafka's JDBC source).

Configs written for Confluent's ``JdbcSourceConnector`` work where the concepts match: the
same keys (``connection.url`` - ``jdbc:postgresql://...`` URLs are translated -,
``mode``, ``incrementing.column.name``, ``timestamp.column.name``, ``table.whitelist``,
``query``, ``topic.prefix``, ``poll.interval.ms``, ``batch.max.rows``,
``timestamp.delay.interval.ms``, ``timestamp.initial``), the same topics (prefix + table
name, or the prefix alone for a query), the same source partitions (``{"table": name}`` /
``{"query": "query"}``) and offsets (see :mod:`connectors.sources.sql_query`), so offsets can
be carried over. Values are Structs whose schema comes from the table's columns.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    NoSuchTableError,
    SQLAlchemyError,
)

from connectors.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigError,
    ConfigType,
    ConfiguredConnector,
    ConfigValue,
    ConnectError,
    Importance,
    NonEmptyString,
    Password,
    Range,
    RetriableError,
    SourceConnector,
    SourceRecord,
    SourceTask,
    ValidString,
)
from connectors.sources.sql_query import (
    BOTH,
    BULK,
    INCREMENTING,
    TIMESTAMP,
    Querier,
    QueryQuerier,
    QuerySpec,
    TableQuerier,
    to_offset_time,
)

log = logging.getLogger(__name__)
VERSION = "1.0.0"
_G_DB, _G_MODE, _G_OUT = "Database", "Mode", "Connector"
_JDBC = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "sqlite": "sqlite"}


def sqlalchemy_url(url: str) -> str:
    """Turn ``jdbc:postgresql://h:p/db`` (and plain ``postgresql://``) into a SQLAlchemy URL."""
    match = re.match(r"^jdbc:(\w+):(.*)$", url.strip())
    if match:
        scheme, rest = match.groups()
        if scheme == "sqlite":
            return "sqlite:///" + rest.removeprefix("//")
        url = f"{_JDBC.get(scheme, scheme)}:{rest}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _url_ok(name: str, value: Any) -> None:
    if value:
        try:
            make_url(sqlalchemy_url(str(value)))
        except ArgumentError as exc:
            msg = f"not a database URL ({exc}); e.g. postgresql+psycopg://user@host:5432/db"
            raise ValueError(msg) from None


CONFIG_DEF = (
    ConfigDef()
    .define("connection.url", ConfigType.STRING, NO_DEFAULT, _url_ok, Importance.HIGH,
            "SQLAlchemy URL (postgresql+psycopg://user@host:5432/db) or a JDBC URL "
            "(jdbc:postgresql://host:5432/db).", group=_G_DB, order=1)
    .define("connection.user", ConfigType.STRING, "", None, Importance.HIGH,
            "User name, when not in the URL.", group=_G_DB, order=2)
    .define("connection.password", ConfigType.PASSWORD, None, None, Importance.HIGH,
            "Password, when not in the URL.", group=_G_DB, order=3)
    .define("table.whitelist", ConfigType.LIST, "", None, Importance.MEDIUM,
            "Tables to copy (schema.table allowed); empty with no query: every table.",
            group=_G_DB, order=4)
    .define("table.include.list", ConfigType.LIST, "", None, Importance.MEDIUM,
            "Same as table.whitelist (newer JDBC source name).", group=_G_DB, order=5)
    .define("table.blacklist", ConfigType.LIST, "", None, Importance.LOW,
            "Tables to leave out when copying every table.", group=_G_DB, order=6)
    .define("table.exclude.list", ConfigType.LIST, "", None, Importance.LOW,
            "Same as table.blacklist.", group=_G_DB, order=7)
    .define("schema.pattern", ConfigType.STRING, None, None, Importance.LOW,
            "Database schema whose tables are listed when no table list is given "
            "(default: the connection's default schema).", group=_G_DB, order=8)
    .define("query", ConfigType.STRING, "", None, Importance.MEDIUM,
            "A SELECT to poll instead of tables; the mode's conditions are added around it.",
            group=_G_DB, order=9)
    .define("mode", ConfigType.STRING, NO_DEFAULT,
            ValidString(BULK, INCREMENTING, TIMESTAMP, BOTH), Importance.HIGH,
            "How new rows are found: bulk (whole table each poll), incrementing (a strictly "
            "increasing column), timestamp (a last-modified column), or "
            "timestamp+incrementing (both: the most robust).", group=_G_MODE, order=1)
    .define("incrementing.column.name", ConfigType.STRING, "", None, Importance.MEDIUM,
            "The strictly increasing column (e.g. id).", group=_G_MODE, order=2)
    .define("timestamp.column.name", ConfigType.LIST, "", None, Importance.MEDIUM,
            "The modification time column(s); several: the first non-null one counts.",
            group=_G_MODE, order=3)
    .define("timestamp.delay.interval.ms", ConfigType.LONG, 0, Range.at_least(0),
            Importance.HIGH, "Rows are read only once their timestamp is this old, giving "
            "transactions with earlier timestamps time to commit.", group=_G_MODE, order=4)
    .define("timestamp.initial", ConfigType.LONG, None, None, Importance.LOW,
            "Epoch ms to start from when there is no offset; -1 = now; empty = everything.",
            group=_G_MODE, order=5)
    .define("topic.prefix", ConfigType.STRING, NO_DEFAULT, NonEmptyString(), Importance.HIGH,
            "Topic = prefix + table name, or the prefix alone with a query.",
            group=_G_OUT, order=1)
    .define("poll.interval.ms", ConfigType.INT, 5000, Range.at_least(1), Importance.HIGH,
            "How often each table is queried for new rows.", group=_G_OUT, order=2)
    .define("batch.max.rows", ConfigType.INT, 100, Range.at_least(1), Importance.LOW,
            "The most rows read by one query; more are read by the next poll at once.",
            group=_G_OUT, order=3)
    .define("table.poll.interval.ms", ConfigType.LONG, 60000, Range.at_least(10),
            Importance.LOW, "How often the table list is refreshed when copying every table "
            "(new tables start being copied, dropped ones stop).", group=_G_OUT, order=4)
    .define("poll.wait.ms", ConfigType.LONG, 100, Range.between(0, 1000), Importance.LOW,
            "The longest poll() sleeps before returning an empty batch.", group=_G_OUT,
            order=5)
)  # fmt: skip


def _tables(cfg: Mapping[str, Any], key: str, alias: str) -> list[str]:
    return [t for t in [*(cfg.get(key) or []), *(cfg.get(alias) or [])] if t]


def _check_sql(values: Mapping[str, ConfigValue], config: Mapping[str, Any]) -> None:
    """The cross-key rules of the JDBC source."""
    cfg = {c.name: c.value for c in values.values()}
    mode = cfg.get("mode")
    if mode in (INCREMENTING, BOTH) and not cfg.get("incrementing.column.name"):
        values["incrementing.column.name"].errors.append(f"Required with mode={mode}.")
    if mode in (TIMESTAMP, BOTH) and not cfg.get("timestamp.column.name"):
        values["timestamp.column.name"].errors.append(f"Required with mode={mode}.")
    if cfg.get("query") and _tables(cfg, "table.whitelist", "table.include.list"):
        values["query"].errors.append("Set either query or a table list, not both.")


def make_engine(cfg: Mapping[str, Any]) -> Engine:
    """An engine for the configured database (user/password keys override the URL's)."""
    url: URL = make_url(sqlalchemy_url(cfg["connection.url"]))
    if cfg.get("connection.user"):
        url = url.set(username=cfg["connection.user"])
    password = cfg.get("connection.password")
    if isinstance(password, Password):
        url = url.set(password=password.value)
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=1, max_overflow=1)
    except (ImportError, NoSuchModuleError) as exc:
        msg = (
            f"No SQLAlchemy driver for {url.drivername!r} ({exc}); install it in the "
            "hub's environment (e.g. pip install pymysql) or use an installed driver."
        )
        raise ConfigError.from_errors({"connection.url": [msg]}) from exc
    except TypeError:  # drivers without a connection pool (sqlite in memory)
        return create_engine(url, pool_pre_ping=True)


def _db_error(exc: SQLAlchemyError, what: str) -> ConnectError:
    """Connection trouble is worth retrying; a bad table/column/query is not."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return RetriableError(f"{what}: lost the database connection ({exc.orig}); retrying.")
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "connect" in text.lower() or "timeout" in text.lower():
        return RetriableError(f"{what}: {text}; retrying.")
    return ConnectError(f"{what}: {text}. Check the table, column names and query.")


class SqlPollSourceTask(SourceTask):
    """Round-robins over its tables, each queried when its poll interval is due."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._queriers: list[Querier] = []
        self._stopping = threading.Event()

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        cfg = parse_sql_config(config)
        self._interval_s = cfg["poll.interval.ms"] / 1000
        self._wait_s = cfg["poll.wait.ms"] / 1000
        tables = [t for t in str(config.get("tables", "")).split(",") if t.strip()]
        if not tables and not cfg["query"]:
            tables = _tables(cfg, "table.whitelist", "table.include.list")
        if not tables and not cfg["query"]:
            msg = "No tables to poll: set table.whitelist or query."
            raise ConfigError(msg)
        self._queriers = self._build_queriers(cfg, tables)
        self._engine = make_engine(cfg)
        self._stopping.clear()

    def _build_queriers(self, cfg: Mapping[str, Any], tables: list[str]) -> list[Querier]:
        def spec(topic: str) -> QuerySpec:
            delay = dt.timedelta(milliseconds=cfg["timestamp.delay.interval.ms"])
            return QuerySpec(
                cfg["mode"], cfg["incrementing.column.name"], cfg["timestamp.column.name"],
                topic, cfg["batch.max.rows"], delay,
            )  # fmt: skip

        partitions = [{"query": "query"}] if cfg["query"] else [{"table": t} for t in tables]
        reader = self.context.offset_storage_reader() if self.context else None
        offsets = reader.offsets(partitions) if reader else [None] * len(partitions)
        offsets = [o or self._initial(cfg) for o in offsets]
        prefix = cfg["topic.prefix"]
        if cfg["query"]:
            return [QueryQuerier(spec(prefix), cfg["query"], offsets[0])]
        return [TableQuerier(spec(prefix + t), t, cfg["schema.pattern"], o)
                for t, o in zip(tables, offsets, strict=True)]  # fmt: skip

    @staticmethod
    def _initial(cfg: Mapping[str, Any]) -> dict[str, Any] | None:
        initial = cfg["timestamp.initial"]
        if initial is None or cfg["mode"] not in (TIMESTAMP, BOTH):
            return None
        if initial == -1:
            return to_offset_time(dt.datetime.now(dt.UTC))
        return {"timestamp": initial, "timestamp_nanos": (initial % 1000) * 1_000_000}

    def poll(self) -> list[SourceRecord]:
        if not self._queriers or self._engine is None:
            return []
        querier = min(self._queriers, key=lambda q: q.next_due)
        delay = querier.next_due - time.monotonic()
        if delay > 0:
            self._stopping.wait(min(delay, self._wait_s))
            return []
        try:
            with self._engine.connect() as conn:
                records = querier.poll(conn)
        except NoSuchTableError as exc:
            msg = f"Table {exc} does not exist; fix table.whitelist or create it."
            raise ConnectError(msg) from exc
        except SQLAlchemyError as exc:
            querier.next_due = time.monotonic() + self._interval_s
            raise _db_error(exc, f"Polling {querier.partition} failed") from exc
        full = querier.spec.mode != BULK and len(records) >= querier.spec.batch_rows
        querier.next_due = time.monotonic() + (0 if full else self._interval_s)
        return records

    def stop(self) -> None:
        self._stopping.set()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class SqlPollSourceConnector(ConfiguredConnector, SourceConnector):
    """Lists the tables and spreads them over the tasks (a query gets one task).

    Copying every table (no table list), it lists them again every
    ``table.poll.interval.ms`` and asks the runtime for new task configurations when tables
    appear or disappear, as the JDBC source does.
    """

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = SqlPollSourceTask
    VERSION = VERSION
    check_config = staticmethod(_check_sql)

    def __init__(self) -> None:
        super().__init__()
        self._tables: list[str] = []
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    def start(self, config: Mapping[str, str]) -> None:
        cfg = self.parse_config(config)
        self._config = dict(config)
        self._tables = _tables(cfg, "table.whitelist", "table.include.list")
        if not cfg["query"] and not self._tables:
            self._tables = self._list_tables(cfg)
            self._stopping.clear()
            self._monitor = threading.Thread(target=self._watch_tables, args=(cfg,),
                                             name="sql-poll-tables", daemon=True)  # fmt: skip
            self._monitor.start()

    def _watch_tables(self, cfg: Mapping[str, Any]) -> None:
        """Reconfigure the tasks when the set of tables changes."""
        while not self._stopping.wait(cfg["table.poll.interval.ms"] / 1000):
            try:
                tables = self._list_tables(cfg)
            except ConnectError as exc:
                log.warning("Listing the tables of %s failed: %s", cfg["connection.url"], exc)
                continue
            if tables != self._tables and not self._stopping.is_set():
                log.info("Tables changed (%s -> %s); reconfiguring", self._tables, tables)
                self._tables = tables
                if self.context is not None:
                    self.context.request_task_reconfiguration()

    @staticmethod
    def _list_tables(cfg: Mapping[str, Any]) -> list[str]:
        engine = make_engine(cfg)
        try:
            names = inspect(engine).get_table_names(schema=cfg["schema.pattern"])
        except SQLAlchemyError as exc:
            raise _db_error(exc, "Listing the tables failed") from exc
        finally:
            engine.dispose()
        excluded = set(_tables(cfg, "table.blacklist", "table.exclude.list"))
        return sorted(n for n in names if n not in excluded)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        if self.parse_config(self._config)["query"]:
            return [dict(self._config)]
        count = max(1, min(max_tasks, len(self._tables)))
        return [{**self._config, "tables": ",".join(self._tables[i::count])}
                for i in range(count)]  # fmt: skip

    def stop(self) -> None:
        self._stopping.set()
        monitor, self._monitor = self._monitor, None
        if monitor is not None:
            monitor.join(timeout=5)


parse_sql_config = SqlPollSourceConnector.parse_config
