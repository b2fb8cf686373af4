"""The docs UI of the REST API: Swagger UI 5 (OpenAPI 3.1-aware) from the installed package, no CDN.

The assets come from the ``swagger-ui-bundle-v2`` distribution (the ``swagger_ui_bundle`` package,
``vendor/swagger-ui-<version>/``). An adapter serves `docs_html` at ``/docs`` and the files of
`docs_static_dir` under the ``static_url`` it passes (``/docs/static/...``); `docs_static_file`
resolves one requested name safely (only files of that folder, no path traversal).

The page has one inline script (it starts Swagger UI on ``openapi_url``); an app with a
Content-Security-Policy allows it with `docs_script_hash` (``script-src 'self' '<hash>'``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from importlib import resources
from pathlib import Path

from prisma_infra.errors import ConfigurationError

__all__ = ["docs_html", "docs_script_hash", "docs_static_dir", "docs_static_file"]

_PACKAGE = "swagger_ui_bundle"
#: The files the page loads (the rest of the folder is served too: source maps, icons).
_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js")


@cache
def docs_static_dir() -> Path:
    """The folder of Swagger UI's files (the newest version the installed package ships)."""
    try:
        vendor = Path(str(resources.files(_PACKAGE) / "vendor"))
    except ModuleNotFoundError:
        raise ConfigurationError(
            "The docs UI needs the swagger-ui-bundle-v2 package (pip install swagger-ui-bundle-v2);"
            " or set api.docs = false to serve no docs"
        ) from None
    found = sorted(
        (p for p in vendor.glob("swagger-ui-*") if (p / _ASSETS[1]).is_file()),
        key=lambda p: tuple(int(n) if n.isdigit() else 0 for n in p.name.removeprefix("swagger-ui-").split(".")),
    )
    if not found:
        raise ConfigurationError(f"No Swagger UI files in {vendor}: reinstall swagger-ui-bundle-v2")
    return found[-1]


def docs_static_file(name: str) -> Path | None:
    """The file ``name`` of `docs_static_dir` (a plain file name: no folders, no ``..``), or None."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = docs_static_dir() / name
    return path if path.is_file() else None


def _script(openapi_url: str) -> str:
    url = json.dumps(openapi_url).replace("</", "<\\/")
    return (
        "window.addEventListener('load', function () {"
        f"window.ui = SwaggerUIBundle({{url: {url}, dom_id: '#swagger-ui', deepLinking: true,"
        " presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout'});"
        "});"
    )


def docs_script_hash(openapi_url: str) -> str:
    """The CSP source of the page's inline script (``'sha256-...'``)."""
    digest = hashlib.sha256(_script(openapi_url).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def docs_html(openapi_url: str, static_url: str) -> str:
    """The docs page: Swagger UI on the document at ``openapi_url``, its files under ``static_url``."""
    static = html.escape(static_url.rstrip("/"), quote=True)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>REST API - prisma-infra</title>\n"
        f'<link rel="stylesheet" href="{static}/swagger-ui.css">\n'
        f'<link rel="icon" type="image/png" href="{static}/favicon-32x32.png">\n'
        "</head>\n<body>\n"
        '<div id="swagger-ui"></div>\n'
        f'<script src="{static}/swagger-ui-bundle.js"></script>\n'
        f"<script>{_script(openapi_url)}</script>\n"
        "</body>\n</html>\n"
    )
