"""The layers hold: checked on the import graph of the sources (AST, every import kind).

Every ``import`` and ``from ... import`` counts, wherever it is written: at the top,
under ``if TYPE_CHECKING:``, inside a function. An edge goes to the most specific
module named (``from prisma_infra.cache import service`` is an edge to
``prisma_infra.cache.service``; ``from prisma_infra.cache import CacheManager`` to
the package ``prisma_infra.cache``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "src"
#: The largest group of modules allowed to import each other in a cycle.
MAX_COMPONENT = 6
#: The modules that build an `Infrastructure`: the facade itself, its synchronous twin, the
#: command line (``prisma_infra.cli`` and each feature's ``cli`` module, which start one from
#: settings files) and the framework integrations (``prisma_infra.integrations.*``, which start
#: one in a web app's lifespan). Everything else receives the kernel port (`prisma_infra.kernel.Kernel`).
COMPOSITION_ROOT = ("prisma_infra", "prisma_infra.infrastructure", "prisma_infra.sync", "prisma_infra.__main__")
COMMAND_LINE = "prisma_infra.cli"
INTEGRATIONS = "prisma_infra.integrations"


def modules(src: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(src.rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """``(dotted name, line)`` of everything ``path`` imports, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                yield f"{origin}.{alias.name}", node.lineno


def graph(src: Path) -> dict[str, set[str]]:
    known = modules(src)

    def target(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        for name, _ in imported_names(path, module):
            found = target(name)
            if found is not None and found != module:
                edges[module].add(found)
    return edges


def components(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in edges:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                found.append(sorted(group))
    return sorted(found, key=len, reverse=True)


def test_components_finds_a_cycle_and_leaves_a_chain() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert components(edges)[0] == ["a", "b", "c"]
    assert all(len(group) == 1 for group in components({"a": {"b"}, "b": set()}))


def test_no_large_cycle_in_the_core() -> None:
    largest = components(graph(CORE))[0]
    assert len(largest) <= MAX_COMPONENT, f"{len(largest)} modules import each other in a cycle: {largest}"


def _builds_infrastructure(module: str) -> bool:
    return (
        module in COMPOSITION_ROOT
        or module.endswith(".cli")
        or any(module == root or module.startswith(root + ".") for root in (COMMAND_LINE, INTEGRATIONS))
    )


def test_only_the_composition_root_imports_the_facade() -> None:
    offenders = [
        f"{module}:{line}"
        for module, path in modules(CORE).items()
        if not _builds_infrastructure(module)
        for name, line in imported_names(path, module)
        if name == "prisma_infra.infrastructure"
        or name.startswith("prisma_infra.infrastructure.")
        or (name.startswith("prisma_infra.") and name.count(".") == 1 and name.split(".")[1][0].isupper())
    ]
    assert not offenders, f"features import the facade instead of the kernel port: {offenders}"


def _plugin_files() -> Iterator[Path]:
    for folder in ("plugins", "cookiecutter-plugin"):
        yield from (path for path in sorted((ROOT / folder).rglob("*.py")) if ".venv" not in path.parts)


_KERNEL_IMPORT = re.compile(r"^\s*(?:from|import)\s+prisma_infra(?:\.|\s|$)", re.MULTILINE)


def _kernel_imports(path: Path) -> Iterator[tuple[str, int]]:
    try:
        names = list(imported_names(path, path.stem))
    except SyntaxError:  # a template file (Jinja placeholders): read its import lines as text
        text = path.read_text()
        names = [(m.group(0).strip(), text.count("\n", 0, m.start()) + 1) for m in _KERNEL_IMPORT.finditer(text)]
        return iter(names)
    return ((name, line) for name, line in names if name == "prisma_infra" or name.startswith("prisma_infra."))


def test_plugins_use_only_the_sdk() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name}" for path in _plugin_files() for name, line in _kernel_imports(path)
    ]
    assert not offenders, "plugins reach the kernel around the SDK:\n" + "\n".join(offenders)


@pytest.mark.parametrize("rule", ["TYPE_CHECKING", "in-function"])
def test_every_import_kind_counts(tmp_path: Path, rule: str) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    body = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n"
        if rule == "TYPE_CHECKING"
        else "def f():\n    from . import b\n"
    )
    (package / "a.py").write_text(body)
    (package / "b.py").write_text("import pkg.a\n")
    assert ["pkg.a", "pkg.b"] in components(graph(tmp_path))
