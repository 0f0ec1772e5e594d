"""``esmsnum ds importer``: the dossiers of a démarche, written in the call folder's layout.

One folder per dossier, named by its number (dossier-format.md): ``dossier.json`` (the form
fields the call's ``ds.champs`` maps, the number, the deposit date ``dateDepot``) and every
attachment of its ``PieceJustificativeChamp`` champs, downloaded at once (their URLs
expire: an expired URL is asked again with the dossier), bounded by the call's per-file
size, its size and checksum (base64 MD5, as the API gives it) verified.

Nothing is half-written: a dossier is assembled in a hidden folder of the call folder
(ignored by ``esmsnum run`` and ``esmsnum suivre``), then renamed into place. A dossier
whose content did not change is left as it was, byte for byte: the next ``esmsnum run``
finds it in its cache and judges only the dossiers that changed.

Incremental: the moment each pull of a démarche started is kept in ``.esmsnum-ds.json`` of
the call folder (no secret in it); the next pull asks only for the dossiers updated since
(``updatedSince``, two minutes before, for the clocks' difference). An attachment already
imported with the same size and checksum is copied, not downloaded again. A pull with a dossier that could not be written keeps the previous
moment, so the next pull asks for it again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from core.config import CallConfig
from core.file_problems import access_error
from judging.submission import fingerprint
from teleservice.client import DsClient, DsError
from teleservice.mapping import ChampMap, form_of

STATE_FILE = ".esmsnum-ds.json"
PAGE_SIZE = 20
MAX_PAGES = 10_000  # a bound on a pagination that never ends (a million dossiers at 100 a page)
CLOCK_MARGIN = dt.timedelta(minutes=2)
MAX_NAME = 150  # characters of an attachment's file name

CHAMP_FIELDS = """
fragment EsmsnumChamp on Champ {
  __typename
  id
  champDescriptorId
  label
  stringValue
  ... on TextChamp { text: value }
  ... on DropDownListChamp { choice: value }
  ... on IntegerNumberChamp { integer: value }
  ... on DecimalNumberChamp { decimal: value }
  ... on YesNoChamp { yesNo: value }
  ... on CheckboxChamp { checkbox: value }
  ... on DateChamp { date }
  ... on PieceJustificativeChamp {
    files { filename url checksum byteSizeBigInt contentType }
  }
}

fragment EsmsnumDossier on Dossier {
  id
  number
  state
  dateDepot
  dateDerniereModification
  demandeur {
    __typename
    ... on PersonneMorale { siret entreprise { raisonSociale } }
  }
  champs { ...EsmsnumChamp }
}
"""

DOSSIERS_QUERY = (
    """
query esmsnumDossiers($demarche: Int!, $since: ISO8601DateTime, $after: String, $first: Int) {
  demarche(number: $demarche) {
    number
    title
    dossiers(updatedSince: $since, after: $after, first: $first) {
      pageInfo { hasNextPage endCursor }
      nodes { ...EsmsnumDossier }
    }
  }
}
"""
    + CHAMP_FIELDS
)

DOSSIER_QUERY = (
    """
