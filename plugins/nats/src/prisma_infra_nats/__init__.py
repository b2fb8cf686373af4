"""prisma-infra-nats: the ``nats`` audit sink (NATS JetStream)."""

from prisma_infra_nats.sink import NatsSink

__all__ = ["NatsSink"]
