"""Labels and structured private annotations of a call's dossiers (« labels » and « annotations
privées », as in Démarches simplifiées).

- A label belongs to a call (« Logiciel Ségur vérifié », « Convention signée »), with a colour
  of the DSFR tag palette; an instructeur sets it on a dossier or takes it off. Every change is
  a new row (who, when): the dossier's labels are those whose latest change put them on.
- An annotation field belongs to a call: a label and a type (case à cocher, date, texte,
  montant). A call starts with two (``DEFAULT_FIELDS``). Every value entered is a new row
  (author, date): the chronology shows every version, the page and the exports the latest.

Private: shown to the team and in the exports, never in what the owner receives (the letter,
the report written for the owner).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.french import date_long, euros
from core.records import aware, now
from instruction.timeline import Entry

# The illustrative colours of DSFR's tags (``fr-tag--<colour>``), with their French names.
COLOURS = {
    "green-emeraude": "Vert émeraude",
    "blue-ecume": "Bleu écume",
    "purple-glycine": "Violet glycine",
    "pink-tuile": "Rose tuile",
    "yellow-tournesol": "Jaune tournesol",
    "orange-terre-battue": "Orange terre battue",
    "brown-cafe-creme": "Brun café crème",
    "beige-gris-galet": "Beige gris galet",
    "green-archipel": "Vert archipel",
    "blue-cumulus": "Bleu cumulus",
}
KINDS = {"case": "Case à cocher", "date": "Date", "texte": "Texte", "montant": "Montant"}
DEFAULT_FIELDS = (("Logiciel référencé Ségur vérifié", "case"), ("Convention signée le", "date"))
MAX_TEXT = 2000
LABEL_NAME = re.compile(r"^.{2,60}$")

annotation_tables = MetaData()

labels = Table(
    "labels",
    annotation_tables,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("name", String(100), nullable=False),
    Column("colour", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("call_id", "name", name="uq_label_name"),
)

dossier_labels = Table(
    "dossier_labels",
    annotation_tables,  # append-only: each row puts a label on a dossier or takes it off
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("label_id", Integer, nullable=False),
    Column("put_on", Integer, nullable=False),  # 1: put on, 0: taken off
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

annotation_fields = Table(
    "annotation_fields",
    annotation_tables,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("label", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("call_id", "label", name="uq_annotation_field"),
)

annotations = Table(
    "annotations",
    annotation_tables,  # append-only: every version of every value
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("field_id", Integer, nullable=False),
    Column("value", Text),  # « oui »/« non », an ISO date, a text, an amount in euros; null: emptied
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_dossier_labels_dossier", dossier_labels.c.call_id, dossier_labels.c.dossier)
Index("ix_annotations_dossier", annotations.c.call_id, annotations.c.dossier)


class AnnotationError(Exception):
    """Why a label or an annotation is refused (French)."""


@dataclass(frozen=True)
class Label:
    id: int
    call_id: str
    name: str
    colour: str


@dataclass(frozen=True)
class Field:
    id: int
    call_id: str
    label: str
    kind: str

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Version:
    """One value entered for a field of a dossier."""

    id: int
    dossier: str
    field_id: int
    value: str | None
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class LabelChange:
    id: int
    dossier: str
    label_id: int
    on: bool
    author: str
    created_at: dt.datetime


def shown(kind: str, value: str | None) -> str:
    """A value as the team reads it (French)."""
    if value is None or value == "":
        return "—"
    if kind == "case":
        return "Oui" if value == "oui" else "Non"
    if kind == "date":
        try:
            return date_long(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if kind == "montant":
        try:
            return euros(float(value))
        except ValueError:
            return value
    return value


class Annotations:
    """Labels and annotations of one history database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        annotation_tables.create_all(engine)

    # ------------------------------------------------------------------ labels
    def create_label(self, call_id: str, name: str, colour: str, author: str) -> Label:
        name = " ".join((name or "").split())
        if not LABEL_NAME.match(name):
            raise AnnotationError("Nom de label invalide : 2 à 60 caractères.")
        if colour not in COLOURS:
            raise AnnotationError("Couleur inconnue : choisissez-en une de la liste.")
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(labels).values(
                        call_id=call_id, name=name, colour=colour, created_by=author, created_at=now()
                    )
                )
        except IntegrityError:
            raise AnnotationError(f"Le label « {name} » existe déjà pour cet appel.") from None
        return next(label for label in self.labels(call_id) if label.name == name)

    def labels(self, call_id: str) -> list[Label]:
        query = select(labels).where(labels.c.call_id == call_id).order_by(labels.c.name)
        with self.engine.connect() as conn:
            return [Label(r["id"], r["call_id"], r["name"], r["colour"]) for r in conn.execute(query).mappings()]

    def set_label(self, call_id: str, dossier: str, label_id: int, on: bool, author: str) -> bool:
        """Put the label on the dossier (``on``) or take it off; False when it already was so."""
        if label_id not in {label.id for label in self.labels(call_id)}:
            raise AnnotationError("Label inconnu pour cet appel.")
        if (label_id in self.dossier_label_ids(call_id).get(dossier, set())) == on:
            return False
        with self.engine.begin() as conn:
            conn.execute(
                insert(dossier_labels).values(
                    call_id=call_id, dossier=dossier, label_id=label_id, put_on=int(on), author=author, created_at=now()
                )
            )
        return True

    def label_changes(self, call_id: str, dossier: str | None = None) -> list[LabelChange]:
        query = select(dossier_labels).where(dossier_labels.c.call_id == call_id).order_by(dossier_labels.c.id)
        if dossier is not None:
            query = query.where(dossier_labels.c.dossier == dossier)
        with self.engine.connect() as conn:
            return [
                LabelChange(
                    r["id"], r["dossier"], r["label_id"], bool(r["put_on"]), r["author"], aware(r["created_at"])
                )
                for r in conn.execute(query).mappings()
            ]

    def dossier_label_ids(self, call_id: str) -> dict[str, set[int]]:
        """Each dossier's labels (ids) now."""
        latest: dict[tuple[str, int], bool] = {}
        for change in self.label_changes(call_id):
            latest[(change.dossier, change.label_id)] = change.on
        out: dict[str, set[int]] = {}
        for (dossier, label_id), on in latest.items():
            if on:
                out.setdefault(dossier, set()).add(label_id)
        return out

    def dossier_labels(self, call_id: str) -> dict[str, list[Label]]:
        """Each dossier's labels now, by name."""
        by_id = {label.id: label for label in self.labels(call_id)}
        return {
            dossier: sorted((by_id[i] for i in ids if i in by_id), key=lambda label: label.name)
            for dossier, ids in self.dossier_label_ids(call_id).items()
        }

    # ------------------------------------------------------------------ annotation fields
    def fields(self, call_id: str) -> list[Field]:
        """The call's fields, in the order created; the two defaults on first use."""
        query = select(annotation_fields).where(annotation_fields.c.call_id == call_id).order_by(annotation_fields.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        if not rows:
            for label, kind in DEFAULT_FIELDS:
                with contextlib.suppress(AnnotationError):  # added by another writer meanwhile
                    self.add_field(call_id, label, kind, "esmsnum (champs par défaut)")
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        return [Field(r["id"], r["call_id"], r["label"], r["kind"]) for r in rows]

    def add_field(self, call_id: str, label: str, kind: str, author: str) -> Field:
        label = " ".join((label or "").split())[:200]
        if len(label) < 2:
            raise AnnotationError("Nom du champ invalide : 2 caractères au moins.")
        if kind not in KINDS:
            raise AnnotationError("Type de champ inconnu.")
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    insert(annotation_fields).values(
                        call_id=call_id, label=label, kind=kind, created_by=author, created_at=now()
                    )
                )
        except IntegrityError:
            raise AnnotationError(f"Le champ « {label} » existe déjà pour cet appel.") from None
        return Field(int(result.inserted_primary_key[0]), call_id, label, kind)

    # ------------------------------------------------------------------ values
    def versions(self, call_id: str, dossier: str | None = None) -> list[Version]:
        query = select(annotations).where(annotations.c.call_id == call_id).order_by(annotations.c.id)
        if dossier is not None:
            query = query.where(annotations.c.dossier == dossier)
        with self.engine.connect() as conn:
            return [
                Version(r["id"], r["dossier"], r["field_id"], r["value"], r["author"], aware(r["created_at"]))
                for r in conn.execute(query).mappings()
            ]

    def values(self, call_id: str) -> dict[str, dict[int, Version]]:
        """Each dossier's latest value of each field."""
        out: dict[str, dict[int, Version]] = {}
        for v in self.versions(call_id):
            out.setdefault(v.dossier, {})[v.field_id] = v
        return out

    def record(self, call_id: str, dossier: str, entered: dict[int, str | None], author: str) -> list[Field]:
        """The values entered on the dossier page (field id → value, checked by ``parse``): a new
        version of each that changed. The fields changed, in order."""
        fields = {f.id: f for f in self.fields(call_id)}
        current = {fid: v.value for fid, v in self.values(call_id).get(dossier, {}).items()}
        changed = [
            fields[fid]
            for fid, value in entered.items()
            if fid in fields
            and (current.get(fid) or None) != value
            and not (fields[fid].kind == "case" and current.get(fid) is None and value == "non")  # never ticked
        ]
        if changed:
            created = now()
            with self.engine.begin() as conn:
                for field in changed:
                    conn.execute(
                        insert(annotations).values(
                            call_id=call_id,
                            dossier=dossier,
                            field_id=field.id,
                            value=entered[field.id],
                            author=author,
                            created_at=created,
                        )
                    )
        return changed


