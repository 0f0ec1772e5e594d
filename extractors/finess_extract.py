"""Reading the FINESS open-data extracts (« FINESS Extraction du Fichier des établissements »
and « … des entités juridiques », data.gouv.fr, Licence Ouverte).

Both are ``;``-separated text without a header row, quoted like csv (a ``"`` inside a quoted
field is doubled).
The first line names the extract and its date: ``finess;etalab;<n>;<AAAA-MM-JJ>``. Then one
record per line, its type first:

* ``structureet;`` + 31 positional fields (``ET_FIELDS``): one establishment (FINESS ET);
* ``geolocalisation;`` + coordinates of an establishment (not used here);
* ``structureej;`` + positional fields (``EJ_FIELDS``): one legal entity (FINESS EJ).

Recent files are UTF-8; older ones are Latin-1 (Windows-1252): both are read. A line that
cannot be a record of the extract (wrong number of fields, a FINESS number that is not one)
is refused with a French message that names the file and the line, so that an operator
never loads half a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Positional fields of a ``structureet`` line, after the record type (etalab documentation).
ET_FIELDS = (
    "nofinesset",
    "nofinessej",
    "rs",
    "rslongue",
    "complrs",
    "compldistrib",
    "numvoie",
    "typvoie",
    "voie",
    "compvoie",
    "lieuditbp",
    "commune",
    "departement",
    "libdepartement",
    "ligneacheminement",
    "telephone",
    "telecopie",
    "categetab",
    "libcategetab",
    "categagretab",
    "libcategagretab",
    "siret",
    "codeape",
    "codemft",
    "libmft",
    "codesph",
    "libsph",
    "dateouv",
    "dateautor",
    "datemaj",
    "numuai",
)
#: The first fields of a ``structureej`` line, after the record type: the only ones read
#: (the address and legal-status fields that follow are not used by the checks).
EJ_FIELDS = ("nofinessej", "rs", "rslongue")

HEADER = re.compile(r"^finess;etalab;([^;]*);(\d{4}-\d{2}-\d{2})\s*;*$")
FINESS_SHAPE = re.compile(r"^(\d{2}|2[AB])\d{7}$")
RECORD_TYPE = re.compile(r"^[a-z][a-z_]*$")

#: Overseas départements as FINESS writes them (``9A`` Guadeloupe…) → INSEE codes.
OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}

ESTABLISHMENTS, ENTITIES = "etablissements", "entites_juridiques"
#: The record the project's generator adds to its extracts: fictitious data, never to be shown
#: as the national repository (real extracts have no such record; readers skip unknown types).
SAMPLE_RECORD = "echantillon"
ETALAB_CSV = "etalab_csv"
KIND_LABELS = {ESTABLISHMENTS: "établissements", ENTITIES: "entités juridiques"}
_KIND_OF_RECORD = {"structureet": ESTABLISHMENTS, "structureej": ENTITIES}


class ExtractError(Exception):
    """A file that is not a usable FINESS extract; the message is French and names the line."""


class _Named:
    """A repository record's name as a reviewer reads it: the long one, else the short one."""

    name: str
    long_name: str

    @property
    def display_name(self) -> str:
        return self.long_name or self.name


@dataclass(frozen=True)
class Establishment(_Named):
    """One ``structureet`` line, as the checks read it."""

    finess: str
    finess_ej: str
    name: str  # rs
    long_name: str  # rslongue
    department: str  # INSEE code: 01, 2A, 971…
    department_label: str
    commune_code: str
    postcode: str
    city: str
    category: str  # categetab, e.g. 500
    category_label: str
    aggregate: str  # categagretab, e.g. 4401
    aggregate_label: str
    siret: str
    opened: str  # dateouv as written (AAAA-MM-JJ, JJ/MM/AAAA in old files)
    updated: str  # datemaj


@dataclass(frozen=True)
class LegalEntity(_Named):
    finess_ej: str
    name: str
    long_name: str


