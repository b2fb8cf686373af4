"""N+1 detection and index suggestions read from the schema."""

from __future__ import annotations

import asyncio

import pytest
from prisma_infra.monitoring import NPlusOneDetector, n_plus_one_suggestion, suggest_index
from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.schema import Schema

from core.tests.doubles import datamodel


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.from_datamodel(datamodel("blog"))


def read(model: str = "User", request_id: str | None = "r1", where: dict[str, object] | None = None) -> Operation:
    return Operation(
        model=model,
        action=Action.FIND_UNIQUE,
        args={"where": where or {"id": 1}},
        context=OperationContext(request_id=request_id),
    )


async def test_burst_from_one_request_is_a_pattern() -> None:
    detector = NPlusOneDetector(threshold=5, window=1.0)
    hits = [detector.observe(read(), 100.0 + i * 0.01) for i in range(5)]
    assert hits == [False, False, False, False, True]
    # The next detection needs another full burst.
    assert not any(detector.observe(read(), 100.1 + i * 0.01) for i in range(4))


async def test_reads_spread_over_time_or_requests_are_not_a_pattern() -> None:
    detector = NPlusOneDetector(threshold=5, window=1.0)
    assert not any(detector.observe(read(), 100.0 + i * 0.5) for i in range(20))
    detector = NPlusOneDetector(threshold=5, window=1.0)
    assert not any(detector.observe(read(request_id=f"r{i}"), 100.0) for i in range(20))
    detector = NPlusOneDetector(threshold=5, window=1.0)
    assert not any(detector.observe(read(model=m), 100.0) for m in ("User", "Post", "Tag", "Comment") * 4)


async def test_without_request_id_the_task_is_the_scope() -> None:
    detector = NPlusOneDetector(threshold=3, window=1.0)

    async def loop() -> list[bool]:
        return [detector.observe(read(request_id=None), 5.0) for _ in range(3)]

    first, second = await asyncio.gather(loop(), loop())
    assert first[-1] and second[-1]
    # Interleaved tasks do not add up.
    detector = NPlusOneDetector(threshold=3, window=1.0)

    async def one() -> bool:
        await asyncio.sleep(0)  # a scheduling point (not a wait): the six tasks' reads interleave
        return detector.observe(read(request_id=None), 5.0)

    assert not any(await asyncio.gather(*(one() for _ in range(6))))


def test_scopes_are_bounded() -> None:
    detector = NPlusOneDetector(threshold=3, window=1.0, max_scopes=100)
    for i in range(1000):
        detector.observe(read(request_id=f"r{i}"), 1.0)
    assert detector.tracked <= 100


def test_suggestion_names_the_parent_relation(schema: Schema) -> None:
    detector = NPlusOneDetector(threshold=3, window=1.0)
    detector.note_many(Operation(model="Post", action=Action.FIND_MANY), 1.0)
    for _ in range(3):
        detector.observe(read(), 1.0)
    text, details = n_plus_one_suggestion(schema, detector.detection(read(), 1.0))
    assert details["parent"] == "Post" and details["relation"] == "author"
    assert details["include"] == {"author": True}
    assert "include={'author': True}" in text and ".load(posts, 'author')" in text


def test_suggestion_without_a_parent_lists_relations(schema: Schema) -> None:
    detector = NPlusOneDetector(threshold=2, window=1.0)
    text, details = n_plus_one_suggestion(schema, detector.detection(read(), 1.0))
    assert {"Profile.user", "Post.author", "Comment.author"} <= set(details["relations"])
    text, details = n_plus_one_suggestion(None, detector.detection(read(), 1.0))
    assert "findMany" in text and "'in'" in text


def test_index_suggested_when_no_index_serves_the_filter(schema: Schema) -> None:
    advice = suggest_index(
        schema, "post", {"where": {"title": {"contains": "x"}, "views": 3}, "orderBy": [{"createdAt": "desc"}]}
    )
    assert advice is not None
    assert advice.suggested == ("views", "title", "createdAt")
    assert "@@index([views, title, createdAt])" in advice.message


def test_existing_index_is_recognised(schema: Schema) -> None:
    advice = suggest_index(schema, "Post", {"where": {"status": "PUBLISHED", "publishedAt": {"gte": "2024-01-01"}}})
    assert advice is not None and advice.covered_by == ("status", "publishedAt") and advice.suggested is None
    advice = suggest_index(schema, "User", {"where": {"email_tenantId": {"email": "a", "tenantId": "t"}}})
    assert advice is not None and advice.covered_by is not None
    advice = suggest_index(schema, "User", {"where": {"OR": [{"tenantId": "t"}, {"name": "x"}]}})
    assert advice is not None and advice.covered_by == ("tenantId", "createdAt")


def test_no_filter_and_unknown_model(schema: Schema) -> None:
    advice = suggest_index(schema, "Post", {})
    assert advice is not None and advice.suggested is None and "take" in advice.message
    assert suggest_index(schema, "Nope", {"where": {"id": 1}}) is None
    # Relation filters are not columns of this table.
    advice = suggest_index(schema, "Post", {"where": {"author": {"is": {"name": "x"}}}})
    assert advice is not None and advice.suggested is None
