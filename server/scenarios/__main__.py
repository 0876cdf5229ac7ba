"""`python -m server.scenarios lint|schema|play ...` (the same as `peerspace scenario ...`)."""

import sys

from .cli import main

sys.exit(main())
