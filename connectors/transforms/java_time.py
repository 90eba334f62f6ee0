"""Java ``SimpleDateFormat`` patterns (``yyyy-MM-dd'T'HH:mm:ss.SSSZ``), formatted and parsed in UTC.

Kafka's TimestampConverter and TimestampRouter take Java patterns, and users copy their
configs over, so patterns are kept as they are instead of translating to ``strftime``.
Supported letters: y M d D H h k K m s S a E z Z X, quoted text (``'T'``) and ``''``.
Like Kafka, formatting always uses UTC; parsing honours a zone in the text, else UTC.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from typing import NamedTuple

_LETTERS = set("yMdDHhkKmsSaEzZX")
_MONTHS = list(calendar.month_name)[1:]
_DAYS = list(calendar.day_name)


class Token(NamedTuple):
    """A run of one pattern letter (``letter`` set) or literal text (``letter`` empty)."""

    letter: str
    width: int
    text: str = ""


def tokenize(pattern: str) -> list[Token]:
    """Split a Java date pattern; ValueError names an unsupported letter or open quote."""
    tokens: list[Token] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end, text = _quoted(pattern, i)
            tokens.append(Token("", 0, text))
            i = end
        elif c.isascii() and c.isalpha():
            if c not in _LETTERS:
                msg = f"Unsupported date pattern letter {c!r} in {pattern!r}"
                raise ValueError(msg)
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            tokens.append(Token(c, j - i))
            i = j
        else:
            tokens.append(Token("", 0, c))
            i += 1
    return tokens


def _quoted(pattern: str, start: int) -> tuple[int, str]:
    if pattern.startswith("''", start):
        return start + 2, "'"
    end = pattern.find("'", start + 1)
    if end < 0:
        msg = f"Unterminated quote in date pattern {pattern!r}"
        raise ValueError(msg)
    return end + 1, pattern[start + 1 : end]


def _num(value: int, count: int) -> str:
    return str(value).zfill(count)


def _month(month: int, n: int) -> str:
    if n < 3:
        return _num(month, n)
    name = _MONTHS[month - 1]
    return name[:3] if n == 3 else name


_FORMATTERS: dict[str, Callable[[dt.datetime, int], str]] = {
    "y": lambda d, n: _num(d.year % 100, 2) if n == 2 else _num(d.year, n),
    "M": lambda d, n: _month(d.month, n),
    "d": lambda d, n: _num(d.day, n),
    "D": lambda d, n: _num(d.timetuple().tm_yday, n),
    "H": lambda d, n: _num(d.hour, n),
    "k": lambda d, n: _num(d.hour or 24, n),
    "K": lambda d, n: _num(d.hour % 12, n),
    "h": lambda d, n: _num(d.hour % 12 or 12, n),
    "m": lambda d, n: _num(d.minute, n),
    "s": lambda d, n: _num(d.second, n),
    "S": lambda d, n: _num(d.microsecond // 1000, n),
    "a": lambda d, n: "AM" if d.hour < 12 else "PM",
    "E": lambda d, n: _DAYS[d.weekday()] if n >= 4 else _DAYS[d.weekday()][:3],
    "z": lambda d, n: "UTC",
    "Z": lambda d, n: "+0000",
    "X": lambda d, n: "Z",
}

_NUMERIC_WIDTH = {"y": 9, "M": 2, "d": 2, "D": 3, "H": 2, "k": 2, "K": 2, "h": 2, "m": 2,
                  "s": 2, "S": 3}  # fmt: skip


class JavaDateFormat:
    """One compiled pattern; ``format`` and ``parse`` are inverse for supported patterns."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.tokens = tokenize(pattern)
        self._regex = re.compile("".join(self._token_regex(i) for i in range(len(self.tokens))))

    def format(self, value: dt.datetime) -> str:
        """The UTC rendering of ``value`` (naive datetimes are taken as UTC)."""
        utc = value.astimezone(dt.UTC) if value.tzinfo else value
        return "".join(
            _FORMATTERS[t.letter](utc, t.width) if t.letter else t.text for t in self.tokens
        )

    def _token_regex(self, i: int) -> str:
        t = self.tokens[i]
        name = f"t{i}"
        if not t.letter:
            return re.escape(t.text)
        if t.letter == "M" and t.width >= 3:
            return f"(?P<{name}>[A-Za-z]+)"
        if t.letter in _NUMERIC_WIDTH:
            nxt = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
            fixed = (nxt is not None and nxt.letter in _NUMERIC_WIDTH) or t.width > 1
            width = f"{{{t.width}}}" if fixed else f"{{1,{_NUMERIC_WIDTH[t.letter]}}}"
            return f"(?P<{name}>[0-9]{width})"
        return {
            "a": f"(?P<{name}>[AaPp][Mm])",
            "E": f"(?P<{name}>[A-Za-z]+)",
            "z": f"(?P<{name}>UTC|GMT|Z|(?:GMT|UTC)?[+-][0-9]{{2}}:?[0-9]{{2}})",
            "Z": f"(?P<{name}>[+-][0-9]{{4}}|Z)",
            "X": f"(?P<{name}>Z|[+-][0-9]{{2}}(?::?[0-9]{{2}})?)",
        }[t.letter]

    def parse(self, text: str) -> dt.datetime:
        """The instant ``text`` stands for; ValueError says how it differs from the pattern."""
        m = self._regex.fullmatch(text.strip())
        if m is None:
            msg = f"{text!r} does not match the date pattern {self.pattern!r}"
            raise ValueError(msg)
        fields = {"year": 1970, "month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0,
                  "ms": 0, "pm": None, "offset": 0}  # fmt: skip
        for i, t in enumerate(self.tokens):
            if t.letter:
                _read(fields, t, m.group(f"t{i}"))
        return _build(fields)


