"""Config providers: ``${env:NAME}`` and ``${file:/path/to/file.properties:key}``.

Placeholders stay in the stored config; they are resolved only when a connector or task
starts, so the REST API (which shows stored configs) never reveals the secrets behind them.
Kafka's syntax is ``${provider:[path:]key}``; the file provider reads a Java-style
properties file (``key=value`` or ``key: value`` lines, ``#``/``!`` comments).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from connectors.api import ConfigError

PLACEHOLDER = re.compile(r"\$\{(\w+):([^}]*)\}")


def has_placeholder(value: str) -> bool:
    """Whether a value holds a ``${provider:...}`` reference."""
    return PLACEHOLDER.search(value) is not None


def read_properties(path: Path) -> dict[str, str]:
    """Parse a properties file (no line continuations; enough for secrets files)."""
    props: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)", line)
        if match:
            props[match.group(1)] = match.group(2)
        else:
            props[line] = ""
    return props


class ConfigProviders:
    """Resolves placeholders; errors name the config key and what to fix."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env

    def _lookup(self, provider: str, body: str, key: str) -> str:
        if provider == "env":
            env = os.environ if self._env is None else self._env
            if body not in env:
                msg = f"environment variable {body} is not set; export it before starting the hub"
                raise ConfigError.from_errors({key: [msg]})
            return env[body]
        if provider == "file":
            return self._file(body, key)
        msg = f"unknown config provider {provider!r}; use ${{env:NAME}} or ${{file:/path:key}}"
        raise ConfigError.from_errors({key: [msg]})

    @staticmethod
    def _file(body: str, key: str) -> str:
        path, sep, prop = body.rpartition(":")
        if not sep or not path:
            msg = f"${{file:{body}}} needs a path and a key: ${{file:/path/to/file:key}}"
            raise ConfigError.from_errors({key: [msg]})
        try:
            props = read_properties(Path(path))
        except OSError as exc:
            msg = f"cannot read {path} for ${{file:...}}: {exc.strerror}"
            raise ConfigError.from_errors({key: [msg]}) from None
        if prop not in props:
            msg = f"{path} has no key {prop!r}; add `{prop}=...` to it"
            raise ConfigError.from_errors({key: [msg]})
        return props[prop]

    def _replacer(self, key: str) -> Callable[[re.Match[str]], str]:
        return lambda m: self._lookup(m[1], m[2], key)

    def resolve(self, config: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``config`` with every placeholder replaced."""
        out: dict[str, str] = {}
        for key, value in config.items():
            if isinstance(value, str) and "${" in value:
                value = PLACEHOLDER.sub(self._replacer(key), value)
            out[key] = value
        return out


def reverse_transform(
    raw: Mapping[str, str], resolved: Mapping[str, str], generated: Mapping[str, str]
) -> dict[str, str]:
    """Put placeholders back into task configs a connector built from resolved values.

    Task configs are stored and shown by the REST API; a value the connector copied from
    a resolved key must not be stored in clear (Kafka's ``Worker.reverseTransform``).
    """
    out = dict(generated)
    for key, value in generated.items():
        original = raw.get(key)
        if isinstance(original, str) and has_placeholder(original) and value == resolved.get(key):
            out[key] = original
    return out
