"""The Redis sink against real redis-server processes: shapes, keys, TTL, invalidation,
transactions, dead-lettered records, retries through outages, ACL, TLS and Redis Cluster."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import redis
from redis.cluster import RedisCluster as ClusterClient

from connectors.api import ConfigError, ConnectError, RetriableError, SinkRecord
from connectors.plugins import default_registry
from connectors.sinks.redis.connector import RedisSinkConnector
from connectors.sinks.redis.task import RedisSinkTask
from tests.fixtures.redis import RedisServer
from tests.fixtures.redis_cluster import RedisCluster
from tests.integration.sinks.support import (
    EventLog,
    RestartableRedis,
    dead_letters,
    row,
    start_task,
)
from tests.support.tls import self_signed_certificate

RedisFactory = Callable[..., RedisServer]


def _task(url: str, **config: str) -> RedisSinkTask:
    task: RedisSinkTask = start_task(RedisSinkTask, {"redis.uri": url, **config})
    return task


def _plain(topic: str, key: object, value: object, offset: int = 0) -> SinkRecord:
    return SinkRecord(topic, 0, None, key, None, value, kafka_offset=offset)


def test_the_redis_kafka_sink_class_name_resolves_to_ours() -> None:
    cls = default_registry().connector_class("com.redis.kafka.connect.RedisSinkConnector")
    assert cls is RedisSinkConnector


def test_hash_rows_one_field_per_column_nulls_removed(redis_server: RedisFactory) -> None:
    srv = redis_server()
    log = EventLog()
    log.create(row(1, "a", 7, "note"))
    log.update(row(1, "b", 8, None))
    task = _task(srv.url, **{"redis.type": "HASH"})
    task.put(log.records)
    stored = redis.Redis.from_url(srv.url).hgetall("pg.public.items:1")
    assert stored == {b"id": b"1", b"name": b"b", b"qty": b"8"}


def test_keyspace_separator_and_compound_keys(redis_server: RedisFactory) -> None:
    srv = redis_server()
    task = _task(srv.url, **{"redis.type": "STRING", "redis.keyspace": "cache",
                             "redis.separator": "/"})  # fmt: skip
    task.put([_plain("t", {"a": 1, "b": "x"}, {"v": 1}), _plain("t", "k", "raw text")])
    client = redis.Redis.from_url(srv.url)
    assert orjson.loads(client.get("cache/1/x") or b"") == {"v": 1}
    assert client.get("cache/k") == b"raw text"
    _task(srv.url, **{"redis.type": "STRING", "redis.keyspace": ""}).put([_plain("t", 5, "v")])
    assert client.get("5") == b"v"


def test_key_template_over_key_and_row_fields(redis_server: RedisFactory) -> None:
    srv = redis_server()
    log = EventLog()
    log.create(row(3, "alice", 1))
    task = _task(srv.url, **{"redis.type": "STRING", "redis.key.template": "user:{name}:{id}",
                             "behavior.on.null.values": "ignore"})  # fmt: skip
    task.put(log.records)
    client = redis.Redis.from_url(srv.url)
    assert orjson.loads(client.get("user:alice:3") or b"")["qty"] == 1
    task.put(log.delete(3, before=row(3, "alice", 1)))  # a delete's key from its before image
    assert client.get("user:alice:3") is None
    assert dead_letters(task) == []


def test_ttl_is_set_on_every_write(redis_server: RedisFactory) -> None:
    srv = redis_server()
    for kind in ("HASH", "STRING"):
        task = _task(srv.url, **{"redis.type": kind, "redis.key.ttl": "100",
                                 "redis.keyspace": kind})  # fmt: skip
        task.put([_plain("t", 1, {"a": 1})])
        assert 90 < redis.Redis.from_url(srv.url).ttl(f"{kind}:1") <= 100


def test_cache_invalidation_deletes_on_any_change(redis_server: RedisFactory) -> None:
    srv = redis_server()
    client = redis.Redis.from_url(srv.url)
    client.set("pg.public.items:1", "cached")
    client.set("pg.public.items:2", "cached")
    log = EventLog()
    log.update(row(1, "new", 1))
    task = _task(srv.url, **{"redis.type": "STRING", "redis.cache.invalidate": "true"})
    task.put(log.records)
    assert client.get("pg.public.items:1") is None
    assert client.get("pg.public.items:2") == b"cached"


def test_stream_entries_capped_by_maxlen(redis_server: RedisFactory) -> None:
    srv = redis_server()
    log = EventLog()
    for i in range(600):
        log.create(row(i, "n", i))
    log.delete(1)
    task = _task(srv.url, **{"redis.type": "STREAM", "redis.stream.maxlen": "100"})
    for i in range(0, len(log.records), 50):
        task.put(log.records[i : i + 50])
    client = redis.Redis.from_url(srv.url)
    assert 100 <= client.xlen("pg.public.items") < 602
    last = client.xrevrange("pg.public.items", count=2)
    assert last[0][1] == {b"__key": b"1", b"__deleted": b"true"}
    assert last[1][1] == {b"__key": b"1", b"__deleted": b"true"} or b"id" in last[1][1]


def test_transactional_batches_use_multi_exec(redis_server: RedisFactory) -> None:
    srv = redis_server()
    task = _task(srv.url, **{"redis.type": "STRING", "redis.multiexec": "true"})
    task.put([_plain("t", i, {"i": i}) for i in range(10)])
    client = redis.Redis.from_url(srv.url)
    stats = client.info("commandstats")
    assert stats["cmdstat_multi"]["calls"] == 1 and stats["cmdstat_exec"]["calls"] == 1
    assert client.dbsize() == 10
    client.rpush("t:20", "a list")  # a WRONGTYPE inside EXEC fails only its own record
    hashes = _task(srv.url, **{"redis.type": "HASH", "redis.transactional": "true"})
    hashes.put([_plain("t", i, {"i": i}) for i in (20, 21)])
    assert [r.key for r, _ in dead_letters(hashes)] == [20]
    assert client.hgetall("t:21") == {b"i": b"21"}


def test_wrong_type_goes_to_the_dead_letter_queue_with_the_reason(
    redis_server: RedisFactory,
) -> None:
    srv = redis_server()
    client = redis.Redis.from_url(srv.url)
    client.rpush("pg.public.items:2", "a list, not a hash")
    log = EventLog()
    for i in (1, 2, 3):
        log.create(row(i, "n", i))
    task = _task(srv.url, **{"redis.type": "HASH"})
    task.put(log.records)
    ((record, error),) = dead_letters(task)
    assert record is log.records[1] and "WRONGTYPE" in str(error)
    assert client.exists("pg.public.items:1", "pg.public.items:3") == 2


def test_wrong_type_fails_the_task_without_a_dead_letter_queue(
    redis_server: RedisFactory,
) -> None:
    srv = redis_server()
    redis.Redis.from_url(srv.url).rpush("pg.public.items:1", "x")
    log = EventLog()
    log.create(row(1, "n", 1))
    task = start_task(RedisSinkTask, {"redis.uri": srv.url, "redis.type": "HASH"},
                      tolerate=False)  # fmt: skip
    with pytest.raises(ConnectError, match=r"WRONGTYPE.*errors.tolerance=all"):
        task.put(log.records)


def test_rows_that_do_not_fit_the_type_are_dead_lettered(redis_server: RedisFactory) -> None:
    srv = redis_server()
    task = _task(srv.url, **{"redis.type": "HASH"})
    task.put([_plain("t", 1, "not a row"), _plain("t", None, {"a": 1}), _plain("t", 2, {"a": 1})])
    reasons = [str(e) for _, e in dead_letters(task)]
    assert "redis.type=STRING" in reasons[0] and "null key" in reasons[1]
    assert redis.Redis.from_url(srv.url).hgetall("t:2") == {b"a": b"1"}


def test_a_connection_loss_is_retried_until_redis_is_back() -> None:
    server = RestartableRedis("--appendonly", "yes", "--appendfsync", "always")
    try:
        task = _task(server.url, **{"redis.type": "STRING", "redis.retry.backoff.ms": "20",
                                    "redis.retry.backoff.max.ms": "200"})  # fmt: skip
        task.put([_plain("t", 1, {"v": 1})])
        server.stop()
        timer = threading.Timer(1.0, server.start)
        timer.start()
        started = time.monotonic()
        task.put([_plain("t", 2, {"v": 2})])
        timer.join()
        assert time.monotonic() - started >= 0.9
        assert task.writer is not None and task.writer.retries > 0
        client = redis.Redis.from_url(server.url)
        assert client.mget("t:1", "t:2") == [b'{"v":1}', b'{"v":2}']
        assert dead_letters(task) == []
    finally:
        server.close()


def test_an_outage_longer_than_the_retry_budget_is_a_clear_retriable_error() -> None:
    server = RestartableRedis()
    server.stop()
    try:
        task = _task(server.url, **{"redis.retry.timeout.ms": "300",
                                    "redis.retry.backoff.ms": "50"})  # fmt: skip
        with pytest.raises(RetriableError, match=r"still failing after .*redis.retry.timeout.ms"):
            task.put([_plain("t", 1, {"v": 1})])
    finally:
        server.close()


def test_readonly_replica_is_retried_until_promoted(redis_server: RedisFactory) -> None:
    primary, replica = redis_server(), redis_server()
    client = redis.Redis.from_url(replica.url)
    client.replicaof(primary.host, primary.port)
    task = _task(replica.url, **{"redis.type": "STRING", "redis.retry.backoff.ms": "20"})
    timer = threading.Timer(0.5, lambda: client.replicaof("NO", "ONE"))
    timer.start()
    task.put([_plain("t", 1, {"v": 1})])
    timer.join()
    assert task.writer is not None and task.writer.retries > 0
    assert client.get("t:1") == b'{"v":1}'


def test_acl_user_and_password(redis_server: RedisFactory) -> None:
    srv = redis_server("--user", "default", "on", "nopass", "-@all", "+ping",
                       "--user", "sink", "on", ">s3cret", "~*", "&*", "+@all")  # fmt: skip
    task = _task(srv.url, **{"redis.username": "sink", "redis.password": "s3cret",
                             "redis.type": "STRING"})  # fmt: skip
    task.put([_plain("t", 1, "v")])
    bad = _task(srv.url, **{"redis.username": "sink", "redis.password": "wrong"})
    with pytest.raises(ConnectError, match=r"refused the credentials.*redis.password"):
        bad.put([_plain("t", 1, "v")])


def test_tls_with_a_ca_file(redis_server: RedisFactory, tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path, "server")
    from tests.fixtures.net import free_port

    tls_port = free_port()
    srv = redis_server("--tls-port", str(tls_port), "--tls-cert-file", str(cert),
                       "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert),
                       "--tls-auth-clients", "no")  # fmt: skip
    url = f"redis://127.0.0.1:{tls_port}"
    task = _task(url, **{"redis.tls": "true", "redis.tls.ca.file": str(cert),
                         "redis.type": "STRING"})  # fmt: skip
    task.put([_plain("t", 1, "secret value")])
    assert redis.Redis.from_url(srv.url).get("t:1") == b"secret value"


def test_cluster_writes_every_key_to_its_slot(redis_cluster: RedisCluster) -> None:
    log = EventLog()
    for i in range(200):
        log.create(row(i, f"n{i}", i))
    log.delete(7)
    task = _task(redis_cluster.url, **{"redis.cluster": "true", "redis.type": "HASH"})
    task.put(log.records)
    client = ClusterClient(host=redis_cluster.host, port=redis_cluster.ports[1])
    assert client.hget("pg.public.items:150", "name") == b"n150"
    assert client.exists("pg.public.items:7") == 0
    assert sum(1 for _ in client.scan_iter("pg.public.items:*")) == 199
    client.close()


def test_cluster_wrong_type_is_dead_lettered(redis_cluster: RedisCluster) -> None:
    client = ClusterClient(host=redis_cluster.host, port=redis_cluster.ports[0])
    client.rpush("wt:1", "x")
    task = _task(redis_cluster.url, **{"redis.cluster": "true", "redis.type": "STRING",
                                       "redis.keyspace": "wt"})  # fmt: skip
    task.put([_plain("t", 1, "v"), _plain("t", 2, "w")])
    assert len(dead_letters(task)) == 0  # SET overwrites any type
    task = _task(redis_cluster.url, **{"redis.cluster": "true", "redis.type": "HASH",
                                       "redis.keyspace": "wt"})  # fmt: skip
    client.rpush("wt:3", "x")
    task.put([_plain("t", 3, {"a": 1}), _plain("t", 4, {"a": 2})])
    assert [r.key for r, _ in dead_letters(task)] == [3]
    assert client.hget("wt:4", "a") == b"2"
    client.close()


def test_cluster_and_transactions_are_refused_together() -> None:
    values = RedisSinkConnector().validate({"redis.cluster": "true", "redis.transactional": "true"})
    errors = {v.name: v.errors for v in values if v.errors}
    assert "MULTI/EXEC" in errors["redis.transactional"][0]
    with pytest.raises(ConfigError):
        RedisSinkConnector().start({"redis.cluster": "true", "redis.multiexec": "true"})
