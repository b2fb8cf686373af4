"""The web app is closed by default: authenticators, the required role, the Host allow-list, the CLI."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import ConfigurationError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.web import BearerAuth, build_authenticator, create_app
from prisma_infra.web.auth import default_hosts
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount

from core.tests.doubles import memory_infrastructure

TOKEN = "s3cret-token-0123456789"
PROTECTED = ["/", "/dashboard/", "/dashboard/api/snapshot", "/dashboard/static/dashboard.js", "/whoami", "/nowhere"]


async def whoami(request: Request) -> Response:
    return JSONResponse({"actor": request.state.actor})


class RoutePlugin:
    name = "route-test"

    @hookimpl
    def register_routes(self, register: Callable[[str, Any], None]) -> None:
        register("/whoami", whoami)


def infra_with(**web: Any) -> Any:
    infra = memory_infrastructure(monitoring={"web": web} if web else {})
    infra.plugin_manager.register(RoutePlugin())
    return infra


def client(app: Any, host: str = "localhost", **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{host}", headers=headers)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_default_is_closed_and_health_stays_open(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="prisma_infra.web"):
        infra = infra_with()  # no settings at all
        async with infra:
            app = infra.web_app()
            async with client(app) as anonymous, client(app, Authorization="Bearer anything-at-all-1234") as guess:
                for path in PROTECTED:
                    response = await anonymous.get(path)
                    assert response.status_code == 401, path
                    assert response.headers["www-authenticate"] == 'Bearer realm="prisma-infra"'
                    assert (await guess.get(path)).status_code == 401, path  # no token set: nothing matches
                assert (await anonymous.get("/healthz")).status_code == 200
                assert (await anonymous.get("/readyz")).status_code == 200
    assert any("monitoring.web.token" in r.getMessage() for r in caplog.records)


async def test_bearer_token() -> None:
    async with infra_with(token=TOKEN) as infra:
        app = create_app(infra)
        async with client(app) as http:
            assert (await http.get("/dashboard/api/snapshot")).status_code == 401
            wrong = await http.get("/dashboard/api/snapshot", headers={"Authorization": f"Bearer {TOKEN}x"})
            prefix = await http.get("/dashboard/api/snapshot", headers={"Authorization": f"Bearer {TOKEN[:-1]}"})
            other_scheme = await http.get("/dashboard/api/snapshot", headers={"Authorization": basic("x", TOKEN)})
            good = await http.get("/dashboard/api/snapshot", headers={"Authorization": f"bearer {TOKEN}"})
            actor = await http.get("/whoami", headers={"Authorization": f"Bearer {TOKEN}"})
    assert wrong.status_code == prefix.status_code == other_scheme.status_code == 401
    assert good.status_code == 200 and good.json()["started"] is True
    assert actor.json() == {"actor": {"id": "bearer", "roles": ["monitoring"]}}


async def test_secrets_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    async with infra_with(token=TOKEN) as infra, client(infra.web_app(), Authorization="Bearer nope") as http:
        assert (await http.get("/dashboard/")).status_code == 401
    assert calls == [(b"nope", TOKEN.encode())]


async def test_basic_users_and_unknown_users() -> None:
    async with infra_with(auth="basic", users={"ops": "correct horse"}) as infra, client(infra.web_app()) as http:
        denied = await http.get("/dashboard/")
        good = await http.get("/whoami", headers={"Authorization": basic("ops", "correct horse")})
        wrong = await http.get("/whoami", headers={"Authorization": basic("ops", "correct")})
        unknown = await http.get("/whoami", headers={"Authorization": basic("root", "correct horse")})
        garbage = await http.get("/whoami", headers={"Authorization": "Basic !!!"})
    assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith('Basic realm="prisma-infra"')
    assert good.status_code == 200 and good.json()["actor"]["id"] == "ops"
    assert wrong.status_code == unknown.status_code == garbage.status_code == 401


async def test_role_is_required_and_authenticators_are_pluggable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_web_auth.py").write_text(
        "async def authenticate(request):\n"
        "    user = request.headers.get('x-user')\n"
        "    return None if user is None else {'id': user, 'roles': request.headers.get('x-roles', '').split(',')}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    async with infra_with(auth="my_web_auth:authenticate", role="ADMIN") as infra:
        async with client(infra.web_app()) as http:
            anonymous = await http.get("/dashboard/api/snapshot")
            reader = await http.get("/dashboard/api/snapshot", headers={"x-user": "ann", "x-roles": "READER"})
            admin = await http.get("/whoami", headers={"x-user": "bob", "x-roles": "READER,ADMIN"})
        # an argument beats the settings: a plain function, any authenticated actor
        app = create_app(infra, authenticate=lambda request: {"id": "svc"}, role=None)
        async with client(app) as http:
            assert (await http.get("/whoami")).json() == {"actor": {"id": "svc"}}
    assert anonymous.status_code == 401 and reader.status_code == 403
    assert admin.status_code == 200 and admin.json()["actor"]["id"] == "bob"


async def test_a_failing_authenticator_refuses(caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: Request) -> Any:
        raise RuntimeError("directory down")

    async with infra_with() as infra, client(create_app(infra, authenticate=broken)) as http:
        with caplog.at_level(logging.ERROR, logger="prisma_infra.web"):
            assert (await http.get("/dashboard/")).status_code == 401
    assert any("authenticator failed" in r.getMessage() for r in caplog.records)


async def test_open_only_when_explicit_and_loudly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="prisma_infra.web"):
        async with infra_with(auth="none") as infra, client(infra.web_app()) as http:
            assert (await http.get("/dashboard/api/snapshot")).status_code == 200
            assert (await http.get("/whoami")).json()["actor"]["id"] == "anonymous"
        async with infra_with(token=TOKEN) as closed, client(create_app(closed, authenticate="none")) as http:
            assert (await http.get("/dashboard/api/snapshot")).status_code == 200  # opened by argument: as explicit
    assert any("OPEN to anyone" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


async def test_host_allow_list_refuses_dns_rebinding() -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with infra_with(token=TOKEN) as infra:
        app = infra.web_app()
        for host in ("localhost:8765", "127.0.0.1", "[::1]:8765"):
            async with client(app, host, **auth) as http:
                assert (await http.get("/dashboard/api/snapshot")).status_code == 200, host
        async with client(app, "attacker.example", **auth) as http:
            rebound = await http.get("/dashboard/api/snapshot")
            assert (await http.get("/healthz")).status_code == 400
        async with client(create_app(infra, allowed_hosts=["*.example.org"]), "infra.example.org", **auth) as http:
            assert (await http.get("/dashboard/api/snapshot")).status_code == 200
    assert rebound.status_code == 400
    assert default_hosts("0.0.0.0") == ["localhost", "127.0.0.1", "[::1]", "0.0.0.0"]
    assert default_hosts("::") == ["localhost", "127.0.0.1", "[::1]", "[::]"]
    with pytest.raises(ValidationError, match=r"\*\.example\.com"):
        InfraConfig.model_validate({"monitoring": {"web": {"allowed_hosts": ["infra.*"]}}})


async def test_mounted_app_keeps_health_open_and_the_rest_closed() -> None:
    async with infra_with(token=TOKEN) as infra:
        outer = Starlette(routes=[Mount("/infra", app=infra.web_app())])
        async with client(outer) as http:
            assert (await http.get("/infra/healthz")).status_code == 200
            assert (await http.get("/infra/dashboard/")).status_code == 401
            assert (await http.get("/infra/healthz/../dashboard/")).status_code == 401
            page = await http.get("/infra/dashboard/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200


def test_build_authenticator_names_the_setting() -> None:
    def web(**settings: Any) -> Any:
        return InfraConfig.model_validate({"monitoring": {"web": settings}}).monitoring.web

    with pytest.raises(ConfigurationError, match=r"monitoring\.web\.token.*PRISMA_INFRA_MONITORING__WEB__TOKEN"):
        build_authenticator(web())
    with pytest.raises(ConfigurationError, match="at least 16 characters"):
        build_authenticator(web(token="short"))
    with pytest.raises(ConfigurationError, match=r"monitoring\.web\.users"):
        build_authenticator(web(auth="basic"))
    with pytest.raises(ConfigurationError, match="cannot import"):
        build_authenticator(web(auth="no_such_module:authenticate"))
    with pytest.raises(ConfigurationError, match="not bearer, basic, none"):
        build_authenticator(web(auth="kerberos"))
    assert isinstance(build_authenticator(web(token=TOKEN)), BearerAuth)


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web: str, env: dict[str, str] | None = None) -> Any:
    from prisma_infra.cli.app import build_app
    from prisma_infra.plugin_manager import PluginManager
    from typer.testing import CliRunner

    served: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append((app, options)))
    monkeypatch.setenv("PRISMA_INFRA_DISABLE_PLUGIN_AUTOLOAD", "1")
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[default]\ndatabase.engine = "memory-double"\ncache.enabled = false\n{web}\n')
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    result = CliRunner().invoke(build_app(plugins), ["dashboard", "--settings", str(settings)], env=env)
    return result, served


async def test_dashboard_command_refuses_to_start_without_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, served = _cli(tmp_path, monkeypatch, "")
    assert result.exit_code == 1 and served == []
    assert "monitoring.web.token" in result.output and "PRISMA_INFRA_MONITORING__WEB__TOKEN" in result.output


async def test_dashboard_command_serves_a_closed_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result, served = _cli(tmp_path, monkeypatch, "", env={"PRISMA_INFRA_MONITORING__WEB__TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    ((app, options),) = served
    assert options["host"] == "127.0.0.1" and "auth: bearer" in result.output
    async with client(app) as http:
        assert (await http.get("/dashboard/")).status_code == 401
        assert (await http.get("/healthz")).status_code == 200


async def test_dashboard_command_warns_when_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result, served = _cli(tmp_path, monkeypatch, 'monitoring.web.auth = "none"')
    assert result.exit_code == 0 and len(served) == 1
    assert "WARNING" in result.output and "open to anyone" in result.output
