r"""Topic routers: RegexRouter and TimestampRouter (Kafka names, options and syntax).

RegexRouter keeps Java's replacement syntax (``$1``, ``${name}``, ``\$`` for a literal
dollar) so configs written for Kafka Connect route the same way here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    ConnectRecord,
    DataError,
    Importance,
    Transformation,
)
from connectors.transforms.java_time import JavaDateFormat, validate_pattern

REGEX, REPLACEMENT = "regex", "replacement"
TOPIC_FORMAT, TIMESTAMP_FORMAT = "topic.format", "timestamp.format"


def _valid_regex(name: str, value: Any) -> None:
    try:
        java_regex(value)
    except re.error as exc:
        msg = f"Invalid regex: {exc}"
        raise ValueError(msg) from None


REGEX_ROUTER_CONFIG = (
    ConfigDef()
    .define(REGEX, ConfigType.STRING, validator=_valid_regex, importance=Importance.HIGH,
            documentation="Java regular expression the whole topic name must match.")
    .define(REPLACEMENT, ConfigType.STRING, importance=Importance.HIGH,
            documentation="Replacement string; $1, ${name} refer to groups, \\$ is a dollar.")
)  # fmt: skip


class GroupRef(NamedTuple):
    """A ``$n`` / ``${name}`` reference in a replacement."""

    group: int | str


Part = str | GroupRef
_JAVA_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex; Java's named groups ``(?<name>...)`` become Python's."""
    return re.compile(_JAVA_NAMED_GROUP.sub("(?P<", pattern))


def parse_java_replacement(replacement: str, pattern: re.Pattern[str]) -> list[Part]:
    """Literal strings and group references (int index or name) of a Java replacement."""
    parts: list[Part] = []
    literal: list[str] = []
    i = 0
    while i < len(replacement):
        c = replacement[i]
        if c == "\\":
            if i + 1 >= len(replacement):
                msg = "character to be escaped is missing"
                raise ValueError(msg)
            literal.append(replacement[i + 1])
            i += 2
            continue
        if c != "$":
            literal.append(c)
            i += 1
            continue
        ref, i = _group_ref(replacement, i + 1, pattern)
        parts.extend(["".join(literal), ref])
        literal = []
    parts.append("".join(literal))
    return [p for p in parts if p != ""]


def _group_ref(text: str, i: int, pattern: re.Pattern[str]) -> tuple[Part, int]:
    if i < len(text) and text[i] == "{":
        end = text.find("}", i)
        if end < 0:
            msg = "named capturing group is missing trailing '}'"
            raise ValueError(msg)
        name = text[i + 1 : end]
        if name not in pattern.groupindex:
            msg = f"No group with name {{{name}}}"
            raise ValueError(msg)
        return GroupRef(name), end + 1
    if i >= len(text) or not text[i].isdigit():
        msg = "Illegal group reference: $ must be followed by a group number or {name}"
        raise ValueError(msg)
    number, i = int(text[i]), i + 1
    while i < len(text) and text[i].isdigit() and number * 10 + int(text[i]) <= pattern.groups:
        number, i = number * 10 + int(text[i]), i + 1
    if number > pattern.groups:
        msg = f"No group {number}"
        raise ValueError(msg)
    return GroupRef(number), i


class RegexRouter(Transformation[ConnectRecord]):
    """Rename the topic when the whole topic name matches ``regex`` (Kafka's ``RegexRouter``)."""

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return REGEX_ROUTER_CONFIG

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = REGEX_ROUTER_CONFIG.parse(configs)
        self.regex = java_regex(config[REGEX])
        try:
            self.parts = parse_java_replacement(config[REPLACEMENT], self.regex)
        except ValueError as exc:
            raise ConfigError.from_errors({REPLACEMENT: [f"Invalid replacement: {exc}"]}) from None

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        m = self.regex.fullmatch(record.topic)
        if m is None:
            return record
        topic = "".join(p if isinstance(p, str) else (m.group(p.group) or "") for p in self.parts)
        return record.new_record(topic=topic)


TIMESTAMP_ROUTER_CONFIG = (
    ConfigDef()
    .define(TOPIC_FORMAT, ConfigType.STRING, "${topic}-${timestamp}",
            importance=Importance.HIGH,
            documentation="New topic name; ${topic} and ${timestamp} are replaced by the "
            "record's topic and formatted timestamp.")
    .define(TIMESTAMP_FORMAT, ConfigType.STRING, "yyyyMMdd", validate_pattern, Importance.HIGH,
            "Java SimpleDateFormat pattern for ${timestamp}, applied in UTC.")
)  # fmt: skip


class TimestampRouter(Transformation[ConnectRecord]):
    """Route to a topic named from the topic and the record timestamp (in UTC)."""

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return TIMESTAMP_ROUTER_CONFIG

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = TIMESTAMP_ROUTER_CONFIG.parse(configs)
        self.topic_format: str = config[TOPIC_FORMAT]
        self.timestamp_format = JavaDateFormat(config[TIMESTAMP_FORMAT])

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if record.timestamp is None:
            msg = (
                f"Timestamp missing on record: {record!r:.200}; TimestampRouter needs "
                "record timestamps (check the source or use a predicate to skip such records)."
            )
            raise DataError(msg)
        when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=record.timestamp)
        topic = self.topic_format.replace("${topic}", record.topic).replace(
            "${timestamp}", self.timestamp_format.format(when)
        )
        return record.new_record(topic=topic)
