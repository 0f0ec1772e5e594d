"""Intake: a call folder → its dossiers; a dossier (folder or zip) → its attachments, hashed.

A dossier zip is untrusted: member names are checked (no absolute path, no ``..``), and the
number of members, total uncompressed size and compression ratio are bounded before a
single byte is written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from core import file_problems as problems
from core.file_problems import Reason
from core.limits import ZipLimits
from core.models import Attachment

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
IGNORED_DIRS = {"__MACOSX", ".git"}


@dataclass
class IntakeProblem:
    """A file of the dossier refused before extraction (an archive, a member, a link)."""

    file: str
    reason: Reason


@dataclass
class DossierInput:
    numero: str
    source: Path
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[IntakeProblem] = field(default_factory=list)

    @property
    def unread(self) -> IntakeProblem | None:
        """The problem that kept the whole dossier from being read (a folder or zip this
        process may not read, a link it does not follow), or None."""
        return next((p for p in self.problems if p.file == self.source.name and p.reason.code in _WHOLE), None)


_WHOLE = {problems.DOSSIER_NOT_READABLE.code, problems.LINKED_ENTRY.code}


def discover_dossiers(call_dir: Path) -> list[Path]:
    """Dossier folders and ``.zip`` files directly under the call folder, sorted by name.

    When a folder and a zip share a dossier number, the folder (an unpacked, possibly newer
    drop) and the zip are both returned; the caller reports the duplicate.
    A symbolic link in the call folder is returned as it is, never followed: its dossier's
    report says the link was not followed (``open_dossier``).
    """
    entries = []
    for entry in sorted(call_dir.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_NAMES or entry.name in IGNORED_DIRS:
            continue
        if entry.is_symlink():
            if entry.is_dir() or entry.suffix.lower() == ".zip":
                entries.append(entry)
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            entries.append(entry)
    return entries


def dossier_number(path: Path) -> str:
    return path.name[:-4] if path.suffix.lower() == ".zip" else path.name


def sha256_file(path: Path) -> str:
    """The content hash of a regular file (a link is not followed: ``O_NOFOLLOW``; a FIFO
    does not block: ``O_NONBLOCK``)."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def open_dossier(path: Path, zip_limits: ZipLimits | None = None) -> Iterator[DossierInput]:
    """Yield the dossier's attachments; zips (the dossier itself, and archives inside it, one
    level deep) are unpacked into a temporary folder that is removed on exit."""
    limits = zip_limits or ZipLimits()
    dossier = DossierInput(dossier_number(path), path)
    tmp = Path(tempfile.mkdtemp(prefix="esmsnum-"))
    try:
        if path.is_symlink():
            dossier.problems.append(IntakeProblem(path.name, problems.LINKED_ENTRY.reason()))
        elif path.is_dir():
            _collect(path, dossier, whole=path.name)
        elif (error := _unreadable(path)) is not None:
            dossier.problems.append(IntakeProblem(path.name, problems.DOSSIER_NOT_READABLE.reason(error=error)))
        else:
            _safe_unzip(path, tmp / "dossier", dossier, limits)
            _collect(tmp / "dossier", dossier)
        _expand_nested(dossier, tmp / "nested", limits)
        yield dossier
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _member_label(archive: str, problem_file: str) -> str:
    """Where a problem met inside an attached archive is: ``archive/member``, or the archive
    itself when the problem is about the whole of it (no member named)."""
    if ":" not in problem_file:
        return archive
    return f"{archive}/{problem_file.split(':', 1)[1]}"


def _over(size: int, limit: int) -> str:
    """A size in Mo beyond ``limit``, never shown equal to it once rounded."""
    shown, cap = f"{size / 1e6:.0f}", f"{limit / 1e6:.0f}"
    return f"plus de {cap}" if shown == cap else shown


