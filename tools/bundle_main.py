"""The installed client's entry point (tools/bundle.py freezes this file as `peerspace-client`)."""

import os
import sys

# zoneinfo (imported by babel.dates, which writes dates in the reader's language) asks sysconfig for its search
# path, and the frozen runtime has no sysconfig data: say where time zone files are, as CPython's default does
os.environ.setdefault(
    "PYTHONTZPATH", "" if sys.platform == "win32" else "/usr/share/zoneinfo:/usr/lib/zoneinfo:/etc/zoneinfo"
)

from client.app import main  # noqa: E402  (after the environment above)

sys.exit(main())
