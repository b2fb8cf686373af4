"""The audit-sink kit over every sink in the tree: file, database (Prisma on SQLite) and NATS JetStream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
from prisma_infra.audit.database_sink import DatabaseSink
from prisma_infra.audit.file_sink import FileSink
from prisma_infra.providers import AuditSink, Engine
from prisma_infra_nats import NatsSink
from prisma_infra_sdk.testing import AuditSinkContract, MemoryEngine

from tests.sdk.prisma_sqlite import sqlite_engine
from tests.sdk.sdk_servers import Server

pytestmark = pytest.mark.integration


class TestFileSink(AuditSinkContract):
    @pytest.fixture
    def make_sink(self, tmp_path: Path) -> Callable[[], AuditSink]:
        return lambda: FileSink({"path": str(tmp_path / "audit" / "trail.jsonl"), "fsync": "always"})

    @pytest.fixture
    def unavailable_sink(self, tmp_path: Path) -> AuditSink:
        (tmp_path / "not-a-folder").write_text("a file where the trail's folder should be")
        return FileSink({"path": str(tmp_path / "not-a-folder" / "trail.jsonl")})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sqlite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engine]:
    engine = await sqlite_engine(tmp_path_factory.mktemp("audit-db"), tables=False)
    yield engine
    await engine.close()


class TestDatabaseSink(AuditSinkContract):
    pytestmark = [pytest.mark.asyncio(loop_scope="module")]

    @pytest.fixture
    def make_sink(self, sqlite: Engine) -> Callable[[], AuditSink]:
        table = f"Audit{uuid.uuid4().hex[:8]}"  # one table per test: the engine is shared by the module

        def make() -> AuditSink:
            sink = DatabaseSink({"table": table})
            sink.bind_engine(sqlite)
            return sink

        return make

    @pytest.fixture
    def unavailable_sink(self) -> AuditSink:
        engine = MemoryEngine()
        engine.closed = True  # the database went away: every statement raises EngineUnavailableError
        sink = DatabaseSink({})
        sink.bind_engine(engine)
        return sink


class TestNatsSink(AuditSinkContract):
    @pytest.fixture
    def make_sink(self, nats_server: Server) -> Callable[[], AuditSink]:
        suffix = uuid.uuid4().hex[:8]
        options = {"servers": nats_server.url, "stream": f"AUDIT_{suffix}", "subject": f"audit{suffix}"}
        return lambda: NatsSink(options)

    @pytest.fixture
    def unavailable_sink(self) -> AuditSink:
        return NatsSink({"servers": "nats://127.0.0.1:1", "connect_timeout": 1})

    async def read_back(self, sink: AuditSink, chain: str) -> list[Mapping[str, Any]]:
        """Every message of the chain's subject, in stream order (NatsSink has no ``read``)."""
        import nats

        assert isinstance(sink, NatsSink)
        nc = await nats.connect(sink.servers)
        try:
            js = nc.jetstream()
            info = await js.stream_info(sink.stream)
            subject = sink.subject_for(chain)
            events = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                message = await js.get_msg(sink.stream, seq)
                if message.subject == subject and message.data:
                    events.append(orjson.loads(message.data))
            return events
        finally:
            await asyncio.wait_for(nc.close(), 5)


COVERED = {"file": TestFileSink, "database": TestDatabaseSink, "nats": TestNatsSink}
