import shutil

import pytest

from hub.bench import raw_io, redis_peer
from hub.bench.dataset import chunks, make_key, make_records, payload_bytes
from hub.bench.errors import BenchError


def test_records_are_deterministic_distinct_and_sized() -> None:
    records = make_records(500, 10, 100)
    assert records == make_records(500, 10, 100)
    assert len({k for k, _ in records}) == 500
    assert all(len(k) == 10 and len(v) == 100 for k, v in records)
    assert len({v for _, v in records}) == 500
    assert payload_bytes(records) == 500 * 110
    assert [len(c) for c in chunks(records, 200)] == [200, 200, 100]


def test_value_pool_cycles() -> None:
    records = make_records(10, 4, 8, distinct_values=3)
    assert records[0][1] == records[3][1] != records[1][1]
    assert make_key(123456, 4) == b"3456"


def test_raw_write_then_read_same_bytes(tmp_path) -> None:
    path = tmp_path / "raw.bin"
    total = 3 * raw_io.CHUNK + 17
    assert raw_io.raw_write(path, total) > 0
    assert path.stat().st_size == total
    seconds, read = raw_io.raw_read(path)
    assert read == total and seconds > 0


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_redis_streams_round_trip(tmp_path) -> None:
    records = make_records(2500, 10, 100)
    with redis_peer.RedisServer("redis-server", tmp_path / "redis") as server:
        client = server.client()
        try:
            assert redis_peer.produce(client, records, 1000) > 0
            seconds, total, last = redis_peer.consume(client, len(records), count=1000)
            assert client.xlen(redis_peer.STREAM) == 2500
        finally:
            client.close()
    assert (total, last) == (2500, records[-1])
    assert seconds > 0
    assert server.process is not None and server.process.returncode is not None


def test_missing_redis_server_says_what_to_do(tmp_path) -> None:
    with pytest.raises(BenchError, match="--no-redis"):
        redis_peer.RedisServer(str(tmp_path / "no-such-redis-server"), tmp_path)


def test_prepare_write_leaves_nothing_behind(tmp_path) -> None:
    raw_io.prepare_write(tmp_path, 2 * raw_io.CHUNK + 1)
    assert list(tmp_path.iterdir()) == []
