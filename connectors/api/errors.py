"""The exceptions a connector, converter or transform raises, and what the runtime does with them.

Exception tree::

    ConnectError                 terminal: the task fails (or the record goes to the DLQ)
    ├── RetriableError           transient: the runtime retries with backoff
    ├── DataError                one record cannot be converted or transformed
    ├── ConfigError              a configuration is invalid; carries every error per field
    └── PluginNotFoundError      a class / alias names no installed plugin

The runtime decides between retrying and failing by ``isinstance(exc, RetriableError)``
(or :attr:`ConnectError.retriable`), so connectors only need to pick the right class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ConnectError(Exception):
    """Base of every SDK error; not retriable unless a subclass says so."""

    retriable: bool = False


class RetriableError(ConnectError):
    """A transient failure (network blip, lock timeout): the same call may succeed later."""

    retriable = True


class DataError(ConnectError):
    """A record's data does not fit its schema or a converter/transform cannot handle it.

    Under ``errors.tolerance=all`` such records are skipped or sent to the dead letter queue.
    """


class ConfigError(ConnectError):
    """A configuration is invalid.

    Attributes:
        errors: field name -> every error message for that field, so callers can report all
            problems at once instead of one per attempt.
    """

    def __init__(self, message: str, errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}

    @classmethod
    def from_errors(
        cls, errors: Mapping[str, Sequence[str]], what: str = "Configuration"
    ) -> ConfigError:
        """Build one error whose message lists every per-field error, one per line."""
        lines = [f"{name}: {msg}" for name, msgs in errors.items() for msg in msgs]
        head = f"{what} is invalid and contains the following {len(lines)} error(s):"
        return cls("\n".join([head, *lines]), errors)


class PluginNotFoundError(ConnectError):
    """No installed plugin matches a class name, alias or dotted path."""
