"""Data access: repositories, the query builder, transactions and batches, bulk writes,
streaming and relation loading, search and pagination — written against the
`prisma_infra.kernel.Executor` port, so any kernel (the facade, a test double) can run it.

Features reach data with the functions below instead of the facade:
``await repository(kernel, "User").find_many(take=5)``, ``async with transaction(kernel) as tx``.
"""
