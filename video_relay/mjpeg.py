"""MJPEG over HTTP (``multipart/x-mixed-replace``): a sans-I/O parser and its encoder.

The parser takes the body in chunks of any size and returns whole parts; its buffer is
bounded by ``max_part_bytes`` whatever the stream sends, so a broken or hostile camera
cannot make the relay grow.
"""

from __future__ import annotations

from enum import Enum

from video_relay.errors import MjpegError

__all__ = ["MjpegParser", "boundary_from_content_type", "encode_part"]


def boundary_from_content_type(content_type: str) -> str:
    """The multipart boundary named in a Content-Type header, or raise :class:`MjpegError`."""
    kind, _, params = content_type.partition(";")
    if not kind.strip().lower().startswith("multipart/"):
        raise MjpegError(f"not a multipart stream: {content_type!r}")
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "boundary":
            boundary = value.strip().strip('"')
            if boundary:
                return boundary
    raise MjpegError(f"multipart stream without a boundary: {content_type!r}")


def encode_part(frame: bytes, boundary: str, *, with_length: bool = True) -> bytes:
    """One part of an MJPEG stream carrying ``frame``, as a camera would send it."""
    headers = "Content-Type: image/jpeg\r\n"
    if with_length:
        headers += f"Content-Length: {len(frame)}\r\n"
    return f"--{boundary}\r\n{headers}\r\n".encode("ascii") + frame + b"\r\n"


class _State(Enum):
    SEEK = 1
    HEADERS = 2
    BODY = 3


class MjpegParser:
    """Splits an MJPEG body into frames; feed it bytes as they arrive."""

    def __init__(self, boundary: str, max_part_bytes: int) -> None:
        # Some cameras declare "--x" and also write "--x" as the delimiter; searching for
        # the declared token when it already starts with "--" matches both spellings.
        token = boundary if boundary.startswith("--") else f"--{boundary}"
        self._delimiter = token.encode("latin-1")
        self._max_part_bytes = max_part_bytes
        self._buffer = bytearray()
        self._state = _State.SEEK
        self._length: int | None = None

    @property
    def buffered_bytes(self) -> int:
        """Bytes held while waiting for the rest of a part."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> list[bytes]:
        """Take the next bytes of the body; return the frames they complete, in order."""
        self._buffer += chunk
        frames: list[bytes] = []
        while self._step(frames):
            pass
        if len(self._buffer) > self._max_part_bytes + 4096:
            raise MjpegError(f"MJPEG part exceeds {self._max_part_bytes} bytes")
        return frames

    def _step(self, frames: list[bytes]) -> bool:
        buf = self._buffer
        if self._state is _State.SEEK:
            at = buf.find(self._delimiter)
            if at < 0:
                keep = len(self._delimiter) - 1
                del buf[: max(0, len(buf) - keep)]
                return False
            line_end = buf.find(b"\n", at)
            if line_end < 0:
                del buf[:at]
                return False
            del buf[: line_end + 1]
            self._state = _State.HEADERS
            return True
        if self._state is _State.HEADERS:
            if buf[:2] == b"\r\n" or buf[:1] == b"\n":  # a part without headers
                del buf[: 2 if buf[:1] == b"\r" else 1]
                self._length = None
                self._state = _State.BODY
                return True
            end = buf.find(b"\r\n\r\n")
            sep = 4
            if end < 0:
                end, sep = buf.find(b"\n\n"), 2
            if end < 0:
                return False
            self._length = _content_length(bytes(buf[:end]))
            if self._length is not None and self._length > self._max_part_bytes:
                raise MjpegError(f"MJPEG part of {self._length} bytes is too large")
            del buf[: end + sep]
            self._state = _State.BODY
            return True
        if self._length is not None:
            if len(buf) < self._length:
                return False
            frames.append(bytes(buf[: self._length]))
            del buf[: self._length]
        else:
            at = buf.find(self._delimiter)
            if at < 0:
                return False
            frames.append(bytes(buf[:at]).rstrip(b"\r\n"))
            del buf[:at]
        self._state = _State.SEEK
        return True


def _content_length(headers: bytes) -> int | None:
    for line in headers.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            try:
                length = int(value.strip())
            except ValueError as exc:
                raise MjpegError(f"bad Content-Length {value.strip()!r}") from exc
            if length < 0:
                raise MjpegError("negative Content-Length")
            return length
    return None
