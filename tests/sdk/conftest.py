"""Fixtures for running the SDK's contract kits over the project's own implementations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sdk.sdk_servers import Server


def _server(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(kind, tmp_path_factory.mktemp(kind)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server("redis", tmp_path_factory)


@pytest.fixture(scope="session")
def memcached_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server("memcached", tmp_path_factory)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server("nats", tmp_path_factory)
