"""The local copy of the national FINESS repository the checks look numbers up in (REF rules).

An operator imports an etalab extract once (``esmsnum finess importer``, the only writer):
its establishments (and, when given, the legal entities' extract of the same date) go into a
SQLite file of the FINESS folder, one file per extract date, ``finess-AAAA-MM-JJ.sqlite``. The
folder is ``ESMSNUM_FINESS_DIR``, else ``~/.cache/esmsnum/finess`` (``$XDG_CACHE_HOME``
respected); a shared folder serves a whole team. Runs open the file read-only, one connection
per dossier: a dossier costs one indexed query for its list, plus one query per département
for the suggestions of an unknown number — never a scan of the 100,000 establishments.

``resolve_store`` decides which extract a run uses: the one ``--finess`` names (a date, a
file, a folder, or « aucune »), else the one the call configuration names, else the latest
imported. No extract at all is not an error: the checks against the repository are skipped
and the reports say the numbers were not looked up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from rapidfuzz import fuzz, process

from core.french import date_short
from extractors.finess_extract import (
    ENTITIES,
    ESTABLISHMENTS,
    ETALAB_CSV,
    Establishment,
    ExtractError,
    ExtractFile,
    ExtractReader,
    LegalEntity,
)
from extractors.finess_flux import ANS_JSON, FluxReader, Progress, open_extract

FINESS_DIR_ENV = "ESMSNUM_FINESS_DIR"
SCHEMA = 1
STORE_NAME = re.compile(r"^finess-(\d{4}-\d{2}-\d{2})\.sqlite$")
NONE_WORDS = {"aucune", "aucun", "non", "none", "sans"}

#: How close a name must be (rapidfuzz token_set_ratio over the distinctive words, 0–100) to be
#: suggested for an unknown number.
SUGGESTION_CUTOFF = 80.0
#: Words that say what an establishment is rather than which one: left out of the comparison
#: of names (« EHPAD Les Tilleuls » and « EHPAD Les Lilas » share nothing distinctive).
_GENERIC = """
    de du des la le les l d et en au aux sur sous a
    ehpad ehpa ssiad saad spasad ime itep mas fam eam eanm esat savs samsah sessad camsp cmpp crp iem eeap
    chrs cada cph mecs csapa caarud lhss act usld ch chu chr cms smjpm mjpm udaf pmi
    etablissement etablissements service services centre residence foyer maison accueil hebergement
    personnes agees dependantes handicapees adultes enfants soins infirmiers domicile aide travail
    medicalise medicalisee specialisee specialise institut medico educatif therapeutique pedagogique
    association fondation hopital hospitalier hospitaliere site antenne unite pole plateforme
