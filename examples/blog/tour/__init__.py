"""The tour's sections beyond the data layer: caching, analytics, audit, PII, policies, monitoring.

Each module has ``settings(output) -> dict`` (what it adds to the blog's settings for the tour;
``output`` is the run's folder for files) and ``async def show(infra, console, output) -> dict``
(prints its titled section with real results and returns the facts it showed, which
``demo.py --facts FILE`` writes as JSON for the tests).
"""
