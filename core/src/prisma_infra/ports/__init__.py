"""Declared interfaces between features, each published under a `prisma_infra.stash.ServiceKey`.

A feature that offers one publishes it in ``runtime.services`` when its middleware
starts; a feature that uses one reads ``kernel.services`` and never imports the
feature behind it. One module per interface:

* `prisma_infra.ports.masking` — PII masking (pii → audit, policies, monitoring, compliance);
* `prisma_infra.ports.row_filters` — what the caller may read (policies → analytics, search, cache, audit);
* `prisma_infra.ports.dashboard` — sources of the live dashboard's panels;
* `prisma_infra.ports.transactions` — transaction observers and batch guards.

The actor as every feature reads it is `prisma_infra.actor`.
"""
