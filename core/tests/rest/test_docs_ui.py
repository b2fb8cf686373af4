"""The docs UI: Swagger UI 5 (OpenAPI 3.1-aware) from the installed package, no CDN, safe file lookup."""

from __future__ import annotations

import base64
import hashlib
import re

from prisma_infra.rest.docs_ui import docs_html, docs_script_hash, docs_static_dir, docs_static_file


def test_the_assets_are_swagger_ui_5_from_the_installed_package() -> None:
    folder = docs_static_dir()
    major = int(folder.name.removeprefix("swagger-ui-").split(".")[0])
    assert major >= 5  # 4.x cannot render OpenAPI 3.1
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"):
        found = docs_static_file(name)
        assert found is not None and found.parent == folder and found.stat().st_size > 0


def test_the_page_loads_only_local_files_and_the_given_document() -> None:
    page = docs_html("../openapi.json", "/api/docs/static/")
    assert '<script src="/api/docs/static/swagger-ui-bundle.js"></script>' in page
    assert 'href="/api/docs/static/swagger-ui.css"' in page
    assert 'url: "../openapi.json"' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # no CDN, no other host


def test_urls_cannot_break_out_of_the_page() -> None:
    page = docs_html('x"</script><script>alert(1)</script>', '/s"><script>')
    assert page.count("</script>") == 2 and '"><script>' not in page  # only the page's own two scripts end
    script = re.search(r"<script>(.*)</script>", page)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert docs_script_hash('x"</script><script>alert(1)</script>') == f"'sha256-{digest}'"


def test_only_plain_file_names_resolve() -> None:
    for name in ("../../__init__.py", "/etc/passwd", "..", ".hidden", "", "sub/file.js", "nope.js", "..\\x"):
        assert docs_static_file(name) is None
