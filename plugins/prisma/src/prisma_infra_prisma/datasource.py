"""Which database a Prisma schema talks to: provider, connection URL, schema files.

One resolution for the commands (``db push``, ``migrate``) and the running engine,
read the way Prisma's CLI reads it. The URL is taken from, in order:
``DatabaseConfig.url`` (settings, or ``--url`` on the command line); the schema's
``datasource`` ``url`` (a literal or ``env("X")``, Prisma 5/6 style);
``datasource.url`` in a ``prisma.config.ts`` in the settings folder, the schema's
folder or its parent (Prisma 7 style: ``env("X")``, ``process.env.X`` or a
literal); finally ``$DATABASE_URL``. Environment variables come from the process
first (it wins, as with dotenv), then from a ``.env`` file in those folders, the
first found winning. `ResolvedDatabase.url_source` says where the URL came from.

Prisma 7's WebAssembly engines reject ``url``/``directUrl``/``shadowDatabaseUrl``
in a schema file, so `ResolvedDatabase.schema_files` holds the sources with
those lines blanked (line numbers kept for error messages).

SQLite ``file:`` URLs with a relative path resolve from the schema file's
folder, as Prisma does.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from prisma_infra_sdk import ConfigurationError, DatabaseConfig, EngineError, PrismaInfraError

__all__ = [
    "Provider",
    "ResolvedDatabase",
    "ScriptFailure",
    "call_script",
    "parse_datasource",
    "read_schema_files",
    "resolve_database",
    "sanitize_schema",
]

Provider = Literal["postgresql", "mysql", "sqlite"]

_PROVIDERS: dict[str, Provider] = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "sqlite": "sqlite",
}
_URL_PROPERTIES = ("url", "directUrl", "shadowDatabaseUrl")
_DATASOURCE = re.compile(r"^\s*datasource\s+\w+\s*\{(?P<body>.*?)^\s*\}", re.MULTILINE | re.DOTALL)
_PROPERTY = re.compile(r"^\s*(?P<key>\w+)\s*=\s*(?P<value>.+?)\s*$")
_ENV_CALL = re.compile(r"""^env\(\s*["'](?P<name>[^"']+)["']\s*\)$""")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class ResolvedDatabase:
    """A schema and the database it targets, ready for the schema engine or migrations."""

    provider: Provider
    url: str
    schema_path: Path
    schema_source: str
    """The main schema file's text as Prisma 7 accepts it (datasource URL lines blanked)."""
    schema_files: tuple[tuple[str, str], ...] = field(default=())
    """Every schema file (path, sanitized text); one entry unless the schema is a folder."""
    url_source: str = ""
    """Where `url` came from (``env var DATABASE_URL from /app/.env (/app/prisma.config.ts)``), never its value."""

    @property
    def files(self) -> list[list[str]]:
        """The files in the ``[[path, source], ...]`` shape Prisma's wasm functions take."""
        files = self.schema_files or ((str(self.schema_path), self.schema_source),)
        return [[path, source] for path, source in files]

    def redacted_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", self.url)


def _strip_comments(line: str) -> str:
    # "//" starts a comment unless inside a string literal.
    in_string = False
    for index, char in enumerate(line):
        if char == '"' and (index == 0 or line[index - 1] != "\\"):
            in_string = not in_string
        elif not in_string and line.startswith("//", index):
            return line[:index]
    return line


def _literal(value: str) -> str | None:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        try:
            return str(json.loads(value)) if value[0] == '"' else value[1:-1]
        except ValueError:
            return value[1:-1]
    return None


def parse_datasource(source: str) -> dict[str, str]:
    """The properties of the schema's ``datasource`` block, values as written (``env("X")`` kept)."""
    found = _DATASOURCE.search(source)
    if found is None:
        return {}
    props: dict[str, str] = {}
    for raw in found.group("body").splitlines():
        match = _PROPERTY.match(_strip_comments(raw))
        if match:
            props[match.group("key")] = match.group("value").strip()
    return props


