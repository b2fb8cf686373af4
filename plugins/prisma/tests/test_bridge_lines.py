"""The bridge's stdout line splitter: any chunking of the stream gives the same lines."""

from __future__ import annotations

import random

import pytest
from prisma_infra_prisma.pipes import LineSplitter

STREAM = b"".join(
    [b'{"id":1,"result":null}\n', b'{"id":2,"result":"' + b"x" * 300_000 + b'"}\n', b"\n", b'{"id":3,"result":[1,2]}\n']
)
EXPECTED = [b'{"id":1,"result":null}', b'{"id":2,"result":"' + b"x" * 300_000 + b'"}', b'{"id":3,"result":[1,2]}']


def _split(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks, start = [], 0
    for size in sizes:
        chunks.append(data[start : start + size])
        start += size
    chunks.append(data[start:])
    return [chunk for chunk in chunks if chunk]


@pytest.mark.parametrize("seed", range(20))
def test_any_chunking_gives_the_same_lines(seed: int) -> None:
    rng = random.Random(seed)
    sizes = [rng.choice([1, 7, 23, 1000, 65536, 200_000]) for _ in range(40)]
    received: list[bytes] = []
    lines = LineSplitter(received.append)
    for chunk in _split(STREAM, sizes):
        lines.feed(chunk)
    assert received == EXPECTED
    assert lines.parts == []


def test_one_chunk_with_many_lines_and_a_partial_tail() -> None:
    received: list[bytes] = []
    lines = LineSplitter(received.append)
    lines.feed(b'{"id":1}\n{"id":2}\n{"id"')
    assert received == [b'{"id":1}', b'{"id":2}']
    lines.feed(b":3}\n")
    assert received == [b'{"id":1}', b'{"id":2}', b'{"id":3}']
