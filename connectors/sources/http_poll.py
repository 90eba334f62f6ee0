"""HTTP poll source: poll a JSON API on a schedule, follow its pagination, emit only what is new.

An APScheduler job fetches ``http.url`` every ``poll.interval.ms`` (all pages of one
fetch: by a next-cursor field or by page number), picks the records at ``records.path``,
and hands them to :meth:`HttpPollSourceTask.poll` through a bounded queue; ``poll`` itself
never blocks for long.

Incremental cursor: with ``incremental.field`` (e.g. ``updated_at``) records are emitted in
that field's order and each carries the offset ``{"cursor": value, "seen": [...]}`` - the
highest value so far plus digests of the records already emitted at exactly that value. A
restart sends the cursor again (``incremental.param``) and skips what is at or below it and
already seen, so nothing is lost or repeated even when many records share one value.
Values compare as numbers when both are numbers, otherwise as strings (ISO-8601 times in
one format sort correctly).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import queue
import threading
from collections.abc import Mapping
from typing import Any

import httpx
import orjson
from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)

from connectors.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigType,
    ConfiguredConnector,
    ConfigValue,
    ConnectError,
    Importance,
    Password,
    Range,
    SourceConnector,
    SourceRecord,
    SourceTask,
    ValidString,
)
from connectors.sources.json_path import JsonPath, json_path_validator

log = logging.getLogger(__name__)
VERSION = "1.0.0"
#: Digests kept for records sharing the cursor value; more such records may repeat on restart.
MAX_SEEN = 1000
_G_REQ, _G_PAGE, _G_OUT = "Request", "Pagination", "Records"


def _header_list(name: str, value: Any) -> None:
    bad = [h for h in value or () if ":" not in h]
    if bad:
        msg = f"headers must look like 'Name: value' (got {', '.join(bad)})"
        raise ValueError(msg)


CONFIG_DEF = (
    ConfigDef()
    .define("http.url", ConfigType.STRING, NO_DEFAULT, None, Importance.HIGH,
            "The JSON API endpoint (http:// or https://).", group=_G_REQ, order=1)
    .define("http.method", ConfigType.STRING, "GET", ValidString("GET", "POST"),
            Importance.MEDIUM, "GET or POST.", group=_G_REQ, order=2)
    .define("http.headers", ConfigType.LIST, "", _header_list, Importance.MEDIUM,
            "Extra request headers, comma-separated 'Name: value' pairs.", group=_G_REQ,
            order=3)
    .define("http.params", ConfigType.LIST, "", None, Importance.LOW,
            "Fixed query parameters, comma-separated 'name=value' pairs.", group=_G_REQ,
            order=4)
    .define("http.request.body", ConfigType.STRING, "", None, Importance.LOW,
            "JSON body sent with POST.", group=_G_REQ, order=5)
    .define("http.auth.type", ConfigType.STRING, "none",
            ValidString("none", "basic", "bearer", "header"), Importance.HIGH,
            "none, basic (user + password), bearer (token) or header (the token in the "
            "header named by http.auth.header, e.g. X-API-Key).", group=_G_REQ, order=6)
    .define("http.auth.user", ConfigType.STRING, "", None, Importance.HIGH,
            "User for basic authentication.", group=_G_REQ, order=7)
    .define("http.auth.password", ConfigType.PASSWORD, None, None, Importance.HIGH,
            "Password for basic authentication.", group=_G_REQ, order=8)
    .define("http.auth.token", ConfigType.PASSWORD, None, None, Importance.HIGH,
            "Token for bearer authentication ('Authorization: Bearer <token>') or the API key "
            "for header authentication.", group=_G_REQ, order=9)
    .define("http.auth.header", ConfigType.STRING, "X-API-Key", None, Importance.MEDIUM,
            "Header carrying the token with http.auth.type=header.", group=_G_REQ, order=10)
    .define("http.timeout.ms", ConfigType.LONG, 10000, Range.at_least(1), Importance.LOW,
            "Timeout of each request.", group=_G_REQ, order=11)
    .define("poll.interval.ms", ConfigType.LONG, 10000, Range.at_least(10), Importance.HIGH,
            "Time between the starts of two fetches.", group=_G_REQ, order=12)
    .define("topic", ConfigType.STRING, NO_DEFAULT, None, Importance.HIGH,
            "The topic records are written to.", group=_G_OUT, order=1)
    .define("records.path", ConfigType.STRING, "$", json_path_validator, Importance.HIGH,
            "Where the records are in a response: $ (the body), $.data.items, items[0].rows."
            " An object there is one record.", group=_G_OUT, order=2)
    .define("key.field", ConfigType.STRING, "", json_path_validator, Importance.MEDIUM,
            "Path in a record to its key (a string); empty: no key.", group=_G_OUT, order=3)
    .define("incremental.field", ConfigType.STRING, "", json_path_validator, Importance.HIGH,
            "Path in a record to a value that grows with every change (updated_at, id): "
            "the offset, so a restart resumes after it.", group=_G_OUT, order=4)
    .define("incremental.param", ConfigType.STRING, "", None, Importance.MEDIUM,
            "Query parameter that sends the last cursor value to the API (e.g. since); "
            "empty: filter on this side only.", group=_G_OUT, order=5)
    .define("incremental.initial", ConfigType.STRING, "", None, Importance.LOW,
            "Cursor value to start from when there is no offset.", group=_G_OUT, order=6)
    .define("pagination.mode", ConfigType.STRING, "none", ValidString("none", "cursor", "page"),
            Importance.MEDIUM, "none, cursor (a next-cursor field in the response) or page "
            "(page numbers).", group=_G_PAGE, order=1)
    .define("pagination.cursor.path", ConfigType.STRING, "", json_path_validator,
            Importance.MEDIUM, "Path in the response to the next cursor; empty/null = last "
            "page.", group=_G_PAGE, order=2)
    .define("pagination.cursor.param", ConfigType.STRING, "cursor", None, Importance.MEDIUM,
            "Query parameter carrying the cursor.", group=_G_PAGE, order=3)
    .define("pagination.page.param", ConfigType.STRING, "page", None, Importance.MEDIUM,
            "Query parameter carrying the page number.", group=_G_PAGE, order=4)
    .define("pagination.page.start", ConfigType.INT, 1, None, Importance.LOW,
            "Number of the first page.", group=_G_PAGE, order=5)
    .define("pagination.size.param", ConfigType.STRING, "", None, Importance.LOW,
            "Query parameter carrying the page size (e.g. per_page); empty: not sent.",
            group=_G_PAGE, order=6)
    .define("pagination.size", ConfigType.INT, 100, Range.at_least(1), Importance.LOW,
            "Page size sent with pagination.size.param; a shorter page is the last one.",
            group=_G_PAGE, order=7)
    .define("pagination.max.pages", ConfigType.INT, 1000, Range.at_least(1), Importance.LOW,
            "Safety bound on the pages of one fetch.", group=_G_PAGE, order=8)
    .define("buffer.max.records", ConfigType.INT, 100000, Range.at_least(1), Importance.LOW,
            "A fetch is skipped while this many fetched records wait for poll().",
            group=_G_OUT, order=7)
    .define("batch.size", ConfigType.INT, 1000, Range.at_least(1), Importance.LOW,
            "The most records returned by one poll.", group=_G_OUT, order=8)
)  # fmt: skip


def _check_http(values: Mapping[str, ConfigValue], config: Mapping[str, Any]) -> None:
    """The rules that tie keys together."""
    cfg = {c.name: c.value for c in values.values()}
    url = str(cfg.get("http.url") or "")
    if url and not url.startswith(("http://", "https://")):
        values["http.url"].errors.append("Must start with http:// or https://.")
    if cfg.get("pagination.mode") == "cursor" and not cfg.get("pagination.cursor.path"):
        values["pagination.cursor.path"].errors.append("Required with pagination.mode=cursor.")
    auth = cfg.get("http.auth.type")
    if auth in ("bearer", "header") and cfg.get("http.auth.token") is None:
        values["http.auth.token"].errors.append(f"Required with http.auth.type={auth}.")
    if cfg.get("http.auth.type") == "basic" and not cfg.get("http.auth.user"):
        values["http.auth.user"].errors.append("Required with http.auth.type=basic.")


def digest(record: Any) -> str:
    """A short stable identity of a record's content (for records sharing a cursor value)."""
    blob = orjson.dumps(record, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


class Cursor:
    """The incremental position: highest value emitted and the records seen at that value."""

    def __init__(self, value: Any = None, seen: list[str] | None = None) -> None:
        self.value, self.seen = value, list(seen or [])

    def is_new(self, value: Any, ident: str) -> bool:
        if self.value is None or value is None:
            return True
        a, b = _sort_key(value), _sort_key(self.value)
        return a > b or (a == b and ident not in self.seen)

    def advance(self, value: Any, ident: str) -> None:
        if value is None:
            return
        if self.value is not None and _sort_key(value) == _sort_key(self.value):
            self.seen.append(ident)
            if len(self.seen) > MAX_SEEN:  # bounded offsets: beyond it, repeats after a restart
                del self.seen[0]
        else:
            self.value, self.seen = value, [ident]

    def to_offset(self) -> dict[str, Any]:
        return {"cursor": self.value, "seen": list(self.seen)}


class Fetcher:
    """One fetch: every page of the API, filtered and ordered by the cursor."""

    def __init__(self, cfg: Mapping[str, Any], cursor: Cursor) -> None:
        self.cfg, self.cursor = cfg, cursor
        self.records_path = JsonPath(cfg["records.path"])
        self.key_path = JsonPath(cfg["key.field"]) if cfg["key.field"] else None
        self.inc_path = JsonPath(cfg["incremental.field"]) if cfg["incremental.field"] else None
        self.next_path = JsonPath(cfg["pagination.cursor.path"] or "$")
        self.partition = {"url": cfg["http.url"]}
        self.client = httpx.Client(timeout=cfg["http.timeout.ms"] / 1000, auth=self._auth(cfg),
                                   headers=self._headers(cfg))  # fmt: skip

    @staticmethod
    def _auth(cfg: Mapping[str, Any]) -> httpx.Auth | None:
        if cfg["http.auth.type"] == "basic":
            password = cfg["http.auth.password"]
            return httpx.BasicAuth(cfg["http.auth.user"], password.value if password else "")
        return None

    @staticmethod
    def _headers(cfg: Mapping[str, Any]) -> dict[str, str]:
        headers = {
            k.strip(): v.strip() for k, _, v in (h.partition(":") for h in cfg["http.headers"])
        }
        token = cfg["http.auth.token"]
        if cfg["http.auth.type"] == "bearer" and isinstance(token, Password):
            headers["Authorization"] = f"Bearer {token.value}"
        elif cfg["http.auth.type"] == "header" and isinstance(token, Password):
            headers[cfg["http.auth.header"]] = token.value
        return headers

    def _request(self, params: dict[str, Any]) -> Any:
        cfg = self.cfg
        body = cfg["http.request.body"] if cfg["http.method"] == "POST" else None
        headers = {"Content-Type": "application/json"} if body else None
        resp = self.client.request(
            cfg["http.method"], cfg["http.url"], params=params, content=body or None,
            headers=headers,
        )  # fmt: skip
        if resp.status_code >= 400:
            text = resp.text[:200]
            msg = f"{cfg['http.method']} {cfg['http.url']} answered {resp.status_code}: {text}"
            if resp.status_code in (401, 403, 404, 405, 400):
                raise ConnectError(msg + " (fix the URL, parameters or credentials)")
            raise httpx.HTTPStatusError(msg, request=resp.request, response=resp)
        return resp.json()

    def pages(self) -> list[Any]:
        """Every record of every page of one fetch, in the API's order."""
        cfg = self.cfg
        params: dict[str, Any] = dict(p.partition("=")[::2] for p in cfg["http.params"])
        if cfg["incremental.param"] and self.cursor.value is not None:
            params[cfg["incremental.param"]] = self.cursor.value
        mode, page = cfg["pagination.mode"], cfg["pagination.page.start"]
        items: list[Any] = []
        for _ in range(cfg["pagination.max.pages"]):
            if mode == "page":
                params[cfg["pagination.page.param"]] = page
                if cfg["pagination.size.param"]:
                    params[cfg["pagination.size.param"]] = cfg["pagination.size"]
            data = self._request(params)
            found = self.records_path.find(data)
            batch = found if isinstance(found, list) else ([] if found is None else [found])
            items.extend(batch)
            if mode == "cursor":
                nxt = self.next_path.find(data)
                if nxt in (None, "") or not batch:
                    break
                params[cfg["pagination.cursor.param"]] = nxt
            elif (
                mode == "page"
                and batch
                and not (cfg["pagination.size.param"] and len(batch) < cfg["pagination.size"])
            ):
                page += 1
            else:
                break
        return items

    def fetch(self) -> list[SourceRecord]:
        """Records not emitted yet, ordered by the cursor field, each with its offset."""
        items = self.pages()
        if self.inc_path is not None:
            inc = self.inc_path
            keyed = [(inc.find(item), digest(item), item) for item in items]
            keyed = [k for k in keyed if self.cursor.is_new(k[0], k[1])]
            keyed.sort(key=lambda k: _sort_key(k[0]) if k[0] is not None else (-1, 0))
        else:
            keyed = [(None, "", item) for item in items]
        records = []
        for value, ident, item in keyed:
            self.cursor.advance(value, ident)
            key = self.key_path.find(item) if self.key_path else None
            records.append(SourceRecord(
                self.cfg["topic"], None, None, None if key is None else str(key), None, item,
                source_partition=self.partition, source_offset=self.cursor.to_offset(),
            ))  # fmt: skip
        return records

    def close(self) -> None:
        self.client.close()


class HttpPollSourceTask(SourceTask):
    """Runs the fetch job on a scheduler; poll() drains what it fetched."""

    def __init__(self) -> None:
        self._queue: queue.Queue[SourceRecord] = queue.Queue()
        self._scheduler: BackgroundScheduler | None = None
        self._fetcher: Fetcher | None = None
        self._fatal: ConnectError | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.fetches = 0

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        cfg = HttpPollSourceConnector.parse_config(config)
        reader = self.context.offset_storage_reader() if self.context else None
        offset = reader.offset({"url": cfg["http.url"]}) if reader else None
        if offset and offset.get("cursor") is not None:
            cursor = Cursor(offset["cursor"], offset.get("seen"))
        else:
            cursor = Cursor(cfg["incremental.initial"] or None)
        self._batch: int = cfg["batch.size"]
        self._limit: int = cfg["buffer.max.records"]
        self._fetcher = Fetcher(cfg, cursor)
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.add_job(
            self._fetch_job, "interval", seconds=cfg["poll.interval.ms"] / 1000,
            next_run_time=dt.datetime.now(dt.UTC), max_instances=1, coalesce=True,
        )  # fmt: skip
        scheduler.start()
        self._scheduler = scheduler

    def _fetch_job(self) -> None:
        """One scheduled fetch; transient failures are logged and retried next time."""
        fetcher = self._fetcher
        if fetcher is None or self._queue.qsize() >= self._limit:
            return
        try:
            records = fetcher.fetch()
        except ConnectError as exc:
            self._fatal = exc
            return
        except Exception as exc:  # network, JSON, a client closed by stop(): try again later
            self.last_error = str(exc)
            log.warning("HTTP poll of %s failed, retrying at the next interval: %s",
                        fetcher.cfg["http.url"], exc)  # fmt: skip
            return
        self.fetches += 1
        self.last_error = None
        for record in records:
            self._queue.put(record)

    def poll(self) -> list[SourceRecord]:
        if self._fatal is not None:
            raise self._fatal
        out: list[SourceRecord] = []
        try:
            out.append(self._queue.get(timeout=0.1))
            while len(out) < self._batch:
                out.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return out

    def stop(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        fetcher, self._fetcher = self._fetcher, None
        if fetcher is not None:
            fetcher.close()


class HttpPollSourceConnector(ConfiguredConnector, SourceConnector):
    """One task: a single API cursor cannot be shared."""

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = HttpPollSourceTask
    VERSION = VERSION
    MAX_TASKS = 1
    check_config = staticmethod(_check_http)
