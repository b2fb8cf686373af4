"""Request actors: the JWT failure matrix with real tokens and keys, the trusted header, the resolver chain.

Tokens are made by PyJWT (or by hand where PyJWT refuses to make them: ``alg=none``, an HMAC signed with
a public key) with keys made by ``cryptography``; PyJWT has no injectable clock, so times are relative to
now with margins far larger than a test's run time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from prisma_infra.config.api import ApiAuthConfig
from prisma_infra.errors import AuthenticationError, ConfigurationError
from prisma_infra.integrations.actors import (
    JwtResolver,
    RequestInfo,
    TrustedHeaderResolver,
    resolve_actor,
    resolvers_from_settings,
    split_roles,
)
from prisma_infra.integrations.problems import problem_for

SECRET = "an-hs256-secret-of-at-least-32-bytes!"
SUBJECT = "user-7f3a"
TENANT = "tenant-acme"


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": SUBJECT, "roles": "ADMIN editor", "tenant_id": TENANT, "iat": now, "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def bearer(token: str) -> RequestInfo:
    return RequestInfo(headers={"authorization": f"Bearer {token}"}, client="203.0.113.9")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], payload: dict[str, Any], sign: Callable[[bytes], bytes] | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = _b64(sign(signing_input.encode())) if sign else ""
    return f"{signing_input}.{signature}"


def jwt_config(**jose: Any) -> ApiAuthConfig:
    return ApiAuthConfig.model_validate({"jose": {"enabled": True, **jose}})


@pytest.fixture
def rs256(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> JwtResolver:
    (tmp_path / "public.pem").write_text(_pem(rsa_key))
    config = jwt_config(
        algorithms=["RS256"], public_key_file="public.pem", audience="shop", issuer="https://id.example", leeway=0
    )
    return JwtResolver(config.jose, tmp_path)


def rs_token(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    return jwt.encode(claims(**{"aud": "shop", "iss": "https://id.example", **overrides}), key, algorithm="RS256")


def refused(resolver: JwtResolver, token: str) -> str:
    """The message of the refusal; it never carries the token nor a claim value."""
    with pytest.raises(AuthenticationError) as raised:
        resolver(bearer(token))
    message = str(raised.value)
    for leaked in (token, SUBJECT, TENANT, "ADMIN", "https://id.example", *token.split(".")):
        assert len(leaked) < 8 or leaked not in message
    assert raised.value.scheme == "Bearer"
    return message


# -- good tokens -----------------------------------------------------------------------------------------------


def test_a_good_rs256_token_gives_the_actor_dict(rs256: JwtResolver, rsa_key: rsa.RSAPrivateKey) -> None:
    actor = rs256(bearer(rs_token(rsa_key)))
    assert actor == {"id": SUBJECT, "roles": ["ADMIN", "editor"], "tenant_id": TENANT}


def test_a_good_es256_token_from_a_jwks_file_chosen_by_kid(
    ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    keys = [{**rsa_jwk, "kid": "rsa-1", "alg": "RS256"}, {**ec_jwk, "kid": "ec-1", "use": "sig"}]
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys}))
    config = jwt_config(
        algorithms=["ES256", "RS256"],
        jwks_file="jwks.json",
        claims={"id": "sub", "roles": "realm_access.roles", "tenant_id": "https://shop.example/tenant"},
    )
    resolver = JwtResolver(config.jose, tmp_path)
    payload = claims(roles=None, tenant_id=None, realm_access={"roles": ["CUSTOMER"]})
    payload["https://shop.example/tenant"] = TENANT
    es = jwt.encode(payload, ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert resolver(bearer(es)) == {"id": SUBJECT, "roles": ["CUSTOMER"], "tenant_id": TENANT}
    rs = jwt.encode(payload, rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    assert resolver(bearer(rs))["id"] == SUBJECT
    # The RSA key signs, but the token names the EC key: its signature does not verify with it.
    wrong_kid = jwt.encode(payload, rsa_key, algorithm="RS256", headers={"kid": "ec-1"})
    assert "does not match" in refused(resolver, wrong_kid)
    unknown = jwt.encode(payload, ec_key, algorithm="ES256", headers={"kid": "rotated-away"})
    assert "unknown key id (kid)" in refused(resolver, unknown)
    no_kid = jwt.encode(payload, ec_key, algorithm="ES256")
    assert "no key id (kid)" in refused(resolver, no_kid)


def test_a_rotated_jwks_file_is_read_again(
    ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    jwks = tmp_path / "jwks.json"

    def publish(jwk: str, kid: str, stamp: int) -> None:
        jwks.write_text(json.dumps({"keys": [{**json.loads(jwk), "kid": kid}]}))
        os.utime(jwks, ns=(stamp, stamp))  # a distinct modification time, whatever the file system's resolution

    publish(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()), "rsa-2025", 1_000_000_000_000_000_000)
    resolver = JwtResolver(jwt_config(algorithms=["RS256", "ES256"], jwks_file="jwks.json").jose, tmp_path)
    old = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-2025"})
    new = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-2026"})
    assert resolver(bearer(old))["id"] == SUBJECT
    assert "unknown key id" in refused(resolver, new)
    rotated = jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key())
    publish(rotated, "ec-2026", 2_000_000_000_000_000_000)  # the identity provider rotated its key
    assert resolver(bearer(new))["id"] == SUBJECT
    assert "unknown key id" in refused(resolver, old)
    jwks.write_text("{not json")  # caught mid-write, or broken: the keys stay as they were
    os.utime(jwks, ns=(3_000_000_000_000_000_000, 3_000_000_000_000_000_000))
    with caplog.at_level(logging.WARNING, logger="prisma_infra.integrations.actors"):
        assert resolver(bearer(new))["id"] == SUBJECT
    assert "api.auth.jose.jwks_file changed but is not usable" in caplog.text


def test_a_good_hs256_token_and_comma_separated_roles() -> None:
    resolver = JwtResolver(jwt_config(algorithms=["HS256"], secret=SECRET).jose)
    token = jwt.encode(claims(roles="ADMIN,editor, viewer"), SECRET, algorithm="HS256")
    assert resolver(bearer(token)) == {"id": SUBJECT, "roles": ["ADMIN", "editor", "viewer"], "tenant_id": TENANT}
    other = jwt.encode(claims(), "another-secret-of-at-least-32-bytes!!", algorithm="HS256")
    assert "bad signature" in refused(resolver, other)


# -- the failure matrix ----------------------------------------------------------------------------------------


def test_expired(rs256: JwtResolver, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    assert "expired (exp)" in refused(rs256, rs_token(rsa_key, iat=now - 100, exp=now - 10))


def test_not_yet_valid(rs256: JwtResolver, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    assert "not yet valid (nbf" in refused(rs256, rs_token(rsa_key, nbf=now + 120))
    assert "not yet valid (iat" in refused(rs256, rs_token(rsa_key, iat=now + 120))


def test_leeway_absorbs_clock_skew(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    (tmp_path / "public.pem").write_text(_pem(rsa_key))
    config = jwt_config(public_key_file="public.pem", audience="shop", issuer="https://id.example", leeway=60)
    resolver = JwtResolver(config.jose, tmp_path)
    now = int(time.time())
    assert resolver(bearer(rs_token(rsa_key, iat=now - 100, exp=now - 10)))["id"] == SUBJECT
    assert resolver(bearer(rs_token(rsa_key, nbf=now + 10)))["id"] == SUBJECT
    assert "expired" in refused(resolver, rs_token(rsa_key, iat=now - 1000, exp=now - 600))


def test_wrong_audience(rs256: JwtResolver, rsa_key: rsa.RSAPrivateKey) -> None:
    assert "wrong audience (aud)" in refused(rs256, rs_token(rsa_key, aud="billing"))
    assert "'aud' is missing" in refused(rs256, rs_token(rsa_key, aud=None))


def test_an_audience_when_none_is_configured_is_refused_with_the_setting_named() -> None:
    resolver = JwtResolver(jwt_config(algorithms=["HS256"], secret=SECRET).jose)
    token = jwt.encode(claims(aud="shop"), SECRET, algorithm="HS256")
    assert "api.auth.jose.audience is not set" in refused(resolver, token)


def test_wrong_issuer(rs256: JwtResolver, rsa_key: rsa.RSAPrivateKey) -> None:
    assert "wrong issuer (iss)" in refused(rs256, rs_token(rsa_key, iss="https://evil.example"))
    assert "'iss' is missing" in refused(rs256, rs_token(rsa_key, iss=None))


def test_alg_none_is_refused_before_anything_is_verified(rs256: JwtResolver) -> None:
    token = hand_made({"alg": "none", "typ": "JWT"}, claims(aud="shop", iss="https://id.example"), None)
    assert token.endswith(".")
    message = refused(rs256, token)
    assert "algorithm 'none' is not allowed" in message and "RS256" in message
    hs = JwtResolver(jwt_config(algorithms=["HS256"], secret=SECRET).jose)
    assert "'none' is not allowed" in refused(hs, token)
    assert "'None' is not allowed" in refused(hs, hand_made({"alg": "None"}, claims(), None))


def test_an_algorithm_outside_the_allow_list(
    rs256: JwtResolver, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    hs = jwt.encode(claims(aud="shop", iss="https://id.example"), SECRET, algorithm="HS256")
    assert "algorithm 'HS256' is not allowed" in refused(rs256, hs)
    es = jwt.encode(claims(aud="shop", iss="https://id.example"), ec_key, algorithm="ES256")
    assert "algorithm 'ES256' is not allowed" in refused(rs256, es)
    odd = hand_made({"alg": "<script>" * 3}, claims(), None)
    message = refused(rs256, odd)
    assert "its algorithm is not allowed (api.auth.jose.algorithms: RS256)" in message
    assert "script" not in message  # arbitrary header text is not echoed
    assert "its algorithm is not allowed" in refused(rs256, hand_made({"typ": "JWT"}, claims(), None))


def test_key_confusion_hs256_signed_with_the_rsa_public_key(rs256: JwtResolver, rsa_key: rsa.RSAPrivateKey) -> None:
    """The classic attack: the verifier's public PEM used as an HMAC secret. Refused by the allow-list."""
    public_pem = _pem(rsa_key).encode()
    payload = claims(aud="shop", iss="https://id.example")
    token = hand_made(
        {"alg": "HS256", "typ": "JWT"}, payload, lambda data: hmac.new(public_pem, data, hashlib.sha256).digest()
    )
    assert "algorithm 'HS256' is not allowed" in refused(rs256, token)


