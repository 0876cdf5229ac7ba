"""Fire-and-forget tasks, kept referenced until they finish.

The event loop holds only weak references to tasks, so a task nobody keeps can be collected before it
runs to the end. Each owner (the gateway, a room's controller host, the world, a scale-out node) keeps
its own `Background`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def __len__(self) -> int:
        return len(self._tasks)
