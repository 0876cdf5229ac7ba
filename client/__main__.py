"""`python -m client` / `peerspace-client`: start the desktop client."""

import sys

from .app import main

if __name__ == "__main__":
    sys.exit(main())