def test_signed_by_another_key(
    rs256: JwtResolver, other_rsa_key: rsa.RSAPrivateKey, rsa_key: rsa.RSAPrivateKey
) -> None:
    assert "bad signature" in refused(rs256, rs_token(other_rsa_key))
    good = rs_token(rsa_key)
    head, _payload, _signature = good.split(".")
    forged = _b64(json.dumps(claims(aud="shop", iss="https://id.example", sub="someone-else")).encode())
    assert "bad signature" in refused(rs256, f"{head}.{forged}.{_signature}")


def test_missing_required_claim(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    (tmp_path / "public.pem").write_text(_pem(rsa_key))
    resolver = JwtResolver(jwt_config(public_key_file="public.pem", require=["exp", "jti"]).jose, tmp_path)
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert "required claim 'jti' is missing" in refused(resolver, token)
    no_exp = jwt.encode(claims(exp=None, jti="j-1"), rsa_key, algorithm="RS256")
    assert "required claim 'exp' is missing" in refused(resolver, no_exp)
    no_sub = jwt.encode(claims(sub=None, jti="j-2"), rsa_key, algorithm="RS256")
    assert "no 'sub' claim" in refused(resolver, no_sub)


def test_malformed_tokens(rs256: JwtResolver) -> None:
    for token in ("abc.def", "not-a-jwt", "a.b.c", "x" * 20_000):
        assert "malformed" in refused(rs256, token)
    with pytest.raises(AuthenticationError) as raised:
        rs256(RequestInfo(headers={"authorization": "Bearer   "}))
    assert raised.value.reason == "invalid_request"


def test_no_bearer_token_is_not_this_resolvers(rs256: JwtResolver) -> None:
    assert rs256(RequestInfo(headers={})) is None
    assert rs256(RequestInfo(headers={"authorization": "Basic dXNlcjpwYXNz"})) is None


def test_a_refusal_becomes_a_401_problem_with_the_reason(rs256: JwtResolver, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    with pytest.raises(AuthenticationError) as raised:
        rs256(bearer(rs_token(rsa_key, iat=now - 100, exp=now - 10)))
    problem = problem_for(raised.value)
    assert problem.status == 401
    assert "expired" in problem.body()["detail"]
    assert problem.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token", error_description="')


# -- key configuration -----------------------------------------------------------------------------------------


def test_inline_public_key_and_bad_key_settings(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    inline = JwtResolver(jwt_config(algorithms=["ES256"], public_key=_pem(ec_key)).jose)
    assert inline(bearer(jwt.encode(claims(), ec_key, algorithm="ES256")))["id"] == SUBJECT
    # An allowed algorithm that does not fit the key: refused, not a crash.
    mismatch = JwtResolver(jwt_config(algorithms=["ES256", "RS256"], public_key=_pem(ec_key)).jose)
    assert "does not fit the configured key" in refused(mismatch, jwt.encode(claims(), rsa_key, algorithm="RS256"))
    private = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(ConfigurationError, match=r"api\.auth\.jose\.public_key is not a PEM public key"):
        JwtResolver(jwt_config(public_key=private).jose)
    with pytest.raises(ConfigurationError, match=r"api\.auth\.jose\.public_key_file: cannot read"):
        JwtResolver(jwt_config(public_key_file="missing.pem").jose, tmp_path)
    (tmp_path / "bad.json").write_text('{"keys": [{"kty": "nope"}]}')
    with pytest.raises(ConfigurationError, match=r"jwks_file is not a JSON Web Key Set") as raised:
        JwtResolver(jwt_config(jwks_file="bad.json").jose, tmp_path)
    assert "nope" not in str(raised.value)


# -- trusted header --------------------------------------------------------------------------------------------


def proxied(client: str | None) -> RequestInfo:
    headers = {"x-forwarded-user": "carol", "x-forwarded-roles": "ADMIN, support", "x-forwarded-tenant": TENANT}
    return RequestInfo(headers=headers, client=client)


def test_trusted_header_is_honoured_only_from_trusted_proxies() -> None:
    config = ApiAuthConfig.model_validate({"header": {"enabled": True}})
    resolver = TrustedHeaderResolver(config.header)
    assert resolver(proxied("127.0.0.1")) == {"id": "carol", "roles": ["ADMIN", "support"], "tenant_id": TENANT}
    assert resolver(proxied("::1")) is not None
    assert resolver(proxied("::ffff:127.0.0.1")) is not None
    assert resolver(proxied("10.1.2.3")) is None
    assert resolver(proxied("testclient")) is None
    assert resolver(proxied(None)) is None
    assert resolver(RequestInfo(headers={}, client="127.0.0.1")) is None


def test_trusted_proxies_cidrs_and_custom_headers() -> None:
    config = ApiAuthConfig.model_validate(
        {
            "header": {
                "enabled": True,
                "id_header": "X-Auth-Request-User",
                "roles_header": None,
                "tenant_header": None,
                "trusted_proxies": ["10.0.0.0/8"],
            }
        }
    )
    resolver = TrustedHeaderResolver(config.header)
    request = RequestInfo(headers={"x-auth-request-user": "dave", "x-forwarded-roles": "ADMIN"}, client="10.1.2.3")
    assert resolver(request) == {"id": "dave"}
    assert resolver(RequestInfo(headers=request.headers, client="127.0.0.1")) is None
    bad = ApiAuthConfig.model_validate({"header": {"enabled": True, "trusted_proxies": ["localhost"]}})
    with pytest.raises(ConfigurationError, match=r"api\.auth\.header\.trusted_proxies"):
        TrustedHeaderResolver(bad.header)


# -- the chain -------------------------------------------------------------------------------------------------


async def test_resolvers_from_settings_and_the_chain(tmp_path: Path) -> None:
    (tmp_path / ".keep").write_text("")
    config = ApiAuthConfig.model_validate(
        {"jose": {"enabled": True, "algorithms": ["HS256"], "secret": SECRET}, "header": {"enabled": True}}
    )
    resolvers = resolvers_from_settings(config, str(tmp_path))
    assert [type(r) for r in resolvers] == [JwtResolver, TrustedHeaderResolver]
    assert resolvers_from_settings(ApiAuthConfig(), tmp_path) == []

    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    both = RequestInfo(headers={**proxied("127.0.0.1").headers, "authorization": f"Bearer {token}"}, client="::1")
    assert (await resolve_actor(resolvers, both, None))["id"] == SUBJECT  # the JWT resolver is asked first
    assert (await resolve_actor(resolvers, proxied("127.0.0.1"), None))["id"] == "carol"
    assert await resolve_actor(resolvers, proxied("10.1.2.3"), {"id": "guest"}) == {"id": "guest"}
    assert await resolve_actor(resolvers, RequestInfo(), None) is None

    async def app_resolver(request: RequestInfo) -> dict[str, str] | None:
        key = request.header("X-Api-Key")
        return {"id": "service"} if key == "k-1" else None

    chain = [app_resolver, *resolvers]
    assert await resolve_actor(chain, RequestInfo(headers={"x-api-key": "k-1"}), None) == {"id": "service"}
    assert (await resolve_actor(chain, both, None))["id"] == SUBJECT

    expired = jwt.encode(claims(exp=int(time.time()) - 10), SECRET, algorithm="HS256")
    with pytest.raises(AuthenticationError, match="expired"):  # invalid credentials never fall back to anonymous
        await resolve_actor(resolvers, bearer(expired), {"id": "guest"})


def test_split_roles() -> None:
    assert split_roles(None) == []
    assert split_roles("a b,c ,, d") == ["a", "b", "c", "d"]
    assert split_roles(["x", 2]) == ["x", "2"]
    assert split_roles("ADMIN") == ["ADMIN"]
