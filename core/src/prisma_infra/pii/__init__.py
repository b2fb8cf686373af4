"""PII: detection, classification, the inventory report and masking.

Detectors are plugins (``register_pii_detectors``); the built-in ones come from
the ``pii`` built-in plugin. ``infra.pii`` is the `PiiManager` of a running
infrastructure; build one directly for a schema with ``PiiManager(schema, config)``.
`mask_text` and `mask_args` mask log lines, error messages and monitored arguments.
"""

from prisma_infra.pii.categories import CATEGORIES, DEFAULT_STRATEGIES
from prisma_infra.pii.classify import Classification, classify_field
from prisma_infra.pii.detectors import Span, ValueDetector, builtin_detectors
from prisma_infra.pii.inventory import InventoryEntry, PiiInventory
from prisma_infra.pii.manager import PiiManager
from prisma_infra.pii.masking import STRATEGIES, Masker
from prisma_infra.pii.partial import partial_mask
from prisma_infra.pii.sampling import sample
from prisma_infra.pii.text import default_manager, known_values, mask_args, mask_text
from prisma_infra.pii.tokens import TokenCipher, is_token

__all__ = [
    "CATEGORIES",
    "DEFAULT_STRATEGIES",
    "STRATEGIES",
    "Classification",
    "InventoryEntry",
    "Masker",
    "PiiInventory",
    "PiiManager",
    "Span",
    "TokenCipher",
    "ValueDetector",
    "builtin_detectors",
    "classify_field",
    "default_manager",
    "is_token",
    "known_values",
    "mask_args",
    "mask_text",
    "partial_mask",
    "sample",
]
