"""`write_stubs`: the generated TypedDict module type-checks, and catches wrong shapes under mypy."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prisma_infra.errors import ValidationError
from prisma_infra.schema import Schema, render_stubs, write_stubs


def run_mypy(*files: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            str(cwd / "mypy.ini"),
            *map(str, files),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def mypy_dir(tmp_path: Path) -> Path:
    (tmp_path / "mypy.ini").write_text("[mypy]\npython_version = 3.11\n")
    return tmp_path


def test_stub_content(blog: Schema) -> None:
    text = render_stubs(blog)
    assert f"Schema hash: {blog.hash}" in text
    assert "Role: _t.TypeAlias = _t.Literal['USER', 'EDITOR', 'ADMIN']" in text
    assert "class User(_t.TypedDict):" in text
    assert "    name: str | None" in text
    assert "    posts: _t.NotRequired[list[Post]]" in text
    assert "    profile: _t.NotRequired[Profile | None]" in text
    assert "    karma: int" in text and "    price: _decimal.Decimal | None" in text
    assert "class PostCreateInput(_t.TypedDict):" in text
    assert "    title: str\n" in text and "    id: _t.NotRequired[str]" in text


def test_written_stubs_pass_mypy_and_catch_mistakes(
    blog: Schema, mapped: Schema, shop: Schema, notes: Schema, mypy_dir: Path
) -> None:
    for name, schema in {"blog": blog, "mapped": mapped, "shop": shop, "notes": notes}.items():
        path = write_stubs(schema, mypy_dir / "stubs" / f"{name}_types.py")
        assert path.exists()
    (mypy_dir / "stubs" / "__init__.py").write_text("")
    good = mypy_dir / "use_good.py"
    good.write_text(
        textwrap.dedent(
            """
            import datetime as dt
            from stubs.blog_types import Post, PostCreateInput, Role, User, UserUpdateInput
            from stubs.mapped_types import Employee

            now = dt.datetime.now()
            role: Role = "ADMIN"
            post: Post = {
                "id": "p", "title": "t", "body": "b", "status": "DRAFT", "price": None, "rating": 1.0,
                "views": 0, "published": False, "metadata": {"any": ["json"]}, "publishedAt": None,
                "authorId": 1, "createdAt": now, "updatedAt": now,
            }
            create: PostCreateInput = {"title": "t", "body": "b", "authorId": 1}
            update: UserUpdateInput = {"name": None}
            user: User = {
                "id": 1, "email": "e", "name": None, "role": role, "tenantId": "t", "karma": 2, "avatar": None,
                "settings": None, "nicknames": [], "createdAt": now, "updatedAt": now, "posts": [post],
            }
            boss: Employee = {
                "id": 1, "firstName": "a", "lastName": "b", "email": "e", "level": "SENIOR", "managerId": None,
                "hiredAt": now,
            }
            boss["reports"] = [boss]
            """
        )
    )
    result = run_mypy(mypy_dir / "stubs", good, cwd=mypy_dir)
    assert result.returncode == 0, result.stdout + result.stderr

    bad = mypy_dir / "use_bad.py"
    bad.write_text(
        textwrap.dedent(
            """
            from stubs.blog_types import PostCreateInput, Role, UserUpdateInput

            role: Role = "OWNER"
            missing: PostCreateInput = {"title": "t", "authorId": 1}
            wrong: PostCreateInput = {"title": "t", "body": "b", "authorId": "1"}
            update: UserUpdateInput = {"emial": "x"}
            """
        )
    )
    result = run_mypy(bad, cwd=mypy_dir)
    assert result.returncode == 1
    out = result.stdout
    assert "use_bad.py:4: error: Incompatible types in assignment (expression has type \"Literal['OWNER']\"" in out
    assert 'Missing key "body"' in out
    assert 'TypedDict item "authorId" has type "int"' in out
    assert '"emial"' in out


def test_keyword_field_names_use_the_functional_form(mypy_dir: Path) -> None:
    datamodel = {
        "models": [
            {
                "name": "Item",
                "fields": [
                    {"name": "id", "kind": "scalar", "type": "Int", "isId": True, "isRequired": True},
                    {"name": "class", "kind": "scalar", "type": "String", "isRequired": True},
                    {"name": "list", "kind": "scalar", "type": "Int", "isRequired": False},
                    {"name": "tags", "kind": "scalar", "type": "String", "isRequired": True, "isList": True},
                ],
            }
        ],
    }
    path = write_stubs(Schema.from_datamodel(datamodel), mypy_dir / "kw_types.py")
    assert "Item = _t.TypedDict('Item', {" in path.read_text()
    use = mypy_dir / "use_kw.py"
    use.write_text('from kw_types import Item\n\nitem: Item = {"id": 1, "class": "c", "list": None, "tags": ["t"]}\n')
    result = run_mypy(path, use, cwd=mypy_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_clashing_generated_names_are_refused() -> None:
    datamodel = {
        "models": [
            {"name": "User", "fields": [{"name": "id", "kind": "scalar", "type": "Int", "isId": True}]},
            {"name": "UserCreateInput", "fields": [{"name": "id", "kind": "scalar", "type": "Int", "isId": True}]},
        ]
    }
    with pytest.raises(ValidationError, match="UserCreateInput"):
        render_stubs(Schema.from_datamodel(datamodel))
