"""Opus: 48 kHz mono int16, 20 ms frames (960 samples), through libopus's own C API (ctypes).

Speech at 24 kbit/s with in-band forward error correction: a lost frame is rebuilt from the next one's
FEC data when that has arrived, else concealed by Opus's packet-loss concealment (PLC).

The library is the libopus that PyAV's wheels carry (`av.libs/` on Linux and Windows, `av/.dylibs/` on macOS):
a wheel for every platform the client is built for, so the installed client (tools/bundle.py, which copies just
this library beside the program) and a source install get the same codec with nothing from the system. PyAV's
own Python API is not used: FFmpeg's libopus decoder always passes decode_fec=0 and cannot be given an empty
packet, so it can neither rebuild a lost frame from the next one's FEC data nor conceal one (docs/voice.md, Codec).
The few calls needed are bound here directly; without PyAV the system's libopus is used.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import sys
from pathlib import Path

import numpy as np

RATE = 48_000
CHANNELS = 1
FRAME = 960  # samples in one 20 ms frame
FRAME_S = FRAME / RATE
BITRATE = 24_000
# The loss the encoder plans for. At 24 kbit/s libopus sends usable FEC only from about 8 %: below that it codes
# speech in hybrid mode (SILK + CELT, up to 20 kHz) with no redundancy worth the name, and a frame rebuilt from
# the next one's FEC data is no better than a concealed one (~0 dB against ~9 dB; docs/voice.md, Codec).
# At 10 % it codes wideband SILK (speech up to 8 kHz) and every packet carries the previous frame again.
EXPECTED_LOSS = 10
MAX_PACKET = 1275  # the largest Opus packet for one frame (RFC 6716)

# from opus_defines.h (part of Opus's stable API)
_APPLICATION_VOIP = 2048
_SET_BITRATE = 4002
_SET_INBAND_FEC = 4012
_GET_INBAND_FEC = 4013
_SET_PACKET_LOSS_PERC = 4014
_RESET_STATE = 4028

# the library's file name in the installed program, per sys.platform (tools/bundle.py WHEEL_LIBRARIES puts it there:
# beside the program; in a macOS app, in Contents/Frameworks)
BUNDLED_NAMES = {"linux": "libopus.so.0", "win32": "libopus-0.dll", "darwin": "libopus.0.dylib"}
BUNDLED_NAME = BUNDLED_NAMES.get(sys.platform, BUNDLED_NAMES["linux"])


class OpusMissing(ImportError):
    """No libopus could be loaded: the client runs without voice (client/ui/voice.py says so)."""


def _candidates() -> list[str]:
    """Where libopus may be, best first: in PyAV's wheel, then the system's; the installed client's own copy."""
    found: list[str] = []
    if getattr(sys, "frozen", False):
        # the installed client: its own copy only, so that a bundle without it fails its check (tools/bundle.py)
        # instead of working on the build machine alone
        program = Path(sys.executable).resolve().parent
        app_libraries = program.parent / "Frameworks"  # i18n: not shown (a macOS app's folder)
        return [str(program / BUNDLED_NAME), str(app_libraries / BUNDLED_NAME)]
    spec = importlib.util.find_spec("av")  # found, not imported: importing av loads all of FFmpeg
    if spec is not None and spec.origin:
        package = Path(spec.origin).parent
        for folder, pattern in (
            (package.parent / "av.libs", "libopus*"),  # Linux (auditwheel), Windows (delvewheel)
            (package / ".dylibs", "libopus*.dylib"),  # macOS (delocate)
        ):
            if folder.is_dir():
                found += sorted(str(p) for p in folder.glob(pattern))
    system = ctypes.util.find_library("opus")
    if system:
        found.append(system)
    return found


def load_library() -> tuple[ctypes.CDLL, str]:
    """libopus, and where it came from. Raises OpusMissing (with what was tried) when there is none."""
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            lib.opus_get_version_string  # noqa: B018  (a library of that name that is not libopus: next)
        except (OSError, AttributeError) as e:
            tried.append(f"{path}: {e}")
            continue
        return lib, path
    raise OpusMissing(
        "no Opus library: install the client's packages (PyAV carries libopus), or the system's libopus"
        + (f" (tried {'; '.join(tried)})" if tried else "")
    )


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    c_int, c_int32, c_void_p, c_char_p = ctypes.c_int, ctypes.c_int32, ctypes.c_void_p, ctypes.c_char_p
    pcm_p = ctypes.POINTER(ctypes.c_int16)
    lib.opus_get_version_string.restype = c_char_p
    lib.opus_strerror.argtypes, lib.opus_strerror.restype = [c_int], c_char_p
    lib.opus_encoder_create.argtypes = [c_int32, c_int, c_int, ctypes.POINTER(c_int)]
    lib.opus_encoder_create.restype = c_void_p
    lib.opus_encoder_destroy.argtypes, lib.opus_encoder_destroy.restype = [c_void_p], None
    lib.opus_encode.argtypes = [c_void_p, pcm_p, c_int, ctypes.c_char_p, c_int32]
    lib.opus_encode.restype = c_int32
    lib.opus_decoder_create.argtypes = [c_int32, c_int, ctypes.POINTER(c_int)]
    lib.opus_decoder_create.restype = c_void_p
    lib.opus_decoder_destroy.argtypes, lib.opus_decoder_destroy.restype = [c_void_p], None
    lib.opus_decode.argtypes = [c_void_p, ctypes.c_char_p, c_int32, pcm_p, c_int, c_int]
    lib.opus_decode.restype = c_int
    # the ctls are variadic: only the fixed arguments are declared, so that ctypes passes the value as a variadic
    # one (on Apple silicon variadic arguments travel on the stack, not in registers)
    for ctl in (lib.opus_encoder_ctl, lib.opus_decoder_ctl):
        ctl.argtypes, ctl.restype = [c_void_p, c_int], c_int
    return lib


