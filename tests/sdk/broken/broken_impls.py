"""Deliberately broken implementations: each kit must fail on exactly the behaviour that is wrong.

Run by test_kits_catch_bugs.py in a separate pytest process, with pytest-asyncio in
strict mode (as a third party without this project's settings would run them).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from prisma_infra.operation import Operation
from prisma_infra.providers import AuditSink, CacheStore, MetricsExporter, PiiDetector, PiiMatch, SearchProvider
from prisma_infra_sdk import Middleware, hookimpl
from prisma_infra_sdk.testing import (
    AuditSinkContract,
    CacheStoreContract,
    MetricsExporterContract,
    MiddlewareContract,
    PiiDetectorContract,
    SearchProviderContract,
)

# -- cache stores -------------------------------------------------------------------------


class DictStore(CacheStore):
    name = "dict"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.data: dict[str, tuple[bytes, float | None]] = {}

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        now = time.monotonic()
        out: list[bytes | None] = []
        for key in keys:
            found = self.data.get(key)
            out.append(found[0] if found and (found[1] is None or found[1] > now) else None)
        return out

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        for key, value in items.items():
            self.data[key] = (value, time.monotonic() + ttl if ttl is not None else None)

    async def delete_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.data.pop(key, None)

    async def incr(self, key: str) -> int:
        (found,) = await self.get_many([key])
        value = int(found or b"0") + 1
        self.data[key] = (str(value).encode(), None)
        return value

    async def clear(self) -> None:
        self.data.clear()


class NoTtlStore(DictStore):
    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        await super().set_many(items, None)


class RacyIncrStore(DictStore):
    async def incr(self, key: str) -> int:
        (found,) = await self.get_many([key])
        await asyncio.sleep(0)  # another task reads the same value meanwhile
        value = int(found or b"0") + 1
        self.data[key] = (str(value).encode(), None)
        return value


class TestCorrectStore(CacheStoreContract):
    @pytest.fixture
    def store(self) -> CacheStore:
        return DictStore()


class TestNoTtlStore(CacheStoreContract):
    @pytest.fixture
    def store(self) -> CacheStore:
        return NoTtlStore()


class TestRacyIncrStore(CacheStoreContract):
    @pytest.fixture
    def store(self) -> CacheStore:
        return RacyIncrStore()


class TestForgotTheFixture(CacheStoreContract):
    pass


# -- audit sinks --------------------------------------------------------------------------

SHARED: dict[str, list[dict[str, Any]]] = {}


class ListSink(AuditSink):
    name = "list"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.stored = SHARED.setdefault(str(self.options["key"]), [])

    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        if self.options.get("down"):
            raise ConnectionError("backend down")
        known = {e["id"] for e in self.stored}
        self.stored.extend(dict(e) for e in events if e["id"] not in known)

    async def read(self, criteria: Any = None) -> Any:
        for event in list(self.stored):
            if criteria is None or criteria.matches(event):
                yield event

    async def last_event(self, chain: str) -> Mapping[str, Any] | None:
        return None


class SwallowingSink(ListSink):
    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        with contextlib.suppress(ConnectionError):  # "durability-or-raise" violated: the kernel thinks it stored
            await super().write(events)


class ReorderingSink(ListSink):
    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        await super().write(list(reversed(events)))


class DuplicatingSink(ListSink):
    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        if self.options.get("down"):
            raise ConnectionError("backend down")
        self.stored.extend(dict(e) for e in events)  # no check of the ids already stored


def _sink_fixtures(cls: type[ListSink]) -> tuple[Any, Any]:
    @pytest.fixture
    def make_sink(self: Any, request: pytest.FixtureRequest) -> Any:
        key = request.node.nodeid
        SHARED.pop(key, None)
        return lambda: cls({"key": key})

    @pytest.fixture
    def unavailable_sink(self: Any) -> AuditSink:
        return cls({"key": "down", "down": True})

    return make_sink, unavailable_sink


class TestCorrectSink(AuditSinkContract):
    make_sink, unavailable_sink = _sink_fixtures(ListSink)


class TestSwallowingSink(AuditSinkContract):
    make_sink, unavailable_sink = _sink_fixtures(SwallowingSink)


class TestReorderingSink(AuditSinkContract):
    make_sink, unavailable_sink = _sink_fixtures(ReorderingSink)


class TestDuplicatingSink(AuditSinkContract):
    make_sink, unavailable_sink = _sink_fixtures(DuplicatingSink)


# -- metrics exporters --------------------------------------------------------------------


class CountingExporter(MetricsExporter):
    name = "counting"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.count = 0

    def observe(self, model: str | None, action: str, seconds: float, error: str | None, rows: int | None) -> None:
        self.count += 1


class SlowExporter(CountingExporter):
    def observe(self, model: str | None, action: str, seconds: float, error: str | None, rows: int | None) -> None:
        time.sleep(0.0002)  # e.g. a synchronous network call


class FussyExporter(CountingExporter):
    def observe(self, model: str | None, action: str, seconds: float, error: str | None, rows: int | None) -> None:
        self.count += len(model.lower())  # type: ignore[union-attr]  # raw queries have no model


class TestCorrectExporter(MetricsExporterContract):
    @pytest.fixture
    def exporter(self) -> MetricsExporter:
        return CountingExporter()


class TestSlowExporter(MetricsExporterContract):
    @pytest.fixture
    def exporter(self) -> MetricsExporter:
        return SlowExporter()


class TestFussyExporter(MetricsExporterContract):
    @pytest.fixture
    def exporter(self) -> MetricsExporter:
        return FussyExporter()


# -- PII detectors ------------------------------------------------------------------------


class EmployeeIdDetector(PiiDetector):
    name = "employee_id"

    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        if value.startswith("EMP-") and value[4:].isdigit() and len(value) == 10:
            return [PiiMatch("employee_id", 0.95, "EMP- and six digits")]
        return []


class AnyDigitsDetector(PiiDetector):
    name = "digits"

    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        digits = sum(c.isdigit() for c in value)
        return [PiiMatch("employee_id", 0.9, "digits")] if digits >= 4 or value.startswith("EMP-") else []


class OverconfidentDetector(EmployeeIdDetector):
    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        return [PiiMatch(m.category, 1.5, m.evidence) for m in super().detect(value, field=field)]


class _DetectorKit(PiiDetectorContract):
    @pytest.fixture
    def positives(self) -> list[tuple[str, str | None, str]]:
        return [("EMP-123456", None, "employee_id"), ("EMP-000001", "employee", "employee_id")]


class TestCorrectDetector(_DetectorKit):
    @pytest.fixture
    def detector(self) -> PiiDetector:
        return EmployeeIdDetector()


class TestAnyDigitsDetector(_DetectorKit):
    @pytest.fixture
    def detector(self) -> PiiDetector:
        return AnyDigitsDetector()


class TestOverconfidentDetector(_DetectorKit):
    @pytest.fixture
    def detector(self) -> PiiDetector:
        return OverconfidentDetector()


# -- middleware ---------------------------------------------------------------------------


class TagMiddleware(Middleware):
    name = "tag"

    def __init__(self, infrastructure: Any) -> None:
        self.infrastructure = infrastructure

    async def before(self, operation: Operation) -> Operation | None:
        return None


class MutatingMiddleware(TagMiddleware):
    name = "mutating"

    async def before(self, operation: Operation) -> Operation | None:
        operation.args.setdefault("where", {})["tenant"] = "acme"  # mutates the caller's dict
        return None


class SwallowingMiddleware(TagMiddleware):
    name = "swallowing"

    async def error(self, operation: Operation, exc: Exception) -> Any:
        return None  # hides every engine error from the caller


class MiddlewarePlugin:
    name = "broken-middleware"

    @hookimpl
    def register_middleware(self, register: Any) -> None:
        for cls in (TagMiddleware, MutatingMiddleware, SwallowingMiddleware):
            register(cls.name, cls)


class _MiddlewareKit(MiddlewareContract):
    @pytest.fixture
    def plugin(self) -> object:
        return MiddlewarePlugin()


class TestCorrectMiddleware(_MiddlewareKit):
    middleware_name = "tag"


class TestMutatingMiddleware(_MiddlewareKit):
    middleware_name = "mutating"


class TestSwallowingMiddleware(_MiddlewareKit):
    middleware_name = "swallowing"


# -- search -------------------------------------------------------------------------------


class CaseSensitiveSearch(SearchProvider):
    """Word matching and ranking are right; only the case folding is missing."""

    name = "case-sensitive"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.docs: dict[str, dict[Any, Mapping[str, Any]]] = {}

    async def index(self, model: str, records: Sequence[Mapping[str, Any]]) -> None:
        self.docs.setdefault(model, {}).update({r["id"]: r for r in records})

    async def remove(self, model: str, ids: Sequence[Any]) -> None:
        for i in ids:
            self.docs.get(model, {}).pop(i, None)

    async def search(self, model: str, query: str, fields: Sequence[str], *, limit: int | None = None) -> list[Any]:
        terms = set(re.findall(r"\w+", query))
        hits = []
        for i, record in self.docs.get(model, {}).items():
            words = [w for f in fields for w in re.findall(r"\w+", str(record.get(f) or ""))]
            matched = [t for t in terms if t in words]
            if matched:
                hits.append((-len(matched), -sum(words.count(t) for t in matched), str(i), i))
        found = [h[3] for h in sorted(hits)]
        return found[:limit] if limit is not None else found


class TestCaseSensitiveSearch(SearchProviderContract):
    @pytest.fixture
    def provider(self) -> SearchProvider:
        return CaseSensitiveSearch()
