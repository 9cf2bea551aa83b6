"""Framing of proto/worker.proto on a stream socket (see src/ipc/framing.h).

Every message is a 4-byte little-endian length followed by that many bytes
of a serialized Envelope.
"""

import os
import struct

from hearth_worker import worker_pb2

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 1 << 30


class ChannelClosed(Exception):
    """The server closed its end: the worker exits quietly."""


class Channel:
    """Blocking reads and writes of Envelopes on one file descriptor."""

    def __init__(self, fd):
        self._fd = fd

    def _read_exactly(self, count):
        chunks = []
        while count > 0:
            chunk = os.read(self._fd, min(count, 1 << 20))
            if not chunk:
                raise ChannelClosed()
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def read(self):
        (length,) = struct.unpack("<I", self._read_exactly(4))
        if length > MAX_FRAME_BYTES:
            raise ValueError(f"frame of {length} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")
        envelope = worker_pb2.Envelope()
        envelope.ParseFromString(self._read_exactly(length))
        return envelope

    def write(self, envelope):
        payload = envelope.SerializeToString()
        data = memoryview(struct.pack("<I", len(payload)) + payload)
        while data:
            written = os.write(self._fd, data)
            data = data[written:]
