"""The log's exception tree, one class per Kafka error code.

Every error carries Kafka's numeric ``error_code`` (so the wire-protocol
listener and the REST API can report it unchanged) and says whether retrying
the same call can succeed.  Messages tell the user what to do next.

    LogError
    ├── CorruptRecordError            (2)
    ├── OffsetOutOfRangeError         (1)
    ├── UnknownTopicOrPartitionError  (3)
    ├── RecordTooLargeError           (10)
    ├── InvalidTopicError             (17)
    ├── TopicAlreadyExistsError       (36)
    ├── InvalidPartitionsError        (37)
    ├── InvalidConfigurationError     (40)
    ├── InvalidRequestError           (42)
    ├── KafkaStorageError             (56)
    ├── GroupIdNotFoundError          (69)
    └── LogDirLockedError             (-1, not a Kafka error: a second process on the same data dir)
"""

from __future__ import annotations


class LogError(Exception):
    """Base of every error raised by :mod:`hub.core_log`."""

    error_code: int = -1
    retriable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OffsetOutOfRangeError(LogError):
    """A read asked for an offset before the log start or past the end."""

    error_code = 1


class CorruptRecordError(LogError):
    """A stored or received batch fails its CRC or has an impossible header."""

    error_code = 2


class UnknownTopicOrPartitionError(LogError):
    """The topic or partition does not exist (create it first)."""

    error_code = 3
    retriable = True


class RecordTooLargeError(LogError):
    """A batch is larger than the topic's ``max.message.bytes``."""

    error_code = 10


class InvalidTopicError(LogError):
    """A topic name breaks Kafka's naming rules."""

    error_code = 17


class TopicAlreadyExistsError(LogError):
    """A topic with that name exists already."""

    error_code = 36


class InvalidPartitionsError(LogError):
    """A partition count is not positive or would shrink a topic."""

    error_code = 37


class InvalidConfigurationError(LogError):
    """A topic config key is unknown or its value is out of range."""

    error_code = 40


class InvalidRequestError(LogError):
    """A request is malformed in a way no retry can fix."""

    error_code = 42


class KafkaStorageError(LogError):
    """The disk refused a write or read (full, read-only, I/O error)."""

    error_code = 56
    retriable = True


class GroupIdNotFoundError(LogError):
    """The consumer group has no committed offsets."""

    error_code = 69


class LogDirLockedError(LogError):
    """Another process holds the data directory's lock."""

    error_code = -1


MessageSizeTooLargeError = RecordTooLargeError
"""Kafka's older name for error code 10 (MESSAGE_TOO_LARGE)."""
