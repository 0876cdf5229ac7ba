"""The installed client's entry point (tools/bundle.py freezes this file as `peerspace-client`)."""

import sys

from client.app import main

sys.exit(main())
