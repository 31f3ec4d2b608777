"""Core: configuration, storage, SQL, schema, clock, locks, durable files, metrics, phones.

Depends on nothing else in eslamed; every other layer builds on it.
"""