def parse(kind: str, raw: str | None, amount: Any) -> str | None:
    """A value typed in the form, as kept (``amount``: the French amount parser)."""
    text = (raw or "").strip()
    if kind == "case":
        return "oui" if text == "oui" else "non"
    if not text:
        return None
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise AnnotationError(f"Date illisible : {text[:40]} (attendu : jj/mm/aaaa).") from None
    if kind == "montant":
        try:
            value = amount(text[:40])
        except ValueError:
            raise AnnotationError(f"Montant illisible : {text[:40]} (exemple : 12 500,50).") from None
        return None if value is None else f"{value:.2f}"
    return text[:MAX_TEXT]


def annotation_entries(store: Annotations, call_id: str, dossier: str) -> list[Entry]:
    """The dossier's chronology of its labels and private annotations: every version."""
    out = []
    names = {label.id: label.name for label in store.labels(call_id)}
    for change in store.label_changes(call_id, dossier):
        name = names.get(change.label_id, "label supprimé")
        title = f"Label « {name} » posé" if change.on else f"Label « {name} » retiré"
        out.append(Entry(change.created_at, change.author, "label", title))
    fields = {f.id: f for f in store.fields(call_id)}
    previous: dict[int, str | None] = {}
    for v in store.versions(call_id, dossier):
        field = fields.get(v.field_id)
        if field is None:
            continue
        before = shown(field.kind, previous.get(v.field_id))
        title = f"Annotation privée « {field.label} » : {shown(field.kind, v.value)} (avant : {before})"
        out.append(Entry(v.created_at, v.author, "annotation", title))
        previous[v.field_id] = v.value
    return out
