"""The file source's batch path gives the records the one-by-one construction gave."""

from __future__ import annotations

from itertools import accumulate
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.api import Schema, SourceRecord
from connectors.sources.file import FileSourceTask
from connectors.sources.file_tail import Tailer, decode_lines
from tests.support.sdk_harness import poll_until, start_source_task


def test_read_block_ends_match_byte_positions_with_crlf_and_utf8(tmp_path: Path) -> None:
    data = "a\r\nßé\n\n€uro\r\nlast\n".encode()
    path = tmp_path / "a.log"
    path.write_bytes(data + b"partial")
    tailer = Tailer(str(path), chunk_size=7)
    assert tailer.open(None)
    lines: list[bytes] = []
    ends: list[int] = []
    for _ in range(20):  # small chunks: some reads end inside a line and return nothing
        block, block_ends = tailer.read_block(2)
        assert len(block) == len(block_ends) <= 2
        lines += block
        ends += block_ends
    assert lines == [b"a", "ßé".encode(), b"", "€uro".encode(), b"last"]
    assert ends == [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
    assert tailer.position == len(data)
    tailer.close()


def test_records_equal_the_constructed_ones(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes("one\r\ntwo ß\n\xff\n".encode("latin-1") + b"bad \xff utf8\n")
    task = start_source_task(FileSourceTask, {"file": str(path), "topic": "t", "poll.wait.ms": "5"})
    records = poll_until(task, 4)
    task.stop()
    ident = {k: v for k, v in records[0].source_offset.items() if k != "position"}
    assert next(iter(records[0].source_offset)) == "position" and ident
    expected = [
        SourceRecord("t", None, None, None, Schema.STRING_SCHEMA, text,
                     source_partition={"filename": str(path)},
                     source_offset={"position": end, **ident})
        for text, end in (("one", 5), ("two \ufffd", 11), ("\ufffd", 13), ("bad \ufffd utf8", 24))
    ]  # fmt: skip
    assert records == expected
    assert records[0].source_offset is not records[1].source_offset


def test_for_values_builds_plain_records() -> None:
    offsets = [{"position": 1}, {"position": 2}]
    part = {"filename": "f"}
    built = SourceRecord.for_values("t", Schema.STRING_SCHEMA, iter(["a", "b"]), part, offsets)
    assert built == [
        SourceRecord("t", value_schema=Schema.STRING_SCHEMA, value=v,
                     source_partition=part, source_offset=o)
        for v, o in zip(["a", "b"], offsets, strict=True)
    ]  # fmt: skip
    assert list(built[0].headers) == []
    assert built[1].new_record(value="c").source_offset == {"position": 2}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=8),
    st.sampled_from(["utf-8", "latin-1", "ascii", "cp1252", "shift_jis"]),
)
def test_lines_decoded_together_equal_lines_decoded_one_by_one(
    lines: list[bytes], encoding: str
) -> None:
    assert decode_lines(lines, encoding) == [line.decode(encoding, "replace") for line in lines]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"plain", b"caf\xc3\xa9", b"cr\r", b"", b"\xff bad", b"a b c d e"]),
        max_size=30,
    ),
    st.integers(min_value=1, max_value=16),
    st.booleans(),
    st.booleans(),
)
def test_text_blocks_are_the_decoded_byte_blocks(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    chunk: int,
    as_text: bool,
    text_chunks: bool,
) -> None:
    path = tmp_path_factory.mktemp("tail") / "a.log"
    path.write_bytes(b"".join(line + b"\n" for line in lines) + b"unfinished")
    tailer = Tailer(str(path), chunk_size=chunk, text=text_chunks)
    assert tailer.open(None)
    got: list[object] = []
    ends: list[int] = []
    for _ in range(200):
        if as_text:
            block, block_ends = tailer.read_text_block(3, "utf-8")
        else:
            block, block_ends = tailer.read_block(3)
        got += block
        ends += block_ends
    tailer.close()
    stripped = [line.removesuffix(b"\r") for line in lines]
    expected = [line.decode("utf-8", "replace") for line in stripped] if as_text else stripped
    assert got == expected
    assert ends == list(accumulate(len(line) + 1 for line in lines))