def sanitize_schema(source: str) -> str:
    """``source`` with the datasource's URL properties blanked (Prisma 7 rejects them in schema files)."""
    found = _DATASOURCE.search(source)
    if found is None:
        return source
    start, end = found.span("body")
    lines = source[start:end].split("\n")
    for index, line in enumerate(lines):
        match = _PROPERTY.match(_strip_comments(line))
        if match and match.group("key") in _URL_PROPERTIES:
            lines[index] = ""
    return source[:start] + "\n".join(lines) + source[end:]


def read_schema_files(schema_path: Path) -> list[tuple[Path, str]]:
    """The schema file, or every ``*.prisma`` file under a schema folder, sorted by path."""
    if schema_path.is_dir():
        files = sorted(p for p in schema_path.rglob("*.prisma") if p.is_file())
        if not files:
            raise ConfigurationError(f"No .prisma files found in the schema folder {schema_path}.")
        return [(p, p.read_text(encoding="utf-8")) for p in files]
    if not schema_path.is_file():
        raise ConfigurationError(
            f"Prisma schema not found at {schema_path}. Set `database.schema_path` in the settings or pass --schema."
        )
    return [(schema_path, schema_path.read_text(encoding="utf-8"))]


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        literal = _literal(value)
        values[key.strip()] = literal if literal is not None else value.split(" #", 1)[0].strip()
    return values


_PROCESS = "the process environment"


def _environment(folders: Sequence[Path], env: Mapping[str, str] | None) -> dict[str, tuple[str, str]]:
    """Variable → (value, where it was found): the process first, then the first ``.env`` that has it."""
    merged: dict[str, tuple[str, str]] = {}
    for folder in reversed(folders):
        dotenv = folder / ".env"
        merged.update((name, (value, str(dotenv))) for name, value in _read_dotenv(dotenv).items())
    merged.update((name, (value, _PROCESS)) for name, value in (os.environ if env is None else env).items())
    return merged


def _from_env(environ: Mapping[str, tuple[str, str]], name: str, why: str) -> tuple[str | None, str]:
    """(value, description) of variable ``name``, read because of ``why``."""
    value, where = environ.get(name, (None, ""))
    return value, f"env var {name} from {where} ({why})" if where else f"env var {name} ({why})"


def _config_ts_url(folders: Sequence[Path], environ: Mapping[str, tuple[str, str]]) -> tuple[str | None, str | None]:
    """(url, description) from a ``prisma.config.ts``'s ``datasource.url``; best effort, no TypeScript run."""
    for folder in folders:
        for name in ("prisma.config.ts", "prisma.config.mts", "prisma.config.js", "prisma.config.mjs"):
            path = folder / name
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
            block = re.search(r"datasource\s*:\s*\{(?P<body>[^{}]*)\}", text, re.DOTALL)
            if not block:
                continue
            match = re.search(r"""\burl\s*:\s*(?P<value>[^,\n}]+)""", block.group("body"))
            if not match:
                continue
            value = match.group("value").strip()
            env_name = re.match(
                r"""^(?:env\(\s*["'](\w+)["']\s*\)|process\.env\.(\w+)|process\.env\[["'](\w+)["']\])""", value
            )
            if env_name:
                var = next(g for g in env_name.groups() if g)
                return _from_env(environ, var, f"datasource.url in {path}")
            literal = _literal(value.rstrip(" ,"))
            if literal is not None:
                return literal, f"datasource.url in {path}"
    return None, None


def _absolute_sqlite(url: str, schema_dir: Path) -> str:
    for prefix in ("file:", "sqlite:"):
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if rest.startswith("//"):
                rest = rest[2:]
            path, sep, query = rest.partition("?")
            if path == ":memory:" or Path(path).is_absolute():
                return f"file:{path}{sep}{query}"
            return f"file:{(schema_dir / path).resolve()}{sep}{query}"
    return f"file:{(schema_dir / url).resolve()}" if not re.match(r"^\w+:", url) else url


