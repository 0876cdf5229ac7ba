"""Client handler errors fail the tests: a handler of a server event that raises is a client bug.

client/net.py logs such an exception at WARNING, with its traceback, on the logger named here.
`watch()` collects those records for one test; `check()` fails the test with them.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest

HANDLER_LOGGER = "peerspace.client.handlers"  # client.net.HANDLER_LOG (no Panda3D import here)


class HandlerErrors(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def check(self) -> None:
        if self.records:
            text = "\n".join(self.format(r) for r in self.records)
            self.records.clear()
            pytest.fail(f"a client handler raised:\n{text}", pytrace=False)


@contextmanager
def watch():
    logger = logging.getLogger(HANDLER_LOGGER)
    errors = HandlerErrors()
    logger.addHandler(errors)
    try:
        yield errors
    finally:
        logger.removeHandler(errors)
