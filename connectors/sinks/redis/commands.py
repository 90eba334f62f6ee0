"""Turn decided changes into Redis commands: keys, data shapes, TTL, invalidation.

Every command is a plain argument tuple for ``execute_command``; a batch becomes one
ordered list, so the pipeline applies a batch's changes in log order and the last change
of a key wins. All commands are idempotent (SET/HSET/HDEL/DEL/EXPIRE) except XADD, so a
batch written twice after a retry or a replay ends in the same state.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from connectors.api import DataError, Struct
from connectors.sinks._cdc import Action, Change, dumps, key_parts, key_string
from connectors.sinks.redis.config import RedisSinkSettings

Command = tuple[Any, ...]
_FIELD = re.compile(r"\{([^{}]+)\}")

#: STRING rows whose TOAST columns were not sent: keep those columns from the stored JSON.
#: ARGV = row JSON without them, TTL seconds (0 = none), then the missing column names.
MERGE_SCRIPT = """
local out = ARGV[1]
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, old = pcall(cjson.decode, cur)
  if ok and type(old) == 'table' then
    local extra = {}
    for i = 3, #ARGV do
      local v = old[ARGV[i]]
      if v ~= nil then extra[#extra + 1] = cjson.encode(ARGV[i]) .. ':' .. cjson.encode(v) end
    end
    if #extra > 0 then
      local body = string.sub(out, 1, -2)
      if body ~= '{' then body = body .. ',' end
      out = body .. table.concat(extra, ',') .. '}'
    end
  end
end
if tonumber(ARGV[2]) > 0 then
  return redis.call('SET', KEYS[1], out, 'EX', ARGV[2])
end
return redis.call('SET', KEYS[1], out)
"""


def field_text(value: Any) -> str | bytes:
    """A column value as a hash field / stream field (see docs/sink-redis.md)."""
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list | Struct):
        return dumps(value).decode()
    if isinstance(value, bytearray):
        return bytes(value)
    return str(value)


class CommandBuilder:
    """Builds the commands of one change with one task's settings."""

    def __init__(self, settings: RedisSinkSettings) -> None:
        self.s = settings
        self._prefixes: dict[str, str] = {}

    def key_for(self, change: Change) -> str:
        """The Redis key of a change (keyspace + separator + key, or the template)."""
        record = change.record
        return self._key(record.topic, record.key, change.row or change.old or {})

    def _key(self, topic: str, key: Any, row: dict[str, Any]) -> str:
        if self.s.key_template:
            return self._templated(topic, key, row)
        prefix = self._prefixes.get(topic)
        if prefix is None:
            keyspace = self.s.keyspace.replace("${topic}", topic)
            prefix = keyspace + self.s.separator if keyspace else ""
            self._prefixes[topic] = prefix
        if self.s.type == "STREAM":
            return prefix[: -len(self.s.separator)] if prefix else topic
        return prefix + key_string(key, self.s.separator)

    def _templated(self, topic: str, key: Any, row: dict[str, Any]) -> str:
        names = _names(key)

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "topic":
                return topic
            if name in names:
                return str(field_text(names[name]) if names[name] is not None else "")
            if name in row and row[name] is not None:
                value = field_text(row[name])
                return value.decode() if isinstance(value, bytes) else value
            msg = (
                f"redis.key.template {self.s.key_template!r} needs field {name!r}, which is "
                f"neither in the record key nor in the row of {topic}"
            )
            raise DataError(msg)

        return _FIELD.sub(fill, self.s.key_template)

    def commands(self, change: Change) -> list[Command]:
        """The commands of one change (empty for skips)."""
        action = change.action
        if action is Action.SKIP:
            return []
        key = self.key_for(change)
        kind = self.s.type
        if kind == "STREAM":
            return [self._xadd(key, change)]
        if action is Action.DELETE and change.new_key is not None and not self.s.invalidate:
            return self._moved(key, change)
        if action is Action.DELETE or self.s.invalidate:
            return [("DEL", key)]
        if kind == "HASH":
            return self._hash(key, change)
        return [self._string(key, change)]

    def _moved(self, key: str, change: Change) -> list[Command]:
        """The delete half of a primary-key change: copy the stored value to the new key.

        The create event that follows carries TOAST placeholders for columns it did not
        get; writing it over the copy keeps those columns. COPY never overwrites (a newer
        value already at the new key wins) and needs Redis 6.2+; in a cluster the two keys
        may live in different slots, so there it is left out.
        """
        if self.s.cluster:
            return [("DEL", key)]
        new = self._key(change.record.topic, change.new_key, change.old or {})
        return [("COPY", key, new), ("DEL", key)]

    def _hash(self, key: str, change: Change) -> list[Command]:
        row = change.row
        if row is None:
            msg = (
                f"redis.type=HASH needs structured values (a row); {change.record.topic} has "
                f"{type(change.raw).__name__} values: use redis.type=STRING for them"
            )
            raise DataError(msg)
        args: list[Any] = ["HSET", key]
        nulls: list[str] = []
        add = args.append
        for name, value in row.items():  # the common types inline: this runs per column
            kind = type(value)
            if kind is str:
                add(name)
                add(value)
            elif kind is int:
                add(name)
                add(str(value))
            elif value is None:
                nulls.append(name)
            else:
                add(name)
                add(field_text(value))
        out: list[Command] = []
        if len(args) > 2:
            out.append(tuple(args))
        if nulls:
            out.append(("HDEL", key, *nulls))
        if self.s.ttl_s:
            out.append(("EXPIRE", key, self.s.ttl_s))
        return out

    def _string(self, key: str, change: Change) -> Command:
        body: str | bytes
        if change.row is not None and self.s.value_format == "json":
            if change.missing:
                text = dumps(change.row)
                return ("EVAL", MERGE_SCRIPT, 1, key, text, self.s.ttl_s, *change.missing)
            body = dumps(change.row)
        elif isinstance(change.raw, str | bytes | bytearray):
            body = bytes(change.raw) if isinstance(change.raw, bytearray) else change.raw
        elif self.s.value_format == "json":
            body = dumps(change.raw)
        else:
            msg = (
                f"redis.value.format=raw needs string or bytes values; {change.record.topic} "
                "has structured values: use redis.value.format=json"
            )
            raise DataError(msg)
        if self.s.ttl_s:
            return ("SET", key, body, "EX", self.s.ttl_s)
        return ("SET", key, body)

    def _xadd(self, key: str, change: Change) -> Command:
        args: list[Any] = ["XADD", key]
        if self.s.stream_maxlen:
            args += ("MAXLEN", "~", self.s.stream_maxlen)
        args.append("*")
        if change.action is Action.DELETE:
            return (*args, "__key", key_string(change.record.key, self.s.separator),
                    "__deleted", "true")  # fmt: skip
        if change.row is None:
            raw = change.raw
            return (*args, "value", raw if isinstance(raw, str | bytes) else dumps(raw))
        pairs = [(k, field_text(v)) for k, v in change.row.items() if v is not None]
        if not pairs:
            pairs = [("__key", key_string(change.record.key, self.s.separator))]
        return (*args, *(x for pair in pairs for x in pair))


def _names(key: Any) -> dict[str, Any]:
    if isinstance(key, Struct):
        return {f.name: key.get(f.name) for f in key.schema.fields}
    if isinstance(key, dict):
        return key
    return {"key": key_parts(key)[0]} if key is not None else {}