_lib, LIBRARY = load_library()
_bind(_lib)
VERSION = _lib.opus_get_version_string().decode()


class OpusError(RuntimeError):
    pass


def _check(code: int, what: str) -> int:
    if code < 0:
        raise OpusError(f"{what}: {_lib.opus_strerror(code).decode()}")
    return code


def as_frame(pcm: np.ndarray) -> np.ndarray:
    """One frame of int16 mono: shorter input is padded with silence, longer cut."""
    pcm = np.asarray(pcm)
    if pcm.dtype != np.int16:
        pcm = np.clip(np.rint(pcm), -32768, 32767).astype(np.int16)
    if len(pcm) == FRAME:
        return pcm
    out = np.zeros(FRAME, np.int16)
    n = min(FRAME, len(pcm))
    out[:n] = pcm[:n]
    return out


class Encoder:
    def __init__(self, bitrate: int = BITRATE, expected_loss: int = EXPECTED_LOSS):
        err = ctypes.c_int(0)
        self._state = _lib.opus_encoder_create(RATE, CHANNELS, _APPLICATION_VOIP, ctypes.byref(err))
        _check(err.value, "opus_encoder_create")
        self._free = _lib.opus_encoder_destroy  # kept: at interpreter exit the module's globals may be gone
        self._ctl(_SET_BITRATE, bitrate)
        self._ctl(_SET_INBAND_FEC, 1)
        self._ctl(_SET_PACKET_LOSS_PERC, expected_loss)  # FEC is only sent when the encoder expects some loss
        self._out = ctypes.create_string_buffer(MAX_PACKET)

    def _ctl(self, request: int, value: int) -> None:
        _check(_lib.opus_encoder_ctl(self._state, request, ctypes.c_int32(value)), f"opus_encoder_ctl({request})")

    @property
    def inband_fec(self) -> bool:
        value = ctypes.c_int32(0)
        _check(_lib.opus_encoder_ctl(self._state, _GET_INBAND_FEC, ctypes.byref(value)), "opus_encoder_ctl")
        return value.value != 0

    def encode(self, pcm: np.ndarray) -> bytes:
        frame = np.ascontiguousarray(as_frame(pcm))
        n = _check(
            _lib.opus_encode(
                self._state, frame.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)), FRAME, self._out, MAX_PACKET
            ),
            "opus_encode",
        )
        return self._out.raw[:n]

    def __del__(self) -> None:
        if getattr(self, "_state", None):
            self._free(self._state)
            self._state = None


class Decoder:
    def __init__(self) -> None:
        err = ctypes.c_int(0)
        self._state = _lib.opus_decoder_create(RATE, CHANNELS, ctypes.byref(err))
        _check(err.value, "opus_decoder_create")
        self._free = _lib.opus_decoder_destroy

    def _decode(self, data: bytes | None, fec: bool) -> np.ndarray:
        out = np.zeros(FRAME, np.int16)
        n = _check(
            _lib.opus_decode(
                self._state,
                data,
                len(data) if data else 0,
                out.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)),
                FRAME,
                int(fec),
            ),
            "opus_decode",
        )
        return as_frame(out[:n])

    def decode(self, data: bytes) -> np.ndarray:
        return self._decode(data, False)

    def decode_fec(self, next_data: bytes) -> np.ndarray:
        """The frame before `next_data`, rebuilt from the FEC data `next_data` carries (PLC if it has none)."""
        return self._decode(next_data, True)

    def conceal(self) -> np.ndarray:
        """A frame of packet-loss concealment: Opus continues the last sound and fades it out."""
        return self._decode(None, False)

    def reset(self) -> None:
        _check(_lib.opus_decoder_ctl(self._state, _RESET_STATE), "opus_decoder_ctl(reset)")

    def __del__(self) -> None:
        if getattr(self, "_state", None):
            self._free(self._state)
            self._state = None
