"""The installed client's entry point (tools/bundle.py freezes this file as `peerspace-client`)."""

import os
import sys

# zoneinfo (imported by babel.dates, which writes dates in the reader's language) asks sysconfig for its search
# path, and the frozen runtime has no sysconfig data: say where time zone files are, as CPython's default does
os.environ.setdefault(
    "PYTHONTZPATH", "" if sys.platform == "win32" else "/usr/share/zoneinfo:/usr/lib/zoneinfo:/etc/zoneinfo"
)


def _portaudio_from_the_bundle() -> None:
    """sounddevice loads PortAudio from `_sounddevice_data.__path__[0]/portaudio-binaries` on Windows and macOS,
    where its wheel carries the library; tools/bundle.py copies it into _sounddevice_data/ beside the program (macOS:
    in the app's Frameworks). A frozen package's __path__ does not name a real folder, so name that one."""
    import types
    from pathlib import Path

    program = Path(sys.executable).resolve().parent
    for folder in (program / "_sounddevice_data", program.parent / "Frameworks" / "_sounddevice_data"):
        if (folder / "portaudio-binaries").is_dir():
            module = types.ModuleType("_sounddevice_data")
            module.__path__ = [str(folder)]
            sys.modules["_sounddevice_data"] = module
            return


_portaudio_from_the_bundle()

from client.app import main  # noqa: E402  (after the environment above)

sys.exit(main())