@dataclass(frozen=True)
class ExtractFile:
    """What a file is: its kind, date, encoding and content hash."""

    path: Path
    kind: str  # ESTABLISHMENTS | ENTITIES
    extract_date: dt.date
    sequence: str  # the <n> of the first line
    encoding: str
    sha256: str
    format: str = "etalab_csv"  # ETALAB_CSV | ANS_JSON (extractors.finess_flux)
    sample: bool = False  # written by the project's generator (fixtures), not by the ANS


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when the bytes are, else Windows-1252 (older extracts)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "latin-1"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def department_code(raw: str) -> str:
    """``01`` for ``1`` (a leading zero lost), ``971`` for ``9A``; other codes as written."""
    text = raw.strip().upper()
    if text in OVERSEAS:
        return OVERSEAS[text]
    if text.isdigit() and len(text) == 1:
        return "0" + text
    return text


#: The collectivités of Saint-Barthélemy (977) and Saint-Martin (978), by their commune code:
#: today's (97701, 97801) and the one of their years as communes of Guadeloupe (97123, 97127),
#: which records registered before 2007 may still carry under département 971 / ``9A``.
COLLECTIVITIES = {"97701": "977", "97123": "977", "97801": "978", "97127": "978"}


def department_of_commune(department: str, commune: str) -> str:
    """The département of an establishment from the département field and the commune code
    (3 characters in the etalab extract, the INSEE code of 5 in the ANS flux): Saint-Barthélemy
    and Saint-Martin are told from Guadeloupe by their commune."""
    code = department_code(department) if department else ""
    commune = commune.strip().upper()
    insee = commune if len(commune) == 5 else (code[:2] + commune if code.startswith("97") else "")
    return COLLECTIVITIES.get(insee, code)


def department_of_insee(commune: str) -> str:
    """``01`` for ``01143``, ``2A`` for ``2A004``, ``973`` for ``97302``, ``976`` for ``97611``,
    ``978`` for ``97801`` (INSEE code of a commune, as the ANS flux gives it)."""
    text = commune.strip().upper()
    if len(text) != 5:
        return ""
    if text in COLLECTIVITIES:
        return COLLECTIVITIES[text]
    return text[:3] if text[:2] in ("97", "98") else text[:2]


_CEDEX = re.compile(r"\s+CEDEX(\s+\d+)?$")


def split_routing(line: str) -> tuple[str, str]:
    """``01440 VIRIAT`` → (``01440``, ``VIRIAT``); ``97306 CAYENNE CEDEX`` → (``97306``, ``CAYENNE``)."""
    text = " ".join(line.split())
    head, _, rest = text.partition(" ")
    if head.isdigit() and len(head) == 5:
        return head, _CEDEX.sub("", rest)
    return "", _CEDEX.sub("", text)