query esmsnumDossier($number: Int!) {
  dossier(number: $number) { ...EsmsnumDossier }
}
"""
    + CHAMP_FIELDS
)


@dataclass
class PullResult:
    demarche: int
    title: str = ""
    since: str | None = None  # the previous pull's moment (None: the first pull)
    fetched: list[str] = field(default_factory=list)  # dossiers the API returned
    written: list[str] = field(default_factory=list)  # new or changed folders
    unchanged: list[str] = field(default_factory=list)  # same content: left byte for byte
    failed: list[tuple[str, str]] = field(default_factory=list)  # (dossier, French reason)
    unmapped: set[str] = field(default_factory=set)  # champ labels the call does not map
    pages: int = 0
    saved_since: str | None = None  # the moment kept for the next pull (None: kept as it was)


# --------------------------------------------------------------------------- state


def read_state(call_dir: Path) -> dict[str, Any]:
    path = call_dir / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def last_pull(call_dir: Path, demarche: int) -> str | None:
    entry = (read_state(call_dir).get("demarches") or {}).get(str(demarche)) or {}
    value = entry.get("derniere_importation")
    return value if isinstance(value, str) else None


def save_state(call_dir: Path, demarche: int, moment: str, count: int) -> None:
    state = read_state(call_dir)
    demarches = state.setdefault("demarches", {})
    demarches[str(demarche)] = {"derniere_importation": moment, "dossiers_importes": count}
    _write_atomic(call_dir / STATE_FILE, (json.dumps(state, ensure_ascii=False, indent=2) + "\n").encode())


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the pull


def pull(
    client: DsClient,
    demarche: int,
    config: CallConfig,
    call_dir: Path,
    *,
    page_size: int = PAGE_SIZE,
    full: bool = False,
) -> PullResult:
    """Fetch the dossiers updated since the last pull (every dossier with ``full``) and write
    them; never raises for one dossier (its reason is in ``failed``)."""
    try:
        call_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DsError(f"Dossier de l'appel impossible à créer : {call_dir} ({access_error(exc)})") from exc
    mapping = ChampMap(config)
    max_bytes = config.limits.file_limits().max_file_bytes
    since = None if full else last_pull(call_dir, demarche)
    result = PullResult(demarche=demarche, since=since)
    # The next pull asks from a little before this one started: a clock of this machine ahead
    # of the téléservice's would otherwise miss the dossiers changed meanwhile (those asked
    # twice are left as they are).
    started = (dt.datetime.now(dt.UTC) - CLOCK_MARGIN).replace(microsecond=0).isoformat()
    after: str | None = None
    while True:
        variables = {"demarche": demarche, "since": since, "after": after, "first": page_size}
        data = client.execute(DOSSIERS_QUERY, variables, "esmsnumDossiers")
        found = data.get("demarche") or {}
        result.title = found.get("title") or result.title
        connection = found.get("dossiers") or {}
        result.pages += 1
        for node in connection.get("nodes") or []:
            if node:
                _import_one(client, node, mapping, call_dir, max_bytes, result)
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            break
        cursor = info.get("endCursor")
        if not cursor or cursor == after or result.pages >= MAX_PAGES:
            raise DsError("Pagination de Démarches simplifiées incohérente (curseur absent ou répété, pages sans fin).")
        after = cursor
    if not result.failed:
        save_state(call_dir, demarche, started, len(result.fetched))
        result.saved_since = started
    return result


def _import_one(
    client: DsClient, node: dict[str, Any], mapping: ChampMap, call_dir: Path, max_bytes: int, result: PullResult
) -> None:
    numero = str(node.get("number"))
    result.fetched.append(numero)
    if not re.fullmatch(r"\d+", numero):
        result.failed.append((numero, "numéro de dossier illisible"))
        return
    try:
        changed = write_dossier(client, node, mapping, call_dir, max_bytes, result.unmapped)
    except DsError as exc:
        result.failed.append((numero, str(exc)))
        return
    except OSError as exc:  # disk full, rights: the folder is left as it was
        where = f" {exc.filename}" if exc.filename else ""
        result.failed.append(
            (numero, f"écriture impossible{where} ({access_error(exc)}) ; le dossier est resté tel quel")
        )
        return
    (result.written if changed else result.unchanged).append(numero)


def write_dossier(
    client: DsClient, node: dict[str, Any], mapping: ChampMap, call_dir: Path, max_bytes: int, unmapped: set[str]
) -> bool:
    """Write one dossier's folder atomically; False when the folder already held the same content."""
    numero = str(node["number"])
    form, left = form_of(node, mapping)
    unmapped |= left
    staging = call_dir / f".ds-{numero}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        (staging / "dossier.json").write_bytes((json.dumps(form, ensure_ascii=False, indent=2) + "\n").encode())
        names: set[str] = {"dossier.json"}
        final = call_dir / numero
        for champ_index, file_index, meta in _files_of(node):
            name = _unique(_safe_name(meta.get("filename") or "piece"), names)
            if not _reuse(final / name, meta, staging / name):
                _download(client, numero, node, champ_index, file_index, meta, staging / name, max_bytes)
        if final.is_dir() and not final.is_symlink() and _same_content(final, staging):
            return False
        _swap(staging, final)
        return True
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _reuse(existing: Path, meta: dict[str, Any], target: Path) -> bool:
    """Copy the file already imported when it is the one announced (same size and checksum):
    a dossier fetched again for a change elsewhere is not downloaded again."""
    size, checksum = _int(meta.get("byteSizeBigInt")), meta.get("checksum")
    try:
        if not checksum or existing.is_symlink() or not existing.is_file() or existing.stat().st_size != size:
            return False
        digest = hashlib.md5(usedforsecurity=False)
        with open(existing, "rb") as handle:
            while chunk := handle.read(1 << 16):
                digest.update(chunk)
        if base64.b64encode(digest.digest()).decode() != checksum:
            return False
        shutil.copyfile(existing, target)
    except OSError:
        return False
    return True