def _is_plain_zip(path: Path) -> bool:
    """A zip archive that is not an Office or OpenDocument file."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False
    office = ("[Content_Types].xml", "mimetype")
    return not any(n in office for n in names)


def _expand_nested(dossier: DossierInput, dest: Path, limits: ZipLimits) -> None:
    """Archives inside the dossier are unpacked once (files listed as ``archive.zip/…``);
    an archive inside those is reported, not opened: nesting is bounded."""
    for index, attachment in enumerate(list(dossier.attachments)):
        if not _is_plain_zip(Path(attachment.data_path)):
            continue
        dossier.attachments.remove(attachment)
        inner = DossierInput(dossier.numero, Path(attachment.data_path))
        target = dest / str(index)
        _safe_unzip(Path(attachment.data_path), target, inner, limits)
        if target.is_dir():
            _collect(target, inner)
        for problem in inner.problems:
            dossier.problems.append(IntakeProblem(_member_label(attachment.path, problem.file), problem.reason))
        for member in inner.attachments:
            nested_path = f"{attachment.path}/{member.path}"
            if _is_plain_zip(Path(member.data_path)):
                dossier.problems.append(IntakeProblem(nested_path, problems.NESTED_ARCHIVE.reason()))
                continue
            member.path = nested_path
            dossier.attachments.append(member)


def _unreadable(path: Path) -> str | None:
    """Why this process may not open ``path`` for reading (in French), or None."""
    try:
        with open(path, "rb"):
            return None
    except OSError as exc:
        return problems.access_error(exc)


def _collect(root: Path, dossier: DossierInput, whole: str | None = None) -> None:
    """The regular files under ``root``, hashed; links are reported and never followed; a
    folder or file this process may not read is reported (``whole``: the name the dossier
    goes by, when ``root`` itself is the dossier: it then names the whole dossier)."""
    errors: list[OSError] = []
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append):
        base = Path(folder)
        rel_folder = base.relative_to(root)
        for name in list(dirs):
            if name in IGNORED_DIRS or name.startswith("."):
                dirs.remove(name)
            elif (base / name).is_symlink():
                dirs.remove(name)
                files.append(name)  # reported below, as a link
        found += [((rel_folder / name).as_posix(), base / name) for name in files]
    for error in errors:
        target = Path(error.filename or root)
        rel = target.relative_to(root).as_posix() if target != root else ""
        reason = problems.DOSSIER_NOT_READABLE.reason(error=problems.access_error(error))
        dossier.problems.append(IntakeProblem(rel or whole or root.name, reason))
    for rel, file in sorted(found):
        if file.is_symlink():
            dossier.problems.append(IntakeProblem(rel, problems.LINKED_FILE.reason()))
            continue
        if file.name in IGNORED_NAMES or file.name.startswith("~$"):
            continue
        try:
            info = file.lstat()
            if not stat.S_ISREG(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, "not a regular file", str(file))
            digest = sha256_file(file)
        except IsADirectoryError:
            reason = problems.FILE_NOT_READABLE.reason(error="fichier spécial (tube, périphérique), non lu")
            dossier.problems.append(IntakeProblem(rel, reason))
            continue
        except OSError as exc:
            dossier.problems.append(
                IntakeProblem(rel, problems.FILE_NOT_READABLE.reason(error=problems.access_error(exc)))
            )
            continue
        dossier.attachments.append(Attachment(rel, digest, info.st_size, str(file)))


#: The longest name of one path part most file systems accept (ext4, NTFS: 255 bytes).
MAX_NAME_BYTES = 255


def _unsafe_member(name: str) -> Reason | None:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return problems.UNSAFE_PATH.reason(kind="absolu")
    if ".." in pure.parts:
        return problems.UNSAFE_PATH.reason(kind="remontant (« .. »)")
    longest = max((len(part.encode("utf-8", "surrogateescape")) for part in pure.parts), default=0)
    if longest > MAX_NAME_BYTES:
        return problems.ARCHIVE_NAME_TOO_LONG.reason(length=longest, limit=MAX_NAME_BYTES)
    return None


def _safe_unzip(path: Path, dest: Path, dossier: DossierInput, limits: ZipLimits) -> None:
    label = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        dossier.problems.append(IntakeProblem(label, problems.ARCHIVE_UNREADABLE.reason(error=type(exc).__name__)))
        return
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > limits.max_members:
            dossier.problems.append(
                IntakeProblem(
                    label, problems.ARCHIVE_TOO_MANY_FILES.reason(count=len(members), limit=limits.max_members)
                )
            )
            return
        total = sum(m.file_size for m in members)
        if total > limits.max_total_bytes:
            dossier.problems.append(
                IntakeProblem(
                    label,
                    problems.ARCHIVE_TOO_LARGE.reason(
                        size_mb=_over(total, limits.max_total_bytes), limit_mb=f"{limits.max_total_bytes / 1e6:.0f}"
                    ),
                )
            )
            return
        written = 0
        for member in members:
            reason = _unsafe_member(member.filename)
            if reason is None and member.compress_size and member.file_size / member.compress_size > limits.max_ratio:
                reason = problems.ZIP_BOMB.reason(ratio=f"{member.file_size / member.compress_size:.0f}")
            if reason is None and (member.external_attr >> 16) & 0o170000 == 0o120000:
                reason = problems.SYMLINK.reason(outcome="refusé dans l'archive")
            if reason:
                dossier.problems.append(IntakeProblem(f"{label}:{member.filename}", reason))
                continue
            target = dest / PurePosixPath(member.filename.replace("\\", "/"))
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, open(target, "wb") as out:
                    # Copy in bounded chunks: the header's declared size may lie.
                    remaining = limits.max_total_bytes - written
                    while chunk := src.read(1 << 20):
                        remaining -= len(chunk)
                        if remaining < 0:
                            raise _TooBig()
                        out.write(chunk)
                written += target.stat().st_size
            except _TooBig:
                target.unlink(missing_ok=True)
                dossier.problems.append(
                    IntakeProblem(
                        label,
                        problems.ARCHIVE_TOO_LARGE.reason(
                            size_mb=f"plus de {limits.max_total_bytes / 1e6:.0f}",
                            limit_mb=f"{limits.max_total_bytes / 1e6:.0f}",
                        ),
                    )
                )
                return
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                # a file and a folder of the same name: the member is left out, what was
                # already written stays
                dossier.problems.append(
                    IntakeProblem(f"{label}:{member.filename}", problems.ARCHIVE_NAME_CLASH.reason())
                )
            except OSError as exc:
                if target.is_file():
                    target.unlink(missing_ok=True)
                reason = problems.ARCHIVE_MEMBER_UNREADABLE.reason(error=problems.access_error(exc))
                dossier.problems.append(IntakeProblem(f"{label}:{member.filename}", reason))
            except (zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
                target.unlink(missing_ok=True)
                dossier.problems.append(
                    IntakeProblem(
                        f"{label}:{member.filename}",
                        problems.ARCHIVE_MEMBER_UNREADABLE.reason(error=type(exc).__name__),
                    )
                )


class _TooBig(Exception):
    pass