class ExtractReader:
    """One extract file: its header (``info``) and its records (``establishments`` or ``entities``).

    The file is read and decoded once, at construction; records are parsed on iteration.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise ExtractError(f"{self.path} : fichier illisible ({exc.strerror or exc}).") from exc
        if not data.strip():
            raise ExtractError(f"{self.path} : fichier vide, ce n'est pas une extraction FINESS.")
        self._text, encoding = decode(data)
        self._lines = self._text.splitlines()
        first = self._lines[0].strip()
        match = HEADER.match(first)
        if not match:
            raise ExtractError(
                f"{self.path.name} : ligne 1 : en-tête d'extraction FINESS attendu "
                f"(« finess;etalab;<n>;<AAAA-MM-JJ> »), trouvé « {_excerpt(first)} »."
            )
        try:
            date = dt.date.fromisoformat(match.group(2))
        except ValueError:
            raise ExtractError(
                f"{self.path.name} : ligne 1 : date d'extraction invalide « {match.group(2)} »."
            ) from None
        kind = self._kind()
        sample = any(line.startswith(SAMPLE_RECORD + ";") for line in self._lines[1:])
        self.info = ExtractFile(
            self.path, kind, date, match.group(1), encoding, hashlib.sha256(data).hexdigest(), ETALAB_CSV, sample
        )

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def _kind(self) -> str:
        for number, line in enumerate(self._lines[1:], start=2):
            record = line.split(";", 1)[0].strip().strip('"')
            if record in _KIND_OF_RECORD:
                return _KIND_OF_RECORD[record]
            if line.strip() and not RECORD_TYPE.match(record):
                raise ExtractError(
                    f"{self.path.name} : ligne {number} : enregistrement FINESS attendu "
                    f"(« structureet;… » ou « structureej;… »), trouvé « {_excerpt(line)} »."
                )
        raise ExtractError(
            f"{self.path.name} : aucun établissement (« structureet ») ni entité juridique "
            "(« structureej ») : ce n'est pas une extraction FINESS."
        )

    def _records(self, wanted: str) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields after the type) of every ``wanted`` record; other known record
        types are skipped; a line that is no record at all is refused."""
        reader = csv.reader(self._lines[1:], delimiter=";", quotechar='"')
        number = 1
        for fields in reader:
            number = reader.line_num + 1
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            record = fields[0].strip()
            if record == wanted:
                yield number, fields[1:]
            elif not RECORD_TYPE.match(record):
                raise ExtractError(
                    f"{self.path.name} : ligne {number} : enregistrement FINESS attendu, trouvé "
                    f"« {_excerpt(self._lines[number - 1])} »."
                )

    def establishments(self) -> Iterator[Establishment]:
        if self.info.kind != ESTABLISHMENTS:
            return
        expected = len(ET_FIELDS)
        at = {name: i for i, name in enumerate(ET_FIELDS)}
        (
            i_et,
            i_ej,
            i_rs,
            i_long,
            i_commune,
            i_dep,
            i_deplabel,
            i_routing,
            i_cat,
            i_catlabel,
            i_agg,
            i_agglabel,
            i_siret,
            i_opened,
            i_updated,
        ) = (
            at[n]
            for n in (
                "nofinesset",
                "nofinessej",
                "rs",
                "rslongue",
                "commune",
                "departement",
                "libdepartement",
                "ligneacheminement",
                "categetab",
                "libcategetab",
                "categagretab",
                "libcategagretab",
                "siret",
                "dateouv",
                "datemaj",
            )
        )
        for number, fields in self._records("structureet"):
            if len(fields) == expected + 1 and not fields[-1].strip():
                fields = fields[:-1]  # a trailing separator
            if len(fields) != expected:
                raise self._error(
                    number, f"{len(fields) + 1} champs au lieu de {expected + 1} (ligne tronquée ou séparateur en trop)"
                )
            finess = fields[i_et].strip().upper()
            if not FINESS_SHAPE.match(finess):
                raise self._error(number, f"numéro FINESS ET « {fields[i_et]} » invalide (9 caractères attendus)")
            ej = fields[i_ej].strip().upper()
            if ej and not FINESS_SHAPE.match(ej):
                raise self._error(number, f"numéro FINESS EJ « {fields[i_ej]} » invalide (9 caractères attendus)")
            postcode, city = split_routing(fields[i_routing])
            yield Establishment(
                finess=finess,
                finess_ej=ej,
                name=fields[i_rs].strip(),
                long_name=fields[i_long].strip(),
                department=department_of_commune(fields[i_dep], fields[i_commune]),
                department_label=fields[i_deplabel].strip(),
                commune_code=fields[i_commune].strip(),
                postcode=postcode,
                city=city,
                category=fields[i_cat].strip(),
                category_label=fields[i_catlabel].strip(),
                aggregate=fields[i_agg].strip(),
                aggregate_label=fields[i_agglabel].strip(),
                siret=fields[i_siret].strip(),
                opened=fields[i_opened].strip(),
                updated=fields[i_updated].strip(),
            )

    def entities(self) -> Iterator[LegalEntity]:
        if self.info.kind != ENTITIES:
            return
        for number, fields in self._records("structureej"):
            if len(fields) < len(EJ_FIELDS):
                raise self._error(
                    number, f"{len(fields) + 1} champs, au moins {len(EJ_FIELDS) + 1} attendus (ligne tronquée)"
                )
            ej = fields[0].strip().upper()
            if not FINESS_SHAPE.match(ej):
                raise self._error(number, f"numéro FINESS EJ « {fields[0]} » invalide (9 caractères attendus)")
            yield LegalEntity(ej, fields[1].strip(), fields[2].strip())

    def _error(self, number: int, reason: str) -> ExtractError:
        return ExtractError(f"{self.path.name} : ligne {number} : {reason}.")


def _excerpt(text: str, width: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 1] + "…"
