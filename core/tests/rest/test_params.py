"""A list request's query string → Prisma arguments: ``where={json}``, ``order``, ``select``/``include``/
``omit``, pages and cursors, ``search``; malformed parameters are 400s naming the parameter."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prisma_infra.errors import PrismaInfraError, UnknownFieldError, ValidationError
from prisma_infra.rest.params import ListParams, decode_cursor, encode_cursor, parse_list_params, parse_where
from prisma_infra.rest.request import ApiRequestError
from prisma_infra.schema import Schema, validate_args

from core.tests.doubles import datamodel

SECRET = "Secret-Value-42"


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.from_datamodel(datamodel("blog"))


@pytest.fixture(scope="module")
def mapped() -> Schema:
    return Schema.from_datamodel(datamodel("mapped"))


def hide_email(model: str, field: str) -> bool:
    return (model, field) == ("User", "email")


def params(schema: Schema, model: str, *query: tuple[str, str], max_page_size: int = 100) -> ListParams:
    found = parse_list_params(
        schema.model(model),
        schema,
        list(query),
        default_page_size=20,
        max_page_size=max_page_size,
        hidden=hide_email,
    )
    args: dict[str, Any] = {"where": found.where, "orderBy": found.order_by}
    for key in ("select", "include", "omit"):
        if getattr(found, key) is not None:
            args[key] = getattr(found, key)
    validate_args(schema, model, "findMany", args)  # Prisma would take them
    return found


def test_defaults(schema: Schema) -> None:
    assert params(schema, "Post") == ListParams(
        where={}, order_by=[], select=None, include=None, page=None, per_page=20, cursor=None, search=None
    )


# -- where ----------------------------------------------------------------------------------------


def test_where_json_is_anded_with_the_filters(schema: Schema) -> None:
    found = params(
        schema, "Post", ("title", "eq.x"), ("where", json.dumps({"OR": [{"views": {"gt": 3}}, {"status": "DRAFT"}]}))
    )
    assert found.where == {"AND": [{"title": {"equals": "x"}}, {"OR": [{"views": {"gt": 3}}, {"status": "DRAFT"}]}]}
    alone = params(schema, "Post", ("where", '{"publishedAt": {"gte": "2024-01-01T00:00:00Z"}}'))
    assert alone.where == {"publishedAt": {"gte": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}}  # converted by type


@pytest.mark.parametrize(("text", "message"), [("{nope", "not valid JSON"), ("[1]", "JSON object"), ("3", "object")])
def test_bad_where_json_is_a_bad_request(schema: Schema, text: str, message: str) -> None:
    with pytest.raises(ApiRequestError, match=message) as caught:
        params(schema, "Post", ("where", text))
    assert caught.value.status == 400 and caught.value.field == "where"


def test_where_json_refuses_hidden_fields_as_unknown(schema: Schema) -> None:
    with pytest.raises(UnknownFieldError) as caught:
        params(schema, "Post", ("where", '{"author": {"is": {"email": "a@b.c"}}}'))
    assert caught.value.model == "User" and caught.value.suggestion != "email"
    with pytest.raises(UnknownFieldError) as caught:
        params(schema, "Post", ("where", '{"titl": "x"}'))
    assert caught.value.suggestion == "title"


def test_parse_where_ignores_the_other_reserved_keys_and_an_endpoints_own(schema: Schema) -> None:
    query = [("page", "2"), ("order", "id"), ("views", "gt.1"), ("metric", "count"), ("interval", "day")]
    found = parse_where(schema.model("Post"), schema, query, hide_email, skip=("metric", "interval"))
    assert found == {"views": {"gt": 1}}
    with pytest.raises(UnknownFieldError):
        parse_where(schema.model("Post"), schema, query, hide_email)


# -- order ----------------------------------------------------------------------------------------


def test_order(schema: Schema) -> None:
    found = params(schema, "Post", ("order", "title.desc,author.name.asc,id,publishedAt.desc.nullslast"))
    assert found.order_by == [
        {"title": "desc"},
        {"author": {"name": "asc"}},
        {"id": "asc"},
        {"publishedAt": {"sort": "desc", "nulls": "last"}},
    ]
    assert params(schema, "Post", ("order", "publishedAt.nullsfirst")).order_by == [
        {"publishedAt": {"sort": "asc", "nulls": "first"}}
    ]
    assert params(schema, "Comment", ("order", "author.name.desc.nullsfirst")).order_by == [
        {"author": {"name": {"sort": "desc", "nulls": "first"}}}
    ]


@pytest.mark.parametrize(
    ("order", "error", "message"),
    [
        ("title.nullslast", ValidationError, "is required"),
        ("comments.text", ValidationError, "to-many"),
        ("author", ValidationError, "is a relation"),
        ("metadata", ValidationError, "cannot be ordered"),
        ("title.name", ApiRequestError, "is not a relation"),
        ("titel", UnknownFieldError, "Did you mean 'title'"),
        ("author.email", UnknownFieldError, "Unknown field 'email'"),
        ("title,,id", ApiRequestError, "empty item"),
    ],
)
def test_bad_orders(schema: Schema, order: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        params(schema, "Post", ("order", order))


# -- select / include / omit ----------------------------------------------------------------------


def test_select_include_omit(schema: Schema) -> None:
    assert params(schema, "Post", ("select", "id,title,author")).select == {"id": True, "title": True, "author": True}
    assert params(schema, "Post", ("select", "id,author.name,author.role,comments.text")).select == {
        "id": True,
        "author": {"select": {"name": True, "role": True}},
        "comments": {"select": {"text": True}},
    }
    assert params(schema, "Post", ("include", "author,comments.author")).include == {
        "author": True,
        "comments": {"include": {"author": True}},
    }
    assert params(schema, "Post", ("omit", "body,metadata")).omit == {"body": True, "metadata": True}


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        ([("select", "id"), ("include", "author")], ApiRequestError, "cannot be combined with include"),
        ([("select", "id"), ("omit", "body")], ApiRequestError, "cannot be combined with omit"),
        ([("include", "title")], ValidationError, "is not a relation"),
        ([("select", "title.x")], ApiRequestError, "is not a relation"),
        ([("omit", "author")], ValidationError, "is a relation"),
        ([("select", "author.email")], UnknownFieldError, "'email'"),
        ([("include", "autor")], UnknownFieldError, "Did you mean 'author'"),
        ([("select", "id,")], ApiRequestError, "empty item"),
    ],
)
def test_bad_selections(schema: Schema, query: list[tuple[str, str]], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        params(schema, "Post", *query)


# -- paging, search, repeated keys ----------------------------------------------------------------


def test_pages(schema: Schema) -> None:
    found = params(schema, "Post", ("page", "3"), ("per_page", "50"))
    assert (found.page, found.per_page, found.cursor) == (3, 50, None)
    first = params(schema, "Post", ("cursor", ""), ("per_page", "5"))
    assert (first.page, first.per_page, first.cursor) == (None, 5, "")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ([("page", "0")], "page", "positive integer"),
        ([("page", "x")], "page", "positive integer"),
        ([("per_page", "-1")], "per_page", "positive integer"),
        ([("per_page", "101")], "per_page", "at most 100"),
        ([("page", "1"), ("page", "2")], "page", "more than once"),
        ([("where", "{}"), ("where", "{}")], "where", "more than once"),
        ([("page", "1"), ("cursor", "")], None, "cannot be combined"),
        ([("cursor", "not-a-token")], "cursor", "not a cursor of Post"),
    ],
)
def test_bad_paging_is_a_bad_request(
    schema: Schema, query: list[tuple[str, str]], field: str | None, message: str
) -> None:
    with pytest.raises(ApiRequestError, match=message) as caught:
        params(schema, "Post", *query)
    assert caught.value.status == 400 and caught.value.field == field


def test_search_is_kept_as_text(schema: Schema) -> None:
    assert params(schema, "Post", ("search", "  hello world ")).search == "hello world"
    assert params(schema, "Post", ("search", " ")).search is None


# -- cursors --------------------------------------------------------------------------------------


def test_cursor_tokens_round_trip_the_key_values_by_type(schema: Schema, mapped: Schema) -> None:
    user, post = schema.model("User"), schema.model("Post")
    token = encode_cursor({"id": 42})
    assert token.isascii() and "=" not in token and "+" not in token and "/" not in token
    assert decode_cursor(user, schema, token) == {"id": 42}
    assert decode_cursor(post, schema, encode_cursor({"id": "ck1/+x"})) == {"id": "ck1/+x"}
    member = mapped.model("ProjectMember")
    compound = encode_cursor({"employeeId": 7, "projectCode": "P-1"})
    assert decode_cursor(member, mapped, compound) == {"employeeId": 7, "projectCode": "P-1"}
    region = mapped.model("Region")
    assert region.id_fields and decode_cursor(region, mapped, encode_cursor(dict.fromkeys(region.id_fields, "x")))


def _token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "%%%",
        _token([1]),
        _token({"id": 1, "extra": 2}),
        _token({"name": "x"}),
        _token({"id": "x"}),
        _token({"id": None}),
        _token({"id": {"gt": 1}}),
        _token({"id": 2**40}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_token_this_api_did_not_issue_is_a_bad_request(schema: Schema, token: str) -> None:
    with pytest.raises(ApiRequestError, match="not a cursor of User") as caught:
        decode_cursor(schema.model("User"), schema, token)
    assert caught.value.status == 400 and caught.value.field == "cursor"


# -- fuzzing ---------------------------------------------------------------------------------------

_PATHS = {
    "Post": ["title", "views", "status", "published", "publishedAt", "price", "rating", "metadata", "author",
             "author.name", "author.role", "author.karma", "author.nicknames", "comments.text", "comments.author",
             "comments.author.name", "tags.name", "titel", "author.email"],
    "User": ["name", "role", "karma", "avatar", "nicknames", "settings", "createdAt", "posts.title", "posts.views",
             "posts.status", "profile.bio", "comments.post.title", "email"],
    "Comment": ["text", "author", "author.name", "post.views", "post.author.role", "createdAt", "authorId"],
}  # fmt: skip
_OPS = ["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is", "cs", "ov", "not.eq", "not.is", "gtt"]
_VALUES = ["x", "", "*a*", "a*b", "1", "-7", "99999999999", "1.5", "true", "null", "false", "DRAFT", "ADMIN",
           "PUBLISHD", "2024-01-01", "2024-01-01T10:00:00 02:00", "AAEC", '{"a":1}', "(a,b)", "{1,2}", "()",
           '("a,b",c)', '"q\\"x"', "é", "(1,DRAFT,true)"]  # fmt: skip
_JUNK = [".", ",", "(", ")", '"', "\\", "*", "{", "}", " "]


def test_any_query_string_parses_or_is_refused_within_the_hierarchy(schema: Schema) -> None:
    """No input escapes as anything but a 400/422 error, and whatever parses is valid Prisma arguments."""

    def mutate(draw: Any, text: str) -> str:
        if draw(st.sampled_from(range(20))) == 13:  # now and then a stray character anywhere
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(_JUNK)) + text[at:]
        return text

    def condition(draw: Any, model: str, depth: int) -> str:
        if depth < 3 and draw(st.sampled_from(range(4))) == 3:
            items = draw(st.lists(st.just(None), min_size=1, max_size=3))
            head = draw(st.sampled_from(["or", "and", "not.or", "not.and"]))
            return f"{head}({','.join(condition(draw, model, depth + 1) for _ in items)})"
        path, op, value = (draw(st.sampled_from(pool)) for pool in (_PATHS[model], _OPS, _VALUES))
        return f"{path}.{op}.{value}"

    @st.composite
    def queries(draw: Any, model: str) -> list[tuple[str, str]]:
        pairs = []
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(range(6)))
            path = draw(st.sampled_from(_PATHS[model]))
            if kind == 0:
                key, value = draw(st.sampled_from(["or", "and", "not.or"])), f"({condition(draw, model, 0)})"
            elif kind == 1:
                suffix = draw(st.sampled_from(["", ".asc", ".desc", ".desc.nullslast", ".nullsfirst"]))
                key, value = draw(st.sampled_from(["order", "select", "include", "omit"])), f"{path}{suffix}"
            elif kind == 2:
                key = draw(st.sampled_from(["page", "per_page", "cursor", "search", "where"]))
                value = draw(st.sampled_from(["1", "0", "500", "", "eyJpZCI6MX0", '{"views":{"gt":1}}', "x"]))
            else:
                op, value = draw(st.sampled_from(_OPS)), draw(st.sampled_from(_VALUES))
                key, value = path, f"{op}.{value}"
            pairs.append((mutate(draw, key), mutate(draw, value)))
        return pairs

    @settings(max_examples=2000, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(data=st.data(), model=st.sampled_from(sorted(_PATHS)))
    def check(data: Any, model: str) -> None:
        query = data.draw(queries(model))
        try:
            params(schema, model, *query)  # validate_args inside: what parses, Prisma takes
        except PrismaInfraError as error:
            assert isinstance(error, ApiRequestError | ValidationError), type(error)

    check()
