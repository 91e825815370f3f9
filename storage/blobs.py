"""Content-addressed file storage: temp name, fsync, rename — before the database commit."""
from __future__ import annotations

import ctypes
import hashlib
import io
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

CHUNK = 1024 * 1024
# unreferenced files younger than this stay: an upload whose transaction is still open, or the files of a
# refused form, which its signed tokens bring back for up to 12 hours (processes/usecases/staged.py)
SWEEP_GRACE = 24 * 3600
HEAD = 8192  # bytes kept for sniffing the type
WRITEBACK = 8 * CHUNK  # a spool asks the kernel to start writing its bytes to disk every 8 MiB written


def _writeback_starter() -> Callable[[int, int, int], None] | None:
    """Linux `sync_file_range(fd, offset, n, SYNC_FILE_RANGE_WRITE)`: start writing a range of a file to
    the disk and return at once (no wait, no cache eviction), so that a large upload goes to the disk while
    it arrives and the one fsync at the end waits only for the last bytes. None where it does not exist."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):  # pragma: no cover - a libc without it
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    function.restype = ctypes.c_int

    def start(fd: int, offset: int, count: int) -> None:
        function(fd, offset, count, 2)  # SYNC_FILE_RANGE_WRITE; a failure only means no head start

    return start


_start_writeback = _writeback_starter()


class TooLarge(Exception):
    """The stream is longer than the allowed maximum."""


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int
    head: bytes


class Spool(io.IOBase):
    """A temp file in the store's `tmp` dir that hashes what is written to it, as it is written.

    Written sequentially (uploads: Werkzeug's multipart parser writes the file part into it), then
    finished by the first seek/read (or `finish()`); `BlobStore.put()` then adopts it by fsync +
    rename, without reading or copying a byte. Its file is created at the first write, so an empty
    part never touches the disk. Closing a spool that was not adopted deletes its temp file.
    """

    def __init__(self, store: BlobStore):
        self.store = store
        self.path = store.tmp / f"{uuid.uuid4().hex}.part"  # *.part: `sweep` removes what a crash left
        self.size = 0
        self._digest = hashlib.sha256()
        self._head = bytearray()
        self._file: io.BufferedRandom | None = None
        self._finished = False
        self._adopted = False
        self._written_back = 0  # bytes whose writeback to disk was started (WRITEBACK)
        self._sync: threading.Thread | None = None  # start_sync()'s fsync
        self._sync_error: OSError | None = None

    # --- writing: hash, count and keep the head as the bytes pass -----------------------------

    def writable(self) -> bool:
        return not self._finished

    def write(self, data: ReadableBuffer) -> int:
        self._check_open()
        if self._finished:
            raise io.UnsupportedOperation("spool is finished: written once, sequentially")
        view = memoryview(data).cast("B")
        if not view.nbytes:
            return 0
        if len(self._head) < HEAD:
            self._head += view[: HEAD - len(self._head)]
        self._digest.update(view)
        handle = self._ensure_file()
        handle.write(view)
        self.size += view.nbytes
        if _start_writeback is not None and self.size - self._written_back >= WRITEBACK:
            handle.flush()
            _start_writeback(handle.fileno(), self._written_back, self.size - self._written_back)
            self._written_back = self.size
        return view.nbytes

    def finish(self) -> Spool:
        """End writing and rewind; returns self."""
        self.seek(0)
        return self

    def start_sync(self) -> None:
        """Start making the written bytes durable (fsync) in a thread, while the caller does something else
        (checks the file); `BlobStore.put` waits for it when it adopts the spool, `close` before closing."""
        self._check_open()
        self._finished = True
        if self._file is None or self._sync is not None:
            return
        self._file.flush()
        self._sync = threading.Thread(target=self._fsync, args=(self._file.fileno(),), name="spool-fsync",
                                      daemon=True)
        self._sync.start()

    def _fsync(self, fd: int) -> None:
        try:
            os.fsync(fd)
        except OSError as exc:  # reported by the adoption: a second fsync may not report it again
            self._sync_error = exc

    def _wait_sync(self) -> None:
        if self._sync is not None:
            self._sync.join()
            self._sync = None
        if self._sync_error is not None:
            error, self._sync_error = self._sync_error, None
            raise error

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def adopted(self) -> bool:
        return self._adopted

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    # --- reading back (FileStorage.save, a view that reads the upload) -------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._check_open()
        self._finished = True
        if self._file is None:  # nothing written: an empty file, not created on disk
            if (offset, whence) not in ((0, os.SEEK_SET), (0, os.SEEK_CUR), (0, os.SEEK_END)):
                raise ValueError("seek outside an empty spool")
            return 0
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        self._check_open()
        return self._file.tell() if self._file is not None else 0

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        self._finished = True
        return self._file.read(size) if self._file is not None else b""

    def read1(self, size: int = -1) -> bytes:
        self._check_open()
        self._finished = True
        return self._file.read1(size) if self._file is not None else b""

    def readinto(self, buffer: WriteableBuffer) -> int:
        self._check_open()
        self._finished = True
        return self._file.readinto(buffer) if self._file is not None else 0

    def readline(self, size: int | None = -1) -> bytes:
        self._check_open()
        self._finished = True
        return self._file.readline(size) if self._file is not None else b""

    def fileno(self) -> int:
        self._check_open()
        return self._ensure_file().fileno()

    def flush(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.flush()

    @property
    def name(self) -> str:
        return str(self.path)

    # --- end of life ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close; unless adopted by `BlobStore.put`, also delete the temp file."""
        if self.closed:
            return
        try:
            if self._sync is not None:  # its fsync uses the file descriptor
                self._sync.join()
                self._sync = None
            if self._file is not None:
                self._file.close()
            if not self._adopted:
                self.path.unlink(missing_ok=True)
        finally:
            super().close()

    discard = close

    def _ensure_file(self) -> io.BufferedRandom:
        if self._file is None:
            self._file = open(self.path, "x+b")  # noqa: SIM115 - closed by close()
        return self._file

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed spool")


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

    def new_spool(self) -> Spool:
        """A writable temp file in this store that `put` can adopt without copying."""
        return Spool(self)

    def put(self, stream: IO[bytes], max_size: int) -> Blob:
        """Stream to disk while hashing; durable under its final name when this returns.

        A finished, rewound Spool of this store (or a FileStorage around one) is adopted as it is:
        fsync and rename, no byte read or written again. Any other stream is copied from its position.
        """
        spool = _spool_of(stream)
        if (spool is not None and spool.store.tmp == self.tmp and spool.finished and not spool.closed
                and not spool.adopted and spool.tell() == 0):
            return self._adopt(spool, max_size)
        tmp = self.tmp / f"{uuid.uuid4().hex}.part"
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with open(tmp, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge(f"file is larger than {max_size} bytes")
                    if len(head) < HEAD:
                        head += chunk[: HEAD - len(head)]
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

    def _adopt(self, spool: Spool, max_size: int) -> Blob:
        """Make a finished spool durable under its content name; on any error delete it."""
        try:
            if spool.size > max_size:
                raise TooLarge(f"file is larger than {max_size} bytes")
            handle = spool._ensure_file()  # an empty spool gets its (empty) file only now
            handle.flush()
            spool._wait_sync()  # started while the file was checked: this fsync has little left to do
            os.fsync(handle.fileno())
            sha = spool.sha256
            final = self.path(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(spool.path, final)
            spool._adopted = True
            spool.path = final
            _fsync_dir(final.parent)
            handle.seek(0, os.SEEK_END)  # consumed, as a copied stream would be
            return Blob(sha, spool.size, spool.head)
        except BaseException:
            if not spool.adopted:
                spool.close()  # deletes the temp file
            raise

    def put_bytes(self, data: bytes) -> Blob:
        """Store bytes already in memory (issued PDFs)."""
        import io

        return self.put(io.BytesIO(data), max_size=len(data))

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def touch(self, sha256: str) -> None:
        """Mark a stored file as just used (a form still holds it, see processes/usecases/staged.py): the
        sweep's grace period counts from now."""
        try:
            os.utime(self.path(sha256))
        except FileNotFoundError:
            pass

    def sweep(self, referenced: set[str], grace_seconds: float = SWEEP_GRACE) -> Swept:
        """Delete what is older than the grace period and nothing needs: stored files that no row
        references (an upload or render whose transaction never committed), and temporary files in
        `tmp/` (`*.part`: the spool of an upload, or `put`'s copy, that a killed process left). The grace
        period must outlive a refused form's tokens (`SWEEP_GRACE`)."""
        cutoff = time.time() - grace_seconds
        orphans = [path.name for path in self.root.glob("??/??/*")
                   if path.name not in referenced and _unlink_if_older(path, cutoff)]
        temporary = [path.name for path in self.tmp.glob("*.part") if _unlink_if_older(path, cutoff)]
        return Swept(orphans, temporary)


@dataclass(frozen=True)
class Swept:
    """What `BlobStore.sweep` removed: orphan files (their SHA-256 names) and temporary files."""
    orphans: list[str]
    temporary: list[str]


def _unlink_if_older(path: Path, cutoff: float) -> bool:
    """Delete `path` when last modified before `cutoff`; False when younger, or already gone (a
    concurrent sweep, or the upload that owned it finished)."""
    try:
        if path.stat().st_mtime >= cutoff:
            return False
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _spool_of(stream: object) -> Spool | None:
    """The Spool that `stream` is, or that it wraps (a werkzeug FileStorage's `.stream`)."""
    if isinstance(stream, Spool):
        return stream
    inner = getattr(stream, "stream", None)
    return inner if isinstance(inner, Spool) else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
