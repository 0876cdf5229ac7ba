"""`python -m server.courses lint|schema` (the same as `peerspace course ...`)."""

import sys

from .cli import main

sys.exit(main())
