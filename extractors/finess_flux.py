"""Reading the FINESS « flux Structures » the ANS publishes daily in open data (data.gouv.fr,
format of the public repository ``ansforge/finess``, ``flux/out/data.gouv/structure``, schema
``schema-structures-v1.json``), e.g. ``finess-structures-journalier-20260309.json``.

One JSON object: ``schemaVersion``, ``generatedAt`` (UTC time of the extraction), then the
groupings (``gcc``, ``gco``) and ``pmej``: one item per legal entity (PM-EJ), its
``informationsGeneralesPMEJ`` (``numFinessPm``, ``denominationPm``,
``denominationLonguePmSmsse``…) and its establishments ``ege``, each with
``informationsGeneralesEGE`` (``numFinessEge``, ``nomEgeCourt``, ``nomEgeLong``, ``siret``,
``dateOuverture``, ``dateFermeture``), ``categorieentiteGeographiqueExercice`` (the FINESS
category code, 500 for an EHPAD), ``adresse`` (``cogCommune``, ``codePostal``,
``ligneAcheminement``), ``etatObjet`` (``A`` active) and ``dateDerniereMaj``.

The file is streamed (``ijson``, one legal entity in memory at a time): the national flux is
several hundred megabytes. Only active records (``etatObjet`` ``A``, no closing date) are
kept, as the etalab stock extracts list only open establishments. The flux gives codes, not
labels: the labels of the département and the category are the reference tables' (filled by
``validators.finess_repository`` on import). A file that is not such a flux is refused with a
French message, never half-loaded.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import ijson

from extractors.finess_extract import (
    ESTABLISHMENTS,
    FINESS_SHAPE,
    Establishment,
    ExtractError,
    ExtractFile,
    ExtractReader,
    LegalEntity,
    department_of_insee,
    split_routing,
)

ANS_JSON = "ans_json"
#: The top-level key the project's generator adds to its flux (fictitious data); real flux have none.
SAMPLE_KEY = "echantillon"
PARIS = ZoneInfo("Europe/Paris")
FILE_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
#: How far into the file the header keys (``generatedAt``…) are looked for before ``pmej``.
HEADER_EVENTS = 200_000
CHUNK = 1 << 16

Progress = Callable[[int, int], None]
"""``progress(bytes read, file size)``, called as the file is read."""


def is_flux(path: Path) -> bool:
    """Whether a file looks like a JSON flux (its first non-blank character is ``{``; gzip too)."""
    try:
        with _open(path) as handle:
            head = handle.read(512)
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _open(path: Path) -> IO[bytes]:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


class _Counting:
    """A binary file that reports how far it has been read (of the file on disk)."""

    def __init__(self, path: Path, progress: Progress | None) -> None:
        self._raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._size = path.stat().st_size
        self._gzip = self._raw.read(2) == b"\x1f\x8b"
        self._raw.seek(0)
        self._stream: IO[bytes] = gzip.open(self._raw, "rb") if self._gzip else self._raw  # noqa: SIM115
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if self._progress is not None:
            self._progress(self._raw.tell(), self._size)
        return data

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    def __enter__(self) -> _Counting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _active(record: dict) -> bool:
    general = record.get("informationsGeneralesEGE") or record.get("informationsGeneralesPMEJ") or {}
    return _text(record.get("etatObjet")).upper() in ("A", "") and not _text(general.get("dateFermeture"))


class FluxReader:
    """One ANS JSON flux: its header (``info``) and its records (``establishments``, ``entities``).

    The header is read at construction (a few kilobytes); records are streamed on iteration,
    each pass a new read of the file. ``records()`` yields both in one pass (the import)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise ExtractError(f"{self.path} : fichier illisible ({exc.strerror or exc}).") from exc
        if size == 0:
            raise ExtractError(f"{self.path} : fichier vide, ce n'est pas une extraction FINESS.")
        generated, version, sample = self._header()
        self.schema_version = version
        self.generated_at = generated
        date = generated.astimezone(PARIS).date() if generated else self._date_of_name()
        if date is None:
            raise ExtractError(
                f"{self.path.name} : flux FINESS sans date d'extraction (« generatedAt » absent et pas de date "
                "AAAAMMJJ dans le nom du fichier)."
            )
        self.info = ExtractFile(self.path, ESTABLISHMENTS, date, version, "utf-8", _sha256(self.path), ANS_JSON, sample)

    def _date_of_name(self) -> dt.date | None:
        match = FILE_DATE.search(self.path.name)
        if not match:
            return None
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return None

    def _header(self) -> tuple[dt.datetime | None, str, bool]:
        """(generatedAt, schemaVersion, sample) from the top-level keys before ``pmej``."""
        generated, version, sample, seen_pmej = None, "", False, False
        try:
            with _Counting(self.path, None) as handle:
                for count, (prefix, event, value) in enumerate(ijson.parse(handle)):
                    if count == 0 and event != "start_map":
                        break
                    if prefix == "generatedAt" and event == "string":
                        generated = _moment(value)
                    elif prefix == "schemaVersion" and event == "string":
                        version = value
                    elif prefix == SAMPLE_KEY and event in ("string", "boolean"):
                        sample = bool(value)
                    elif prefix == "pmej" and event == "start_array":
                        seen_pmej = True
                        if generated is not None:
                            break
                    if count > HEADER_EVENTS and seen_pmej:
                        break
        except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
            raise ExtractError(f"{self.path.name} : JSON illisible ({_reason(exc)}).") from exc
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise ExtractError(f"{self.path.name} : fichier illisible ({exc}).") from exc
        if not seen_pmej:
            raise ExtractError(
                f"{self.path.name} : ce n'est pas un flux Structures FINESS de l'ANS (tableau « pmej » des "
                "entités juridiques absent)."
            )
        return generated, version, sample

    def records(self, progress: Progress | None = None) -> Iterator[LegalEntity | Establishment]:
        """Every active legal entity, followed by its active establishments, in file order."""
        number = 0
        try:
            with _Counting(self.path, progress) as handle:
                for number, item in enumerate(ijson.items(handle, "pmej.item", use_float=True), start=1):
                    if not isinstance(item, dict):
                        raise self._error(number, "entité juridique attendue (un objet JSON)")
                    yield from self._entity_records(number, item)
        except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
            raise ExtractError(
                f"{self.path.name} : JSON illisible après l'entité juridique n° {number} ({_reason(exc)})."
            ) from exc
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise ExtractError(f"{self.path.name} : fichier illisible ({exc}).") from exc

    def _entity_records(self, number: int, item: dict) -> Iterator[LegalEntity | Establishment]:
        general = item.get("informationsGeneralesPMEJ") or {}
        ej = _text(general.get("numFinessPm")).upper()
        if not FINESS_SHAPE.match(ej):
            raise self._error(number, f"numéro FINESS EJ « {general.get('numFinessPm')} » invalide")
        if _active(item):
            yield LegalEntity(ej, _text(general.get("denominationPm")), _text(general.get("denominationLonguePmSmsse")))
        for ege in item.get("ege") or []:
            if not isinstance(ege, dict) or not _active(ege):
                continue
            yield self._establishment(number, ej, ege)

    def _establishment(self, number: int, ej: str, ege: dict) -> Establishment:
        general = ege.get("informationsGeneralesEGE") or {}
        finess = _text(general.get("numFinessEge")).upper()
        if not FINESS_SHAPE.match(finess):
            raise self._error(number, f"numéro FINESS ET « {general.get('numFinessEge')} » invalide")
        addresses = [a for a in ege.get("adresse") or [] if isinstance(a, dict)]
        address = next(
            (a for a in addresses if _text(a.get("usageAdresse")) == "03"), addresses[0] if addresses else {}
        )
        commune = _text(address.get("cogCommune")).upper()
        department = department_of_insee(commune)
        postcode = _text(address.get("codePostal"))
        _, city = split_routing(_text(address.get("ligneAcheminement")))
        return Establishment(
            finess=finess,
            finess_ej=ej,
            name=_text(general.get("nomEgeCourt")),
            long_name=_text(general.get("nomEgeLong")),
            department=department or finess[:2],
            department_label="",
            commune_code=commune[2:] if len(commune) == 5 else commune,
            postcode=postcode,
            city=city,
            category=_text(ege.get("categorieentiteGeographiqueExercice")),
            category_label="",
            aggregate="",
            aggregate_label="",
            siret=_text(general.get("siret")),
            opened=_text(general.get("dateOuverture")),
            updated=_text(ege.get("dateDerniereMaj"))[:10],
        )

    def establishments(self, progress: Progress | None = None) -> Iterator[Establishment]:
        return (r for r in self.records(progress) if isinstance(r, Establishment))

    def entities(self, progress: Progress | None = None) -> Iterator[LegalEntity]:
        return (r for r in self.records(progress) if not isinstance(r, Establishment))

    def _error(self, number: int, reason: str) -> ExtractError:
        return ExtractError(f"{self.path.name} : entité juridique n° {number} du tableau « pmej » : {reason}.")


def open_extract(path: Path) -> ExtractReader | FluxReader:
    """The reader of a FINESS file, told by its content: the ANS JSON flux or an etalab CSV extract."""
    path = Path(path)
    return FluxReader(path) if path.is_file() and is_flux(path) else ExtractReader(path)


def _moment(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        # more than 6 digits of fractions of a second (``15:49:37.615611300Z``)
        match = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$", text.strip())
        if not match:
            return None
        fraction = (match.group(2) or "")[:7]
        zone = (match.group(3) or "Z").replace("Z", "+00:00")
        try:
            moment = dt.datetime.fromisoformat(match.group(1) + fraction + zone)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK * 16):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:120] or exc.__class__.__name__