def resolve_database(
    config: DatabaseConfig,
    base_dir: Path | None,
    *,
    env: Mapping[str, str] | None = None,
) -> ResolvedDatabase:
    """Find the schema, its provider and the connection URL.

    :param config: the ``database`` settings; ``schema_path`` resolves from ``base_dir``;
        ``url`` overrides every other source.
    :param base_dir: the settings file's folder (``None``: the current folder for a relative
        ``schema_path``, and only the schema's folders are searched for ``.env``/``prisma.config.ts``).
    :param env: the process environment (default: ``os.environ``); ``.env`` files fill in what it lacks.
    :raises ConfigurationError: no schema, no datasource, an unsupported provider or no URL.
    """
    schema_path = Path(config.schema_path).expanduser()
    if not schema_path.is_absolute():
        schema_path = ((base_dir or Path.cwd()) / schema_path).resolve()
    files = read_schema_files(schema_path)
    main_path, main_source = next(((p, s) for p, s in files if parse_datasource(s)), files[0])
    props = parse_datasource(main_source)
    if not props:
        raise ConfigurationError(f"The Prisma schema {schema_path} has no `datasource` block.")
    provider_text = _literal(props.get("provider", "")) or props.get("provider", "")
    provider = _PROVIDERS.get(provider_text)
    if provider is None:
        raise ConfigurationError(
            f"Datasource provider {provider_text!r} in {main_path} is not supported by prisma-infra: "
            "use postgresql, mysql or sqlite."
        )
    schema_dir = main_path.parent
    roots = [base_dir.resolve()] if base_dir is not None else []
    folders = list(dict.fromkeys([*roots, schema_dir, schema_dir.parent]))
    environ = _environment(folders, env)

    url: str | None = None
    origin = ""
    if config.url is not None:
        url, origin = config.url.get_secret_value(), "the database.url setting"
    elif "url" in props:
        written = props["url"]
        env_call = _ENV_CALL.match(written)
        if env_call:
            url, origin = _from_env(environ, env_call.group("name"), f"datasource url in {main_path}")
        else:
            url, origin = _literal(written), f"datasource url in {main_path}"
    if url is None and config.url is None:
        url, found = _config_ts_url(folders, environ)
        origin = found or origin
    if url is None and "DATABASE_URL" in environ and not origin:
        url, origin = _from_env(environ, "DATABASE_URL", "the default variable")
    if not url:
        where = f" ({origin}: not set)" if origin else ""
        raise ConfigurationError(
            f"No database URL for {main_path}{where}: set `database.url` in the settings, pass --url, "
            "or set the environment variable the schema or prisma.config.ts names."
        )
    if provider == "sqlite":
        url = _absolute_sqlite(url, schema_dir)
    sanitized = tuple((str(p), sanitize_schema(s)) for p, s in files)
    return ResolvedDatabase(
        provider=provider,
        url=url,
        schema_path=main_path,
        schema_source=sanitize_schema(main_source),
        schema_files=sanitized,
        url_source=origin,
    )


# --- calling the JavaScript helpers ------------------------------------------------


class ScriptFailure(PrismaInfraError):
    """A helper script reported an error (``kind`` says which; ``data`` holds its fields)."""

    def __init__(self, message: str, *, kind: str, data: Mapping[str, Any]) -> None:
        super().__init__(message, detail=data.get("detail"))
        self.kind = kind
        self.data = dict(data)


def call_script(name: str, request: Mapping[str, Any], *, timeout: float = 300) -> Any:
    """Run ``js/<name>`` with one JSON request on stdin; return its ``result``.

    :raises ScriptFailure: the script reported an error (the caller maps it to a kernel error).
    :raises EngineError: Node could not run the script or its answer is not JSON.
    """
    from prisma_infra_prisma.toolchain import ensure_toolchain, shipped_js

    toolchain = ensure_toolchain()
    payload = {**request, "nodeModules": str(toolchain.node_modules)}
    done = toolchain.run(shipped_js(name), input=json.dumps(payload).encode(), timeout=timeout)
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1])
    except (IndexError, ValueError) as exc:
        raise EngineError(f"node {name} gave no answer", detail=done.stderr.decode(errors="replace") or None) from exc
    if answer.get("ok"):
        return answer.get("result")
    error = answer.get("error") or {}
    message = _ANSI.sub("", str(error.get("message", "unknown error")))
    raise ScriptFailure(message, kind=str(error.get("kind", "engine")), data=error)
