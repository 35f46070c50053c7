"""Cross-cutting plumbing: settings, database engine, security primitives.

Nothing here imports Reflex, so the domain layer and the tests can use it directly.
"""
