"""``prisma-infra schema show|types`` on the blog example, through the real Prisma engine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "prisma_infra"]

pytestmark = pytest.mark.integration


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "blog", tmp_path / "blog", ignore=shutil.ignore_patterns("*.db"))
    return tmp_path / "blog"


def run(cwd: Path, *args: str) -> str:
    result = subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_schema_show_lists_models_fields_and_relations(blog: Path) -> None:
    shown = json.loads(run(blog, "schema", "show", "--settings", "settings.toml", "--json"))
    assert shown["provider"] == "sqlite"
    assert set(shown["models"]) == {"User", "Profile", "Post", "Comment", "Tag"}
    post = shown["models"]["Post"]
    assert post["id"] == ["id"] and post["unique"]["slug"] == ["slug"]
    assert post["fields"]["metadata"] == "Json?"
    assert post["relations"]["author"]["to"] == "User" and post["relations"]["tags"]["to"] == "Tag"
    assert shown["models"]["User"]["relations"]["posts"]["to"] == "Post"  # both directions
    assert shown["enums"]["PostStatus"] == ["DRAFT", "PUBLISHED", "ARCHIVED"]
    table = run(blog, "schema", "show", "--settings", "settings.toml", "--model", "post")
    assert "Post (table Post)" in table and "User" not in table.split("\n")[1]


def test_schema_types_pass_mypy_and_catch_mistakes(blog: Path) -> None:
    run(blog, "schema", "types", "--settings", "settings.toml", "--out", "blog_types.py")
    good = blog / "good.py"
    good.write_text(
        "from blog_types import PostCreateInput, Role\n"
        "post: PostCreateInput = {'title': 't', 'slug': 's', 'body': 'b', 'authorId': 1}\n"
        "role: Role = 'ADMIN'\n"
    )
    bad = blog / "bad.py"
    bad.write_text("from blog_types import Role\nrole: Role = 'OWNER'\n")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    assert subprocess.run([*mypy, "good.py"], cwd=blog, capture_output=True, check=False).returncode == 0
    checked = subprocess.run([*mypy, "bad.py"], cwd=blog, capture_output=True, text=True, check=False)
    assert checked.returncode == 1 and "OWNER" in checked.stdout