def _files_of(node: dict[str, Any]) -> list[tuple[int, int, dict[str, Any]]]:
    out = []
    for champ_index, champ in enumerate(node.get("champs") or []):
        if champ.get("__typename") == "PieceJustificativeChamp":
            for file_index, meta in enumerate(champ.get("files") or []):
                if meta:
                    out.append((champ_index, file_index, meta))
    return out


def _safe_name(name: str) -> str:
    """A file name the owner chose, safe in a folder: no path, no control character, no
    leading dot, bounded length (the extension kept)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip().lstrip(".")
    if not name:
        name = "piece"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    stem, dot, ext = name.rpartition(".")
    while candidate.lower() in {t.lower() for t in taken}:
        candidate = f"{stem} ({n}).{ext}" if dot and stem else f"{name} ({n})"
        n += 1
    taken.add(candidate)
    return candidate


EXPIRED = (401, 403, 404, 410)  # a signed URL past its life, as storage services answer


def _download(
    client: DsClient,
    numero: str,
    node: dict[str, Any],
    champ_index: int,
    file_index: int,
    meta: dict[str, Any],
    target: Path,
    max_bytes: int,
) -> None:
    name = meta.get("filename") or target.name
    size = _int(meta.get("byteSizeBigInt"))
    if size is not None and size > max_bytes:
        raise DsError(
            f"pièce « {name} » trop volumineuse ({size} octets, au plus {max_bytes}) : "
            "à télécharger depuis l'interface instructeur"
        )
    refreshed = False
    for _attempt in range(3):
        response = client.stream(meta["url"])
        try:
            if response.status_code in EXPIRED and not refreshed:
                meta = _fresh_file(client, numero, champ_index, file_index, name)
                refreshed = True
                continue
            if response.status_code != 200:
                raise DsError(f"pièce « {name} » : téléchargement refusé (HTTP {response.status_code})")
            digest = hashlib.md5(usedforsecurity=False)
            written = 0
            with open(target, "wb") as handle:
                for chunk in response.iter_bytes(1 << 16):
                    written += len(chunk)
                    if written > max_bytes:
                        raise DsError(f"pièce « {name} » plus grande que la limite de {max_bytes} octets")
                    digest.update(chunk)
                    handle.write(chunk)
        except httpx.TransportError:
            continue  # cut mid-file: downloaded again from the start
        finally:
            response.close()
        if size is not None and written != size:
            raise DsError(f"pièce « {name} » : {written} octets reçus, {size} annoncés")
        expected = meta.get("checksum")
        if expected and base64.b64encode(digest.digest()).decode() != expected:
            raise DsError(f"pièce « {name} » : somme de contrôle différente de celle annoncée (fichier altéré)")
        return
    raise DsError(f"pièce « {name} » : téléchargement interrompu à plusieurs reprises")


def _fresh_file(client: DsClient, numero: str, champ_index: int, file_index: int, name: str) -> dict[str, Any]:
    """The file's metadata asked again (a new signed URL)."""
    data = client.execute(DOSSIER_QUERY, {"number": int(numero)}, "esmsnumDossier")
    files = _files_of(data.get("dossier") or {})
    for c, f, meta in files:
        if (c, f) == (champ_index, file_index):
            return meta
    raise DsError(f"pièce « {name} » : disparue du dossier pendant l'importation")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _same_content(a: Path, b: Path) -> bool:
    return fingerprint(a).documents == fingerprint(b).documents


def _swap(staging: Path, final: Path) -> None:
    """Put ``staging`` in ``final``'s place (two renames on one file system)."""
    old = None
    if final.exists() or final.is_symlink():
        old = final.with_name(f".ds-ancien-{final.name}-{secrets.token_hex(4)}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
