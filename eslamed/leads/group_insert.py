"""Group commit for lead inserts: every request still waits for its own row to be in ClickHouse,
but the requests that arrive while one insert is running share the next one.

ClickHouse writes a new part per INSERT; one part per lead would not keep up under load, and
would leave the merges behind. Here a worker sends at most one insert at a time and each
waiting request learns the outcome of the block that carried its row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent
import gevent.event

from eslamed.core.store import StoreUnavailable

Insert = Callable[[list[dict[str, Any]]], int]
MAX_BLOCK = 1000


class GroupInsert:
    def __init__(self, insert: Insert) -> None:
        self._insert = insert
        self._waiting: list[tuple[dict[str, Any], gevent.event.AsyncResult]] = []
        self._wake = gevent.event.Event()
        self._greenlet: gevent.Greenlet | None = None

    def insert(self, record: dict[str, Any]) -> None:
        """Returns once the row is stored; raises what the insert raised (StoreUnavailable…)."""
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._run)
        result = gevent.event.AsyncResult()
        self._waiting.append((record, result))
        self._wake.set()
        result.get()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._waiting:
                block, self._waiting = self._waiting[:MAX_BLOCK], self._waiting[MAX_BLOCK:]
                try:
                    self._insert([record for record, _ in block])
                except Exception as exc:  # each waiter decides: journal on StoreUnavailable
                    for _, result in block:
                        result.set_exception(exc)
                except BaseException:
                    for _, result in block:
                        result.set_exception(StoreUnavailable("worker stopping during the insert"))
                    raise
                else:
                    for _, result in block:
                        result.set(None)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
