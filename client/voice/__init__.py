"""Voice for the client: capture, Opus, the jitter buffer and the link to the server (headless, no Panda3D).

`VoiceLink` (link.py) is the one object a client holds: it reads its `AudioSource`, encodes 20 ms Opus frames
while you are heard (push-to-talk or voice activity) and hands them to `emit`; it takes the server's frames
(`on_voice`), orders and conceals them per speaker (jitter.py), mixes them and writes to its `AudioSink`.
Devices (devices.py): PortAudio through sounddevice, or WAV files for tests and machines without sound.
"""

from .codec import CHANNELS, FRAME, FRAME_S, RATE, Decoder, Encoder
from .devices import AudioSink, AudioSource, FileSink, FileSource, SoundDevice, list_devices
from .jitter import JitterBuffer
from .link import VoiceLink, microphone_test

__all__ = [
    "CHANNELS",
    "FRAME",
    "FRAME_S",
    "RATE",
    "AudioSink",
    "AudioSource",
    "Decoder",
    "Encoder",
    "FileSink",
    "FileSource",
    "JitterBuffer",
    "SoundDevice",
    "VoiceLink",
    "list_devices",
    "microphone_test",
]
