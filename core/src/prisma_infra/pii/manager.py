"""`PiiManager`: classification, the inventory and masking for one configuration and schema."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prisma_infra.actor import actor_roles
from prisma_infra.config.model import InfraConfig, PiiConfig
from prisma_infra.context import current_context
from prisma_infra.errors import ConfigurationError, PolicyDeniedError, UnknownFieldError, closest_match
from prisma_infra.pii import categories
from prisma_infra.pii.classify import Classification, classify_field, vote
from prisma_infra.pii.detectors import Span, ValueDetector, builtin_detectors, find_spans
from prisma_infra.pii.inventory import InventoryEntry, PiiInventory, combine
from prisma_infra.pii.masking import KEEP, NULL, REDACT, STRATEGIES, Masker, redact
from prisma_infra.pii.partial import partial_mask
from prisma_infra.providers.pii import PiiDetector, PiiMatch

if TYPE_CHECKING:
    from prisma_infra.kernel import Executor, Kernel
    from prisma_infra.runtime import Runtime
    from prisma_infra.schema import Model, Schema

__all__ = ["REVEALING_PURPOSES", "PiiManager"]

log = logging.getLogger("prisma_infra.pii")

#: Purposes for which ``pii.reveal_roles`` may see clear values; audit events and logs are always masked.
REVEALING_PURPOSES = frozenset({"result", "export"})


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):  # detectors read DateTime columns as dates (birth dates)
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


class PiiManager:
    """Classifies fields, reports the inventory and masks records and text.

    Built by the PII feature for each runtime (``infra.pii``, `prisma_infra.pii.service`),
    or on its own for a schema (``PiiManager(schema, config)``) — then with the built-in detectors.
    """

    def __init__(
        self,
        schema: Schema | None = None,
        config: InfraConfig | PiiConfig | Mapping[str, Any] | None = None,
        *,
        detectors: Mapping[str, PiiDetector] | None = None,
        kernel: Executor | None = None,
        infrastructure: Executor | None = None,
    ) -> None:
        if isinstance(config, PiiConfig):
            config = InfraConfig(pii=config)
        elif isinstance(config, Mapping):
            config = InfraConfig.model_validate(config)
        self.config: InfraConfig = config or InfraConfig()
        self.settings: PiiConfig = self.config.pii
        self.schema = schema
        #: Where `inventory` samples rows (``infrastructure=`` is the former name of ``kernel=``).
        self.kernel: Executor | None = kernel if kernel is not None else infrastructure
        registered = builtin_detectors() if detectors is None else dict(detectors)
        self.detectors: dict[str, PiiDetector] = {
            name: (d.configured(self.settings) if isinstance(d, ValueDetector) else d)
            for name, d in registered.items()
            if name not in self.settings.disable
        }
        secret = self.settings.hash_key
        token = self.settings.token_key
        self.masker = Masker(
            hash_key=secret.get_secret_value() if secret else None,
            token_key=token.get_secret_value() if token else None,
            region=self.settings.default_region,
        )
        #: Categories learned from sampled values by `inventory`, ``model -> field -> category``.
        self.learned: dict[str, dict[str, str]] = {}
        self._fields: dict[str, dict[str, str]] = {}
        self._check_config()

    @classmethod
    def for_kernel(
        cls, kernel: Kernel, runtime: Runtime | None = None, previous: PiiManager | None = None
    ) -> PiiManager:
        """The manager of ``runtime`` (default: the current one): its configuration, the schema and its
        registered detectors; value classifications learned by ``previous`` carry over for the same schema."""
        runtime = runtime or kernel.runtime
        detectors = {name: reg.factory for name, reg in runtime.registry.get("pii_detectors", {}).items()}
        manager = cls(kernel.schema, runtime.config, detectors=detectors, kernel=kernel)
        if previous is not None and previous.schema is manager.schema:
            manager.learned = previous.learned
        return manager

    @classmethod
    def for_infrastructure(cls, infrastructure: Kernel, previous: PiiManager | None = None) -> PiiManager:
        """Deprecated name of `for_kernel`."""
        return cls.for_kernel(infrastructure, previous=previous)

    @property
    def infrastructure(self) -> Executor | None:
        """Deprecated name of `kernel`."""
        return self.kernel

    # -- configuration -----------------------------------------------------------------------

    def _check_config(self) -> None:
        settings = self.settings
        named = [
            *((f"pii.strategies.{k}", v) for k, v in settings.strategies.items()),
            *((f"pii.fields.{k}", v) for k, v in settings.fields.items()),
            *((f"pii.purposes.{p}.{k}", v) for p, table in settings.purposes.items() for k, v in table.items()),
        ]
        problems = []
        for key, strategy in named:
            if strategy not in STRATEGIES:
                match = closest_match(strategy, STRATEGIES)
                hint = f" (did you mean {match!r}?)" if match else ""
                problems.append(f"{key}: unknown masking strategy {strategy!r}{hint}; known: {', '.join(STRATEGIES)}")
        for name in settings.disable:
            if name not in builtin_detectors() and name not in self.detectors:
                log.warning("pii.disable: no detector named %r is registered", name)
        if problems:
            raise ConfigurationError("Invalid PII settings: " + "; ".join(problems), problems=problems)
        if self.schema is None:
            return
        for key in [*settings.fields, *(k for t in settings.purposes.values() for k in t if "." in k)]:
            model_name, _, field_name = key.partition(".")
            self._field(model_name, field_name)
        for model_name, model_settings in self.config.models.items():
            model = self.schema.get_model(model_name)
            if model is None:
                continue
            for field_name, category in model_settings.pii.items():
                self._field(model.name, field_name)
                if category != categories.NONE and category not in categories.CATEGORIES:
                    log.info("models.%s.pii.%s: custom category %r", model.name, field_name, category)

    def _field(self, model_name: str, field_name: str) -> None:
        assert self.schema is not None
        model = self.schema.model(model_name)
        if not model.has_field(field_name):
            raise UnknownFieldError(model.name, field_name, model.field_names, where="PII settings")

    def _schema(self) -> Schema:
        if self.schema is None:
            raise ConfigurationError("This PII manager has no schema: build it with PiiManager(schema, ...)")
        return self.schema

    # -- detection ---------------------------------------------------------------------------

    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        """Every detection in ``value`` at or above ``pii.min_confidence``, most confident first."""
        found: list[PiiMatch] = []
        for name, detector in self.detectors.items():
            try:
                found.extend(detector.detect(value, field=field))
            except Exception:
                log.exception("PII detector %r failed", name)
        floor = self.settings.min_confidence
        return sorted((m for m in found if m.confidence >= floor), key=lambda m: -m.confidence)

    def best(self, value: str, *, field: str | None = None) -> PiiMatch | None:
        """The most confident detection in ``value``, or ``None``."""
        found = self.detect(value, field=field)
        return found[0] if found else None

    def find(self, text: str) -> list[Span]:
        """Non-overlapping PII spans in free text, most confident first on overlaps, in text order."""
        spans: list[Span] = []
        for name, detector in self.detectors.items():
            try:
                spans.extend(s for s in find_spans(detector, text) if s.confidence >= self.settings.min_confidence)
            except Exception:
                log.exception("PII detector %r failed on text", name)
        chosen: list[Span] = []
        for span in sorted(spans, key=lambda s: (-s.confidence, -(s.end - s.start), s.start)):
            if all(span.end <= c.start or span.start >= c.end for c in chosen):
                chosen.append(span)
        return sorted(chosen, key=lambda s: s.start)

    # -- classification ----------------------------------------------------------------------

    def classify_schema(self, schema: Schema | None = None) -> dict[str, dict[str, Classification]]:
        """``model -> field -> Classification`` from field names, types and ``@pii`` doc tags."""
        schema = schema or self._schema()
        out: dict[str, dict[str, Classification]] = {}
        for model in schema.models:
            found = {f.name: c for f in model.scalar_fields if (c := classify_field(model, f)) is not None}
            if found:
                out[model.name] = found
        return out

    def classify_values(self, model: str, field: str, samples: Iterable[Any]) -> Classification | None:
        """The category most sampled values of ``model.field`` show (``pii.min_share`` of them), or ``None``.

        Evidence carries one matching value, masked.
        """
        return self._classify_values(model, field, samples)[0]

    def _classify_values(self, model: str, field: str, samples: Iterable[Any]) -> tuple[Classification | None, int]:
        values = [t for v in samples if v is not None and (t := _text(v)) is not None and t.strip()]
        context = f"{model}.{field}"
        detections = [self.best(v, field=context) for v in values]
        verdict = vote(detections, min_share=self.settings.min_share)
        if verdict is None:
            return None, 0
        example = next(v for v, d in zip(values, detections, strict=True) if d and d.category == verdict.category)
        masked = partial_mask(example, verdict.category, region=self.settings.default_region)
        evidence = f"{verdict.evidence}, e.g. {masked}"
        return Classification(verdict.category, verdict.confidence, evidence, "values"), verdict.matched

    def configured(self, model: str) -> dict[str, str]:
        """``models.<Model>.pii`` for ``model``: field → category or ``"none"``."""
        return dict(self.config.model_settings(model).pii)

    def field_categories(self, model: str | Model) -> dict[str, str]:
        """The PII fields of ``model`` and their categories: configuration, then learned values, then schema."""
        schema = self._schema()
        resolved = schema.model(model)
        cached = self._fields.get(resolved.name)
        if cached is not None:
            return cached
        found = {f.name: c.category for f in resolved.scalar_fields if (c := classify_field(resolved, f))}
        found = {name: category for name, category in found.items() if category != categories.NONE}
        found.update(self.learned.get(resolved.name, {}))
        for field_name, category in self.configured(resolved.name).items():
            if category == categories.NONE:
                found.pop(field_name, None)
            else:
                found[field_name] = category
        self._fields[resolved.name] = found
        return found

    def learn(self, inventory: PiiInventory) -> None:
        """Adopt an inventory's value-based classifications for masking."""
        for entry in inventory:
            if entry.source in ("values", "schema+values"):
                self.learned.setdefault(entry.model, {})[entry.field] = entry.category
        self._fields.clear()

    def build_inventory(self, samples: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> PiiInventory:
        """The inventory from the schema, configuration and already-read rows (``model -> rows``)."""
        schema = self._schema()
        samples = {schema.model(name).name: rows for name, rows in (samples or {}).items()}
        report = PiiInventory(sampled_models={name: len(rows) for name, rows in samples.items()})
        for model in schema.models:
            rows = samples.get(model.name, ())
            configured = self.configured(model.name)
            for field in model.scalar_fields:
                from_schema = classify_field(model, field)
                setting = configured.get(field.name)
                if from_schema is not None and from_schema.category == categories.NONE:
                    # ``/// @pii none`` in the schema: like ``models.<Model>.pii.<field> = "none"``.
                    from_schema, setting = None, setting or categories.NONE
                column = [row.get(field.name) for row in rows]
                values = [v for v in column if v is not None]
                from_values, matched = self._classify_values(model.name, field.name, values)
                verdict = combine(from_schema, from_values, setting, sampled=len(values))
                if verdict is None:
                    continue
                report.entries.append(
                    InventoryEntry(
                        model=model.name,
                        field=field.name,
                        category=verdict.category,
                        confidence=verdict.confidence,
                        evidence=verdict.evidence,
                        source=verdict.source,
                        type=field.type + ("[]" if field.is_list else ""),
                        sampled=len(values),
                        matched=matched,
                    )
                )
        return report

    async def inventory(self, sample: int | None = None, *, models: Iterable[str] | None = None) -> PiiInventory:
        """The PII inventory: schema and configuration, plus up to ``sample`` rows per model read through the
        infrastructure (default ``pii.sample_size``; 0 reads nothing). Value classifications are then used
        for masking too (`learn`)."""
        from prisma_infra.pii.sampling import sample as read_sample

        size = self.settings.sample_size if sample is None else sample
        schema = self._schema()
        names = [schema.model(m).name for m in models] if models is not None else list(schema.model_names)
        rows: dict[str, list[dict[str, Any]]] = {}
        errors: dict[str, str] = {}
        if size > 0:
            if self.kernel is None:
                raise ConfigurationError("Sampling needs an infrastructure: use infra.pii, or sample=0")
            for name in names:
                try:
                    rows[name] = await read_sample(self.kernel, name, size)
                except Exception as exc:
                    errors[name] = f"{type(exc).__name__}: {exc}"
                    log.warning("PII sample of %s failed: %s", name, exc)
        report = self.build_inventory(rows)
        if models is not None:
            report.entries = [e for e in report.entries if e.model in names]
        report.errors = errors
        self.learn(report)
        return report

    # -- masking -----------------------------------------------------------------------------

    def strategy_for(self, model: str | None, field: str | None, category: str, purpose: str = "audit") -> str:
        """The strategy for a value: by purpose (field, then category), field, category, then the default."""
        settings = self.settings
        key = f"{model}.{field}" if model and field else None
        table = settings.purposes.get(purpose, {})
        for candidate in (table.get(key) if key else None, table.get(category)):
            if candidate:
                return candidate
        if key and key in settings.fields:
            return settings.fields[key]
        return settings.strategies.get(category) or categories.DEFAULT_STRATEGIES.get(category, REDACT)

    def mask_value(
        self, value: Any, category: str, *, model: str | None = None, field: str | None = None, purpose: str = "audit"
    ) -> Any:
        """``value`` masked as ``category`` with the strategy configured for it and ``purpose``."""
        return self.masker.mask(value, category, self.strategy_for(model, field, category, purpose))

    def reveals(self, purpose: str, role: str | None) -> bool:
        """Whether ``role`` sees clear values for ``purpose`` (results and exports only)."""
        return purpose in REVEALING_PURPOSES and role is not None and role in self.settings.reveal_roles

    def mask_record(
        self, model: str, record: Mapping[str, Any], *, purpose: str = "audit", role: str | None = None
    ) -> dict[str, Any]:
        """A copy of ``record`` with its PII fields masked, relations (nested dicts and lists) included.

        :param purpose: ``audit``, ``log``, ``export`` or ``result`` — selects ``pii.purposes.<purpose>``.
        :param role: for ``result``/``export``, a role in ``pii.reveal_roles`` gets the record unmasked.
        """
        if self.reveals(purpose, role):
            return dict(record)
        schema = self._schema()
        resolved = schema.model(model)
        pii_fields = self.field_categories(resolved)
        out: dict[str, Any] = {}
        for key, value in record.items():
            field = resolved.get_field(key)
            if field is not None and field.is_relation and value is not None:
                if isinstance(value, Mapping):
                    out[key] = self.mask_record(field.type, value, purpose=purpose, role=role)
                elif isinstance(value, list | tuple):
                    out[key] = [
                        self.mask_record(field.type, item, purpose=purpose, role=role)
                        if isinstance(item, Mapping)
                        else item
                        for item in value
                    ]
                else:
                    out[key] = value
                continue
            category = pii_fields.get(key)
            out[key] = (
                value
                if category is None
                else self.mask_value(value, category, model=resolved.name, field=key, purpose=purpose)
            )
        return out

    def mask_records(
        self, model: str, records: Iterable[Mapping[str, Any]], *, purpose: str = "audit", role: str | None = None
    ) -> list[dict[str, Any]]:
        return [self.mask_record(model, r, purpose=purpose, role=role) for r in records]

    def mask_text(self, text: str, *, purpose: str = "log") -> str:
        """``text`` with the PII the detectors find in it masked (for log lines, error messages, raw SQL args)."""
        if not text:
            return text
        out = text
        for span in reversed(self.find(text)):
            strategy = self.strategy_for(None, None, span.category, purpose)
            if strategy == KEEP:
                continue
            masked = (
                redact(span.category)
                if strategy == NULL
                else self.masker.mask(text[span.start : span.end], span.category, strategy)
            )
            out = out[: span.start] + str(masked) + out[span.end :]
        return out

    def unmask(self, token: str, role: str | None = None) -> str:
        """The value behind a token of the ``token`` strategy, for a role in ``pii.unmask_roles``.

        :param role: the caller's role; default: the ``role``/``roles`` of the current actor.
        :raises PolicyDeniedError: the role may not unmask.
        """
        roles = {role} if role is not None else actor_roles(current_context().actor)
        allowed = set(self.settings.unmask_roles)
        if not roles & allowed:
            who = ", ".join(sorted(roles)) or "no role"
            raise PolicyDeniedError(
                f"Unmasking PII tokens is not allowed for {who} (pii.unmask_roles: {sorted(allowed) or 'none'})",
                policy="pii.unmask",
                rule="unmask_roles",
            )
        value, _category = self.masker.unmask(token)
        return value
