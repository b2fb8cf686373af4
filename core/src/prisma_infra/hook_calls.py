"""How the kernel calls hooks through pluggy while keeping one plugin's failure its own.

pluggy stops a hook call at the first implementation that raises, and passes every
implementation the same arguments. The kernel needs two things more: an event hook
with a failing observer still reaches the others, and a registration hook's
``register`` is bound to the plugin calling it (so a clash names both plugins).

Both come from *guards*: each plugin is registered with pluggy through a proxy
whose hook functions are the plugin's, wrapped. A guard rebinds a `Registrar`
argument to its plugin, and hands a failure to the `HookCall` in progress (which
logs it, records it or raises a `PluginError` naming the plugin); an awaitable
result is guarded the same way when it is awaited. The call itself is an ordinary
``pm.hook.<name>(**kwargs)``, so ``wrapper=True`` implementations wrap it and
``add_hookcall_monitoring`` sees it with the real plugin names. Outside a kernel
call (``pm.hook.x()`` made directly) a guard re-raises, which is pluggy's behaviour.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from contextvars import ContextVar
from typing import Any

import pluggy

from prisma_infra.errors import PluginError

__all__ = ["GuardedAwaitable", "HookCall", "OnError", "Registrar", "guarded_plugin", "hook_call"]

#: ``on_error(plugin, hook, exc)``: log or record the failure, or raise to stop the call.
OnError = Callable[[str, str, Exception], None]
Register = Callable[[str, object], None]


class HookCall:
    """One kernel-made hook call: what to do when an implementation fails, and results not awaited yet.

    A context manager: guards report to it for the calls made (and results awaited) inside.
    """

    __slots__ = ("_on_error", "_token", "pending")

    def __init__(self, on_error: OnError) -> None:
        self._on_error = on_error
        self.pending: list[GuardedAwaitable] = []

    def failed(self, plugin: str, hook: str, exc: Exception) -> None:
        self._on_error(plugin, hook, exc)

    def __enter__(self) -> HookCall:
        self._token = _CALL.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _CALL.reset(self._token)
        for result in self.pending:  # dropped by a wrapper, or left behind by a failure
            result.close()


_CALL: ContextVar[HookCall | None] = ContextVar("prisma_infra_hook_call", default=None)


def hook_call(on_error: OnError) -> HookCall:
    """Make guards report failures to ``on_error`` inside ``with hook_call(...):``."""
    return HookCall(on_error)


def _failed(plugin: str, hook: str, exc: Exception) -> None:
    call = _CALL.get()
    if call is None:
        raise exc
    call.failed(plugin, hook, exc)


class GuardedAwaitable:
    """An implementation's awaitable result; a failure while awaiting it is reported like a sync one."""

    __slots__ = ("_awaited", "_hook", "_inner", "_plugin")

    def __init__(self, inner: Any, plugin: str, hook: str) -> None:
        self._inner, self._plugin, self._hook = inner, plugin, hook
        self._awaited = False
        call = _CALL.get()
        if call is not None:
            call.pending.append(self)

    def __await__(self) -> Generator[Any, None, Any]:
        self._awaited = True
        try:
            return (yield from self._inner.__await__())
        except Exception as exc:
            _failed(self._plugin, self._hook, exc)
            return None

    def close(self) -> None:
        """Close a result nobody awaited (no "never awaited" warning)."""
        close = getattr(self._inner, "close", None)
        if not self._awaited and callable(close):
            close()

    def __repr__(self) -> str:
        return f"<awaitable from plugin {self._plugin!r} in {self._hook}>"


class Registrar:
    """The ``register`` argument of a kernel-made registration call: each plugin receives it bound to itself."""

    __slots__ = ("_bind",)

    def __init__(self, bind: Callable[[str], Register]) -> None:
        self._bind = bind

    def bound(self, plugin: str) -> Register:
        return self._bind(plugin)

    def __call__(self, name: str, factory: Any) -> None:  # pragma: no cover - guards always rebind
        raise PluginError("register() was called outside a plugin's hook implementation")


def _bind(value: Any, plugin: str) -> Any:
    return value.bound(plugin) if isinstance(value, Registrar) else value


def _rebind(args: tuple[Any, ...], plugin: str) -> tuple[Any, ...]:
    return tuple(_bind(arg, plugin) for arg in args)


def _rebind_kw(kwargs: dict[str, Any], plugin: str) -> dict[str, Any]:
    return {key: _bind(value, plugin) for key, value in kwargs.items()} if kwargs else kwargs


def _guard(function: Callable[..., Any], plugin: str, hook: str, wrapper: bool) -> Any:
    try:
        binds = "register" in inspect.signature(function).parameters
    except (TypeError, ValueError):  # pragma: no cover - a builtin: takes no register
        binds = False
    if wrapper and inspect.isgeneratorfunction(function):
        # A wrapper stays a generator function (pluggy checks), wraps the whole call and is not isolated.
        @functools.wraps(function)
        def guarded_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            if binds:
                args, kwargs = _rebind(args, plugin), _rebind_kw(kwargs, plugin)
            return (yield from function(*args, **kwargs))

        return guarded_wrapper

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if binds:
            args, kwargs = _rebind(args, plugin), _rebind_kw(kwargs, plugin)
        try:
            value = function(*args, **kwargs)
        except Exception as exc:
            _failed(plugin, hook, exc)
            return None
        if value is None or not inspect.isawaitable(value):
            return value
        return GuardedAwaitable(value, plugin, hook)

    return guarded


class _Proxy:
    """What pluggy registers in place of a plugin: the plugin's hook functions, guarded."""

    def __init__(self, plugin: object) -> None:
        self.__plugin = plugin

    def __repr__(self) -> str:
        return repr(self.__plugin)


def guarded_plugin(pm: pluggy.PluginManager, plugin: object, name: str) -> object:
    """A proxy of ``plugin`` for ``pm.register``: same hook implementations and options, guarded."""
    proxy = _Proxy(plugin)
    marker = f"{pm.project_name}_impl"
    for attribute in dir(plugin):
        opts = pm.parse_hookimpl_opts(plugin, attribute)
        if opts is None:
            continue
        function = getattr(plugin, attribute)  # bound exactly as pluggy binds it (no descriptors reach here)
        hook = opts.get("specname") or attribute
        wrapper = bool(opts.get("wrapper") or opts.get("hookwrapper"))
        guarded = _guard(function, name, hook, wrapper)
        setattr(guarded, marker, opts)
        setattr(proxy, attribute, guarded)
    return proxy