def _read(fields: dict[str, int | None], t: Token, raw: str) -> None:
    key = {"y": "year", "M": "month", "d": "day", "H": "hour", "k": "hour", "K": "hour",
           "h": "hour", "m": "minute", "s": "second", "S": "ms"}.get(t.letter)  # fmt: skip
    if t.letter == "M" and t.width >= 3:
        names = [m.lower()[: len(raw)] for m in _MONTHS]
        fields["month"] = names.index(raw.lower()) + 1
    elif t.letter == "y" and t.width == 2:
        year = int(raw)
        fields["year"] = year + (1900 if year >= 69 else 2000)
    elif t.letter == "D":
        fields["yday"] = int(raw)
    elif key:
        fields[key] = int(raw) % 24 if t.letter == "k" else int(raw)
    elif t.letter == "a":
        fields["pm"] = raw.upper() == "PM"
    elif t.letter in "zZX":
        fields["offset"] = _offset_minutes(raw)


def _offset_minutes(raw: str) -> int:
    digits = raw.replace("GMT", "").replace("UTC", "").replace(":", "")
    if digits in ("", "Z"):
        return 0
    sign = -1 if digits[0] == "-" else 1
    hours, minutes = int(digits[1:3]), int(digits[3:5] or 0)
    return sign * (hours * 60 + minutes)


def _build(f: dict[str, int | None]) -> dt.datetime:
    hour = int(f["hour"] or 0)
    if f["pm"] is not None:
        hour = hour % 12 + (12 if f["pm"] else 0)
    tz = dt.timezone(dt.timedelta(minutes=int(f["offset"] or 0)))
    base = dt.datetime(int(f["year"] or 1970), int(f["month"] or 1), int(f["day"] or 1), hour,
                       int(f["minute"] or 0), int(f["second"] or 0), int(f["ms"] or 0) * 1000,
                       tzinfo=tz)  # fmt: skip
    if f.get("yday"):
        base = base.replace(month=1, day=1) + dt.timedelta(days=int(f["yday"] or 1) - 1)
    return base.astimezone(dt.UTC)


def validate_pattern(name: str, value: object) -> None:
    """ConfigDef validator: the pattern must compile (None allowed)."""
    if value is not None:
        tokenize(str(value))
