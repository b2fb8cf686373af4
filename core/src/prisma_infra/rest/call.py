"""`Call`: one request routed to one model, and what every handler needs of it.

The handler modules (records, listing, aggregates, bulk) receive a `Call`: the
kernel, the request, the ``api`` settings in force, the exposed model and the
key segments of the path. It reads the JSON body (content type, size),
builds the where-unique of the path's key, absolute URLs for ``Location`` and
``Link``, and JSON responses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from prisma_infra.data.repository import Repository, repository
from prisma_infra.errors import ValidationError
from prisma_infra.rest.encoding import decode_scalar, dumps, encode_record, encode_value
from prisma_infra.rest.filters import FilterContext
from prisma_infra.rest.request import ApiRequest, ApiRequestError, ApiResponse

if TYPE_CHECKING:
    from prisma_infra.config.api import ApiConfig
    from prisma_infra.kernel import Kernel
    from prisma_infra.rest.exposure import Exposure, ModelExposure
    from prisma_infra.schema import Schema

__all__ = ["JSON", "Call", "json_response"]

JSON = "application/json"


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
    """A JSON response (``value`` already JSON-ready, or encodable by ``dumps``)."""
    return ApiResponse(status, {"content-type": JSON, **(headers or {})}, dumps(value))


def _is_json(media_type: str | None) -> bool:
    if not media_type:
        return False
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == JSON or (essence.startswith("application/") and essence.endswith("+json"))


@dataclass(frozen=True)
class Call:
    """One request to one exposed model (see the module documentation)."""

    kernel: Kernel
    request: ApiRequest
    settings: ApiConfig
    exposure: Exposure
    target: ModelExposure
    key: tuple[str, ...] = ()

    @property
    def schema(self) -> Schema:
        return self.kernel.schema

    @property
    def model_name(self) -> str:
        return self.target.name

    @property
    def filters(self) -> FilterContext:
        """The query-string parser's context: the schema, the hidden fields, the provider."""
        return FilterContext(self.schema, self.exposure.hidden, self.repo.info.provider)

    @property
    def repo(self) -> Repository:
        """The model's repository: every read and write goes through the pipeline."""
        return repository(self.kernel, self.target.name)

    # -- the body ------------------------------------------------------------------------

    def body(self) -> Any:
        """The request's JSON body: 415 for another content type, 400 when it is not JSON."""
        request = self.request
        if not request.body:
            raise ApiRequestError(f"{self.model_name}: this request needs a JSON body", model=self.model_name)
        if not _is_json(request.header("content-type")):
            raise ApiRequestError(
                "The request body must be JSON (Content-Type: application/json)", status=415, model=self.model_name
            )
        try:
            return json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise ApiRequestError("The request body is not valid JSON", model=self.model_name) from None
        except RecursionError:
            raise ApiRequestError("The request body nests too deeply", model=self.model_name) from None

    def body_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object."""
        value = self.body()
        if not isinstance(value, dict):
            raise ValidationError(f"{self.model_name}: the request body must be a JSON object", model=self.model_name)
        return value

    # -- the key of the path -------------------------------------------------------------

    def unique_where(self) -> dict[str, Any]:
        """The where-unique of the path's key segments (one per key field, in key order)."""
        info = self.repo.info
        fields = info.key_fields
        if len(self.key) != len(fields) or not fields:
            raise ApiRequestError(
                "No such resource: the path does not name a record", status=404, model=self.model_name
            )
        values = {
            name: decode_scalar(self.target.model.field(name), text, model=self.model_name, where="path")
            for name, text in zip(fields, self.key, strict=True)
        }
        if len(fields) == 1:
            return values
        return {info.key_name: values}

    def key_values(self) -> dict[str, Any]:
        """The path's key as field → value (for the create part of an upsert)."""
        where = self.unique_where()
        fields = self.repo.info.key_fields
        return dict(where) if len(fields) == 1 else dict(where[self.repo.info.key_name])

    def record_path(self, record: Mapping[str, Any]) -> str | None:
        """The URL of ``record`` (None when it lacks a key field)."""
        segments = []
        for name in self.repo.info.key_fields:
            if record.get(name) is None:
                return None
            value = encode_scalar_text(encode_value(self.target.model.field(name), record[name]))
            segments.append(quote(value, safe=""))
        return self.url(*segments) if segments else None

    # -- URLs and responses ------------------------------------------------------------

    def url(self, *segments: str, query: Sequence[tuple[str, str]] | None = None) -> str:
        """An absolute URL under the model's route."""
        base = self.request.base_url.rstrip("/")
        path = "/".join((quote(self.target.route, safe=""), *segments))
        url = f"{base}/{path}"
        return f"{url}?{urlencode(list(query))}" if query else url

    def encode(self, record: Any) -> Any:
        """A record (or list of records) as JSON values, without the hidden fields."""
        if isinstance(record, list):
            return [self.encode(item) for item in record]
        if not isinstance(record, Mapping):
            return record
        return encode_record(self.target.model, self.schema, record, hidden=self.exposure.hidden)


def encode_scalar_text(value: Any) -> str:
    """An encoded key value as a path segment (what ``decode_scalar`` reads back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
