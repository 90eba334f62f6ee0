"""The embedded partitioned durable log, stored on disk the way Kafka stores it.

This package imports nothing else from the project, so it can be reused (and
reasoned about) on its own.  Everything public is re-exported here::

    from hub.core_log import Log, ProduceRecord, GroupOffsets
"""

from hub.core_log.errors import (
    CorruptRecordError,
    GroupIdNotFoundError,
    InvalidConfigurationError,
    InvalidPartitionsError,
    InvalidRequestError,
    InvalidTopicError,
    KafkaStorageError,
    LogDirLockedError,
    LogError,
    MessageSizeTooLargeError,
    OffsetOutOfRangeError,
    RecordTooLargeError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)
from hub.core_log.groups import GroupOffsets, GroupPartitionLag
from hub.core_log.log import Log
from hub.core_log.records import (
    BATCH_HEADER_SIZE,
    CompressionType,
    Record,
    RecordBatch,
    RecordColumns,
    TimestampType,
    build_batch,
    build_batch_parts,
    iter_batches,
    murmur2,
    partition_for_key,
    stamp_base_offset,
    stamp_log_append_time,
)
from hub.core_log.views import FetchResult, PartitionInfo, ProduceRecord, TopicDescription

__all__ = [
    "BATCH_HEADER_SIZE",
    "CompressionType",
    "CorruptRecordError",
    "FetchResult",
    "GroupIdNotFoundError",
    "GroupOffsets",
    "GroupPartitionLag",
    "InvalidConfigurationError",
    "InvalidPartitionsError",
    "InvalidRequestError",
    "InvalidTopicError",
    "KafkaStorageError",
    "Log",
    "LogDirLockedError",
    "LogError",
    "MessageSizeTooLargeError",
    "OffsetOutOfRangeError",
    "PartitionInfo",
    "ProduceRecord",
    "Record",
    "RecordBatch",
    "RecordColumns",
    "RecordTooLargeError",
    "TimestampType",
    "TopicAlreadyExistsError",
    "TopicDescription",
    "UnknownTopicOrPartitionError",
    "build_batch",
    "build_batch_parts",
    "iter_batches",
    "murmur2",
    "partition_for_key",
    "stamp_base_offset",
    "stamp_log_append_time",
]
