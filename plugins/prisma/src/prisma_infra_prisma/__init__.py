"""The Prisma 7 data engine for prisma-infra."""
