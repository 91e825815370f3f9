"""Content-addressed file storage: temp name, fsync, rename — before the database commit."""
from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The stream is longer than the allowed maximum."""


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int
    head: bytes


class BlobStore:
    """Files named by their SHA-256 under `root`; identical content is stored once."""

    def __init__(self, root: Path):
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, stream: BinaryIO, max_size: int) -> Blob:
        """Stream to disk while hashing; durable under its final name when this returns."""
        tmp = self.tmp / f"{uuid.uuid4().hex}.part"
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with open(tmp, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge(f"file is larger than {max_size} bytes")
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            return Blob(sha, size, head)
        finally:
            tmp.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> Blob:
        """Store bytes already in memory (issued PDFs)."""
        import io

        return self.put(io.BytesIO(data), max_size=len(data))

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def sweep(self, referenced: set[str], grace_seconds: float = 3600) -> list[str]:
        """Delete files that no row references and that are older than the grace period."""
        removed, cutoff = [], time.time() - grace_seconds
        for path in self.root.glob("??/??/*"):
            if path.name not in referenced and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path.name)
        for path in self.tmp.glob("*.part"):
            if path.stat().st_mtime < cutoff:
                path.unlink()
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
