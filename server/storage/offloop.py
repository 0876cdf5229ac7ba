"""Store calls off the event loop: `await store.aio.method(...)` runs the method on the store's own thread."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .connection import SQLiteConnection

T = TypeVar("T")

log = logging.getLogger("peerspace.storage")

# A write that fails for one of these may succeed later (a lock released, a disk remounted writable);
# anything else (a constraint, e.g. the person was deleted meanwhile) will not, and is not retried.
RETRYABLE = (sqlite3.OperationalError,)
PERSIST_BACKOFF = (0.05, 5.0)  # first and longest wait between tries of a write that must not be lost


class OffLoop:
    """`await store.aio.method(...)`: the same store method, run on the store's own thread.

    The event loop must never wait on the disk or on a lock held by another process; every store
    call made from async code goes through here. One thread keeps calls in the order they were made.
    """

    def __init__(self, store: SQLiteConnection):
        self._store = store
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="peerspace-store")
        self._persisting: set[asyncio.Task[Any]] = set()

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        fn = getattr(self._store, name)
        if not callable(fn):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

        setattr(self, name, call)
        return call

    async def apply(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run any function that uses the store (a query helper, a whole read) on the store thread. It runs in
        a copy of the caller's context, as with asyncio.to_thread: a page built there (a dashboard read that
        also labels its plots) sees the request's context variables, e.g. the staff member's language."""
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A write's first try, on the store thread. While the store is known to be failing it does not wait
        for the lock, so a locked database costs the store thread (and every read queued on it) one busy
        timeout, not one per write."""
        if self._store.write_fault:
            return await self.apply(self._store.without_waiting, fn, *args, **kwargs)
        return await self.apply(fn, *args, **kwargs)

    @property
    def pending(self) -> int:
        """Writes waiting for the store to accept them again (a gauge on /metrics)."""
        return len(self._persisting)

    def persist(
        self,
        what: str,
        fn: str | Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], object] | None = None,
        tried: bool = False,
        **kwargs: Any,
    ) -> asyncio.Task[Any]:
        """Write that must not be lost: try now, and on a lock or read-only fault retry in the background
        with bounded backoff until it succeeds. `fn` is a store method name or a function run on the store
        thread. Returns the task (its result is fn's result); `on_done` gets that result. `tried`: the
        caller's own first try just failed, so start by waiting. `what` names the record in logs (ids and
        kinds, never content)."""
        task = asyncio.get_running_loop().create_task(self._persist(what, fn, args, kwargs, on_done, tried))
        self._persisting.add(task)
        task.add_done_callback(self._persisting.discard)
        return task

    async def _persist(
        self,
        what: str,
        fn: str | Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        on_done: Callable[[Any], object] | None,
        tried: bool,
    ) -> Any:
        call: Callable[..., Any] = getattr(self._store, fn) if isinstance(fn, str) else fn
        delay, longest = PERSIST_BACKOFF
        tries = int(tried)
        if tried:
            await asyncio.sleep(delay)
        while True:
            tries += 1
            try:
                if tries == 1:
                    result = await self.write(call, *args, **kwargs)
                else:
                    result = await self.apply(self._store.without_waiting, call, *args, **kwargs)
            except RETRYABLE as e:
                if tries == 1 or (tried and tries == 2):
                    log.warning("store cannot write %s now (%s); retrying in the background", what, e)
                await asyncio.sleep(delay)
                delay = min(longest, delay * 2)
                continue
            except Exception:
                log.exception("store refused %s; not retried", what)
                raise
            if tries > 1:
                log.warning("store wrote %s after %d tries", what, tries)
            if on_done is not None:
                on_done(result)
            return result

    async def drain(self, timeout: float) -> None:
        """At shutdown: give pending writes `timeout` seconds, then give up on them (and say so)."""
        if not self._persisting:
            return
        pending = list(self._persisting)
        _, left = await asyncio.wait(pending, timeout=timeout)
        for task in left:
            task.cancel()
        if left:
            log.error("shutting down with %d writes the store never accepted", len(left))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