"""
GENERIC_WORDS = frozenset(_GENERIC.split())
SUGGESTIONS = 3

_ET_COLUMNS = (
    "finess",
    "finess_ej",
    "name",
    "long_name",
    "department",
    "department_label",
    "commune_code",
    "postcode",
    "city",
    "category",
    "category_label",
    "aggregate",
    "aggregate_label",
    "siret",
    "opened",
    "updated",
)


SOURCE_LABELS = {
    ETALAB_CSV: "extraction etalab (CSV, data.gouv.fr)",
    ANS_JSON: "flux JSON quotidien de l'ANS (« flux Structures », data.gouv.fr)",
    "sample": "ÉCHANTILLON FICTIF généré par esmsnum (données de démonstration, pas le répertoire national)",
}


class RepositoryError(Exception):
    """A FINESS store that cannot be used or written; the message is French."""


def default_dir() -> Path:
    """``ESMSNUM_FINESS_DIR``, else the user's cache folder."""
    configured = os.environ.get(FINESS_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "esmsnum" / "finess"


def date_fr(day: dt.date) -> str:
    return date_short(day)


# --------------------------------------------------------------------------- what a store is


@dataclass(frozen=True)
class StoreInfo:
    """One imported extract, as ``esmsnum finess info`` and the reports describe it."""

    path: Path
    extract_date: dt.date
    establishments: int
    entities: int  # 0 when the legal entities' extract was not imported
    entities_date: dt.date | None
    sources: tuple[dict, ...]  # {"name", "sha256", "encoding", "kind", "lines"}
    imported_at: str
    import_seconds: float
    fingerprint: str  # sha256 over the source files: part of the dossier cache key

    @property
    def label(self) -> str:
        """« extraction du 11/03/2026 »."""
        return f"extraction du {date_fr(self.extract_date)}"

    @property
    def sample(self) -> bool:
        """Fictitious data written by the project's generator (``fixtures``), not the ANS's."""
        return any(s.get("sample") for s in self.sources)

    @property
    def source_format(self) -> str:
        """``ans_json`` or ``etalab_csv`` (stores imported before the flux was read: CSV)."""
        formats = {s.get("format", ETALAB_CSV) for s in self.sources if s.get("kind") == ESTABLISHMENTS}
        return ANS_JSON if ANS_JSON in formats else ETALAB_CSV

    @property
    def source_label(self) -> str:
        """What the extract is, as ``esmsnum finess info`` and the runs say it."""
        if self.sample:
            return SOURCE_LABELS["sample"]
        return SOURCE_LABELS[self.source_format]

    def report_entry(self) -> dict:
        """What report.json says of the repository a dossier was checked against."""
        return {
            "checked": True,
            "extract_date": self.extract_date.isoformat(),
            "entities": self.entities > 0,
            "fingerprint": self.fingerprint,
            "sample": self.sample,
        }


def run_line(store: StoreInfo | None) -> str:
    """What a run (``esmsnum run``, ``esmsnum suivre``, the local server's analysis process)
    prints about the extract it checks the ESSMS against."""
    if store is None:
        return (
            "Répertoire FINESS : aucune extraction chargée, l'existence des FINESS ne sera pas vérifiée "
            "(« esmsnum finess importer »)."
        )
    establishments = f"{store.establishments:,}".replace(",", " ")
    sample = f" — {SOURCE_LABELS['sample']}" if store.sample else ""
    return f"Répertoire FINESS : {store.label} ({establishments} établissements){sample}."


def store_path(folder: Path, extract_date: dt.date) -> Path:
    return folder / f"finess-{extract_date.isoformat()}.sqlite"


def read_info(path: Path) -> StoreInfo:
    """The description of a store file (refused with a French message when it is not one)."""
    try:
        with closing(_connect(path)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error as exc:
        raise RepositoryError(f"{path} n'est pas un répertoire FINESS importé par esmsnum ({exc}).") from exc
    if meta.get("schema") != str(SCHEMA):
        raise RepositoryError(
            f"{path} : format de stockage FINESS inconnu (version {meta.get('schema')}) : "
            "importer à nouveau l'extraction."
        )
    sources = tuple(json.loads(meta.get("sources", "[]")))
    entities_date = meta.get("entities_date")
    return StoreInfo(
        path=path,
        extract_date=dt.date.fromisoformat(meta["extract_date"]),
        establishments=int(meta.get("establishments", 0)),
        entities=int(meta.get("entities", 0)),
        entities_date=dt.date.fromisoformat(entities_date) if entities_date else None,
        sources=sources,
        imported_at=meta.get("imported_at", ""),
        import_seconds=float(meta.get("import_seconds", 0)),
        fingerprint=meta.get("fingerprint", ""),
    )


def available(folder: Path | None = None) -> list[StoreInfo]:
    """The extracts imported in the folder, oldest first (unreadable files are skipped)."""
    folder = folder or default_dir()
    out = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if STORE_NAME.match(path.name):
                try:
                    out.append(read_info(path))
                except (RepositoryError, KeyError, ValueError):
                    continue
    return sorted(out, key=lambda s: s.extract_date)


def _parse_date(text: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def resolve_store(
    setting: str | None = None, call_date: dt.date | None = None, folder: Path | None = None
) -> StoreInfo | None:
    """The extract a run uses, or ``None`` when none is (to be) used.

    ``setting`` (``--finess``): « aucune », a date (AAAA-MM-JJ or JJ/MM/AAAA) imported in the
    folder, a store file, or a folder (its latest extract, or the call's date in it).
    Without it: the call configuration's date (``call_date``), else the latest imported.
    """
    folder = folder or default_dir()
    if setting is not None and setting.strip().lower() in NONE_WORDS:
        return None
    wanted = call_date
    if setting:
        candidate = Path(setting).expanduser()
        day = _parse_date(setting)
        if candidate.is_file():
            return read_info(candidate)
        if candidate.is_dir():
            folder = candidate
        elif day is not None:
            wanted = day
        else:
            raise RepositoryError(
                f"Répertoire FINESS introuvable : « {setting} » n'est ni une date d'extraction "
                "importée, ni un fichier, ni un dossier (voir « esmsnum finess info »)."
            )
    stores = available(folder)
    if wanted is not None:
        match = next((s for s in stores if s.extract_date == wanted), None)
        if match is None:
            known = ", ".join(date_fr(s.extract_date) for s in stores) or "aucune"
            raise RepositoryError(
                f"L'extraction FINESS du {date_fr(wanted)} n'est pas importée dans {folder} (extractions "
                f"importées : {known}). L'importer avec « esmsnum finess importer FICHIER… »."
            )
        return match
    return stores[-1] if stores else None


# --------------------------------------------------------------------------- import (the CLI only)


@dataclass(frozen=True)
class ImportOutcome:
    info: StoreInfo
    replaced: bool  # an earlier import of the same date was replaced
    unchanged: bool  # the same files were already imported: nothing done
    seconds: float
    size_bytes: int

    @classmethod
    def already_there(cls, info: StoreInfo, store: Path, started: float) -> ImportOutcome:
        """The same files were imported already into ``store``: nothing done since ``started``."""
        return cls(
            info, replaced=False, unchanged=True, seconds=time.perf_counter() - started, size_bytes=store.stat().st_size
        )


def import_extracts(
    paths: Iterable[Path], folder: Path | None = None, progress: Progress | None = None
) -> ImportOutcome:
    """Load extract files into the store of their date. One establishments' extract, and
    optionally the legal entities' extract; a legal entities' extract alone is added to the
    store already imported for its date. An ANS JSON flux holds both, read in one streamed
    pass (``progress(bytes read, size)`` as it goes)."""
    started = time.perf_counter()
    folder = folder or default_dir()
    readers = [open_extract(Path(p)) for p in paths]
    flux = [r for r in readers if isinstance(r, FluxReader)]
    if flux and len(readers) > 1:
        raise RepositoryError(
            "Un flux JSON FINESS de l'ANS contient les établissements et les entités juridiques : l'importer seul."
        )
    et = [r for r in readers if r.info.kind == ESTABLISHMENTS]
    ej = [r for r in readers if r.info.kind == ENTITIES]
    if len(et) > 1 or len(ej) > 1:
        raise RepositoryError(
            "Importer une seule extraction à la fois : un fichier des établissements et, au "
            "besoin, le fichier des entités juridiques de la même date."
        )
    if not et:
        return _add_entities(ej[0], folder, started)
    establishments = et[0]
    target = store_path(folder, establishments.info.extract_date)
    sources = [establishments.info] + ([ej[0].info] if ej else [])
    fingerprint = _fingerprint(sources)
    previous = _existing(target)
    if previous is not None and previous.fingerprint == fingerprint:
        return ImportOutcome.already_there(previous, target, started)
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".import-", suffix=".sqlite", dir=folder)
    os.close(handle)
    temp = Path(temp_name)
    try:
        with closing(sqlite3.connect(temp)) as db:
            _create(db)
            if isinstance(establishments, FluxReader):
                count, entities = _load_flux(db, establishments, progress)
            else:
                count = _load_establishments(db, establishments)
                entities = _load_entities(db, ej[0]) if ej else 0
            _write_meta(
                db,
                sources,
                establishments.info.extract_date,
                count,
                entities,
                ej[0].info.extract_date if ej else None,
                fingerprint,
                time.perf_counter() - started,
            )
            db.commit()
        os.replace(temp, target)
    except ExtractError:
        temp.unlink(missing_ok=True)
        raise
    except (OSError, sqlite3.Error) as exc:
        temp.unlink(missing_ok=True)
        raise RepositoryError(f"Import impossible dans {folder} : {exc}") from exc
    return ImportOutcome(
        read_info(target),
        replaced=previous is not None,
        unchanged=False,
        seconds=time.perf_counter() - started,
        size_bytes=target.stat().st_size,
    )


def _existing(path: Path) -> StoreInfo | None:
    if not path.exists():
        return None
    try:
        return read_info(path)
    except (RepositoryError, KeyError, ValueError):
        return None


def _fingerprint(sources: list[ExtractFile]) -> str:
    digest = hashlib.sha256(f"schema {SCHEMA}".encode())
    for source in sorted(sources, key=lambda s: s.kind):
        digest.update(f"{source.kind}:{source.sha256}".encode())
    return digest.hexdigest()


def _create(db: sqlite3.Connection) -> None:
    db.executescript("""
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE establishment (
            finess TEXT PRIMARY KEY, finess_ej TEXT, name TEXT, long_name TEXT, department TEXT,
            department_label TEXT, commune_code TEXT, postcode TEXT, city TEXT, category TEXT,
            category_label TEXT, aggregate TEXT, aggregate_label TEXT, siret TEXT, opened TEXT, updated TEXT,
            search TEXT
        ) WITHOUT ROWID;
        CREATE TABLE entity (finess_ej TEXT PRIMARY KEY, name TEXT, long_name TEXT) WITHOUT ROWID;
    """)


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold_name(text: str) -> str:
    """Lower case, no accents, punctuation as spaces (``extractors.values.fold``, faster on
    the 100,000 names of an import)."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub(" ", text).strip()


def distinctive(text: str) -> str:
    """The words of a name that tell one establishment from another (folded), in order."""
    words = fold_name(text).split()
    kept = [w for w in words if w not in GENERIC_WORDS and len(w) > 1]
    return " ".join(dict.fromkeys(kept)) or " ".join(words)


def _search_text(e: Establishment) -> str:
    """The distinctive words of the name, long name and city: what suggestions are scored on."""
    return distinctive(f"{e.name} {e.long_name} {e.city}")


def _load_establishments(db: sqlite3.Connection, reader: ExtractReader) -> int:
    rows = (
        (*(getattr(e, c) for c in _ET_COLUMNS), _search_text(e))
        for e in (_labelled(x) if not (x.department_label and x.category_label) else x for x in reader.establishments())
    )
    placeholders = ", ".join("?" * (len(_ET_COLUMNS) + 1))
    try:
        db.executemany(f"INSERT INTO establishment VALUES ({placeholders})", rows)
    except sqlite3.IntegrityError as exc:
        raise ExtractError(f"{reader.path.name} : un numéro FINESS ET y figure deux fois ({exc}).") from exc
    db.execute("CREATE INDEX establishment_department ON establishment (department)")
    db.execute("CREATE INDEX establishment_ej ON establishment (finess_ej)")
    return db.execute("SELECT count(*) FROM establishment").fetchone()[0]


FLUX_BATCH = 5_000


def _labelled(e: Establishment) -> Establishment:
    """The labels the ANS flux leaves out (it gives codes): the reference tables' ones."""
    from dataclasses import replace

    from validators.reference import department_name, reference

    category = reference().categories.get(e.category)
    return replace(
        e,
        department_label=e.department_label or fold_name(department_name(e.department)).upper().replace(" ", "-"),
        category_label=e.category_label or (category.label if category else ""),
    )


def _load_flux(db: sqlite3.Connection, reader: FluxReader, progress: Progress | None) -> tuple[int, int]:
    """Establishments and legal entities of an ANS flux, streamed, inserted in batches."""
    placeholders = ", ".join("?" * (len(_ET_COLUMNS) + 1))
    establishments: list[tuple] = []
    entities: list[tuple] = []

    def flush() -> None:
        try:
            db.executemany(f"INSERT INTO establishment VALUES ({placeholders})", establishments)
        except sqlite3.IntegrityError as exc:
            raise ExtractError(f"{reader.path.name} : un numéro FINESS ET y figure deux fois ({exc}).") from exc
        db.executemany("INSERT OR REPLACE INTO entity VALUES (?, ?, ?)", entities)
        establishments.clear()
        entities.clear()

    for record in reader.records(progress):
        if isinstance(record, Establishment):
            e = _labelled(record)
            establishments.append((*(getattr(e, c) for c in _ET_COLUMNS), _search_text(e)))
        else:
            entities.append((record.finess_ej, record.name, record.long_name))
        if len(establishments) + len(entities) >= FLUX_BATCH:
            flush()
    flush()
    db.execute("CREATE INDEX establishment_department ON establishment (department)")
    db.execute("CREATE INDEX establishment_ej ON establishment (finess_ej)")
    return (
        db.execute("SELECT count(*) FROM establishment").fetchone()[0],
        db.execute("SELECT count(*) FROM entity").fetchone()[0],
    )


def _load_entities(db: sqlite3.Connection, reader: ExtractReader) -> int:
    rows = ((e.finess_ej, e.name, e.long_name) for e in reader.entities())
    db.executemany("INSERT OR REPLACE INTO entity VALUES (?, ?, ?)", rows)
    return db.execute("SELECT count(*) FROM entity").fetchone()[0]


def _write_meta(
    db: sqlite3.Connection,
    sources: list[ExtractFile],
    extract_date: dt.date,
    establishments: int,
    entities: int,
    entities_date: dt.date | None,
    fingerprint: str,
    seconds: float,
) -> None:
    described = [
        {
            "name": s.path.name,
            "sha256": s.sha256,
            "encoding": s.encoding,
            "kind": s.kind,
            "extract_date": s.extract_date.isoformat(),
            "format": s.format,
            "sample": s.sample,
        }
        for s in sources
    ]
    meta = {
        "schema": str(SCHEMA),
        "extract_date": extract_date.isoformat(),
        "establishments": str(establishments),
        "entities": str(entities),
        "entities_date": entities_date.isoformat() if entities_date else "",
        "sources": json.dumps(described, ensure_ascii=False),
        "fingerprint": fingerprint,
        "imported_at": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "import_seconds": f"{seconds:.3f}",
    }
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())


def _add_entities(reader: ExtractReader, folder: Path, started: float) -> ImportOutcome:
    target = store_path(folder, reader.info.extract_date)
    previous = _existing(target)
    if previous is None:
        raise RepositoryError(
            f"{reader.path.name} est l'extraction des entités juridiques du {date_fr(reader.info.extract_date)} : "
            "importer d'abord (ou en même temps) l'extraction des établissements de la même date "
            "(etalab-cs1100507-stock-….csv)."
        )
    establishments = [s for s in previous.sources if s["kind"] == ESTABLISHMENTS]
    sources_digest = [
        ExtractFile(
            Path(s["name"]),
            s["kind"],
            dt.date.fromisoformat(s["extract_date"]),
            "",
            s["encoding"],
            s["sha256"],
            s.get("format", ETALAB_CSV),
            bool(s.get("sample", False)),
        )
        for s in establishments
    ] + [reader.info]
    fingerprint = _fingerprint(sources_digest)
    if previous.fingerprint == fingerprint:
        return ImportOutcome.already_there(previous, target, started)
    try:
        with closing(sqlite3.connect(target)) as db:
            db.execute("DELETE FROM entity")
            entities = _load_entities(db, reader)
            _write_meta(
                db,
                sources_digest,
                previous.extract_date,
                previous.establishments,
                entities,
                reader.info.extract_date,
                fingerprint,
                time.perf_counter() - started,
            )
            db.commit()
    except sqlite3.Error as exc:
        raise RepositoryError(f"Import impossible dans {target} : {exc}") from exc
    return ImportOutcome(
        read_info(target),
        replaced=True,
        unchanged=False,
        seconds=time.perf_counter() - started,
        size_bytes=target.stat().st_size,
    )


# --------------------------------------------------------------------------- look-ups (the runs)


def _connect(path: Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise sqlite3.OperationalError(f"fichier absent : {path}")
    return sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, check_same_thread=False)


@dataclass(frozen=True)
class Suggestion:
    establishment: Establishment
    score: float

    def describe(self) -> str:
        """``EHPAD LES TILLEULS (FINESS 690012345, 69100 VILLEURBANNE)``."""
        e = self.establishment
        where = " ".join(p for p in (e.postcode, e.city) if p)
        return f"{e.display_name} (FINESS {e.finess}{', ' + where if where else ''})"


class FinessRepository:
    """Read-only look-ups in one imported extract. Open it for a dossier and close it after
    (``with FinessRepository(info) as repository``)."""

    def __init__(self, info: StoreInfo) -> None:
        self.info = info
        try:
            self._db = _connect(info.path)
        except sqlite3.Error as exc:
            raise RepositoryError(f"Répertoire FINESS illisible : {info.path} ({exc}).") from exc
        self._cache: dict[str, Establishment | None] = {}

    @classmethod
    def open(cls, path: str | Path) -> FinessRepository:
        return cls(read_info(Path(path)))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def has_entities(self) -> bool:
        return self.info.entities > 0

    def establishments(self, numbers: Iterable[str]) -> dict[str, Establishment]:
        """The establishments of these FINESS ET numbers that the repository holds (one query)."""
        numbers = list(numbers)
        wanted = sorted({n for n in numbers if n and n not in self._cache})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self._db.execute(
                f"SELECT {', '.join(_ET_COLUMNS)} FROM establishment WHERE finess IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            found = {row[0]: Establishment(*row) for row in rows}
            for number in chunk:
                self._cache[number] = found.get(number)
        return {n: e for n in numbers if (e := self._cache.get(n)) is not None}

    def establishment(self, finess: str) -> Establishment | None:
        return self.establishments([finess]).get(finess)

    def entity(self, finess_ej: str) -> LegalEntity | None:
        if not finess_ej:
            return None
        row = self._db.execute(
            "SELECT finess_ej, name, long_name FROM entity WHERE finess_ej = ?", (finess_ej,)
        ).fetchone()
        return LegalEntity(*row) if row else None

    def managed_by(self, finess_ej: str) -> list[Establishment]:
        """The establishments a legal entity manages (indexed)."""
        rows = self._db.execute(
            f"SELECT {', '.join(_ET_COLUMNS)} FROM establishment WHERE finess_ej = ?", (finess_ej,)
        ).fetchall()
        return [Establishment(*row) for row in rows]

    def suggestions(
        self, name: str, departments: Iterable[str], managers: Iterable[str] = (), limit: int = SUGGESTIONS
    ) -> list[Suggestion]:
        """The establishments closest by name (and commune, part of what is scored) to ``name``,
        among those of ``departments`` and of the legal entities ``managers``."""
        query = distinctive(name)
        if not query:
            return []
        choices: dict[str, str] = {}
        for department in sorted({d for d in departments if d}):
            for finess, text in self._db.execute(
                "SELECT finess, search FROM establishment WHERE department = ?", (department,)
            ):
                choices[finess] = text
        for manager in sorted({m for m in managers if m}):
            for finess, text in self._db.execute(
                "SELECT finess, search FROM establishment WHERE finess_ej = ?", (manager,)
            ):
                choices[finess] = text
        if not choices:
            return []
        best = process.extract(query, choices, scorer=fuzz.token_set_ratio, limit=limit, score_cutoff=SUGGESTION_CUTOFF)
        found = self.establishments([key for _, _, key in best])
        return [Suggestion(found[key], round(score, 1)) for _, score, key in best if key in found]


def iter_establishments(path: Path) -> Iterator[Establishment]:
    """Every establishment of a store (for tests and the benchmark, not for runs)."""
    with closing(_connect(path)) as db:
        for row in db.execute(f"SELECT {', '.join(_ET_COLUMNS)} FROM establishment"):
            yield Establishment(*row)
