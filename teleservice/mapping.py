"""Champs of a Démarches simplifiées dossier → the fields of ``dossier.json``.

The call configuration's ``ds.champs`` maps a champ (its label, or its id) to a key of
dossier.json (dossier-format.md). A label matches whatever its case, accents and punctuation
(« Montant total demandé » = « montant total demande »); an id matches exactly (the
champ's ``id`` or its ``champDescriptorId``, stable across dossiers). Values are kept as
the téléservice gives them (text as text, a number as a number, Oui/Non as a boolean): the
pipeline's rules parse them as they parse a form typed by hand.

The dossier's number and deposit date come from the dossier itself (``number``,
``dateDepot``); the SIRET and name of a demandeur « personne morale » fill the owner's
fields the champs leave empty.
"""

from __future__ import annotations

from typing import Any

from core.config import CallConfig
from core.french import FORM_FIELD_LABELS, form_field_label
from extractors.form import EXTRA_FORM_LABELS, form_labels
from extractors.values import fold

#: Keys set from the dossier itself, never from a champ.
FROM_DOSSIER = ("numero", "date_depot")


def known_fields() -> set[str]:
    """The dossier.json keys the pipeline reads (its form labels and the contact's fields)."""
    return (set(form_labels()) | set(FORM_FIELD_LABELS)) - set(FROM_DOSSIER)


def field_label(key: str) -> str:
    """The online form's name of a dossier.json key (« Montant total demandé »)."""
    if key in FORM_FIELD_LABELS:
        return FORM_FIELD_LABELS[key]
    if key in EXTRA_FORM_LABELS:
        return EXTRA_FORM_LABELS[key][0]
    return form_field_label(key)


def check_section(config: CallConfig) -> list[str]:
    """What is wrong with the call's ``ds`` section (French), [] when it can be used."""
    ds = config.ds
    if ds is None:
        return ["section « ds » absente : le connecteur Démarches simplifiées ne sait pas lire cette démarche"]
    problems = []
    fields = known_fields()
    seen: dict[str, str] = {}
    folded: dict[str, str] = {}
    for champ, field in ds.champs.value.items():
        if not champ.strip():
            problems.append("clé « ds.champs » : un libellé de champ est vide")
            continue
        if field in FROM_DOSSIER:
            problems.append(
                f"clé « ds.champs » : « {champ} » → {field} : ce champ du formulaire vient du dossier "
                "lui-même (numéro, date de dépôt), pas d'un champ de la démarche"
            )
        elif field not in fields:
            problems.append(
                f"clé « ds.champs » : « {champ} » → {field} : champ du formulaire inconnu "
                f"(connus : {', '.join(sorted(fields))})"
            )
        if field in seen:
            problems.append(f"clé « ds.champs » : « {seen[field]} » et « {champ} » remplissent tous deux {field}")
        seen.setdefault(field, champ)
        key = fold(champ)
        if key in folded and folded[key] != champ:
            problems.append(f"clé « ds.champs » : « {folded[key]} » et « {champ} » sont le même libellé")
        folded.setdefault(key, champ)
    unknown_verdicts = set(ds.labels.value) - {"recevable", "a_completer", "non_recevable"}
    if unknown_verdicts:
        problems.append(
            f"clé « ds.labels » : verdicts inconnus {', '.join(sorted(unknown_verdicts))} "
            "(attendus : recevable, a_completer, non_recevable)"
        )
    if not ds.annotation.value.strip():
        problems.append("clé « ds.annotation » : le libellé de l'annotation privée est vide")
    return problems


class ChampMap:
    """The call's mapping, ready to match champs."""

    def __init__(self, config: CallConfig) -> None:
        if config.ds is None:
            raise ValueError("no ds section")
        self.by_text = dict(config.ds.champs.value)
        self.by_fold = {fold(champ): field for champ, field in config.ds.champs.value.items()}

    def field_of(self, champ: dict[str, Any]) -> str | None:
        for key in (champ.get("id"), champ.get("champDescriptorId")):
            if key and key in self.by_text:
                return self.by_text[key]
        return self.by_fold.get(fold(champ.get("label") or ""))

    def rows(self) -> list[tuple[str, str]]:
        """(champ label or id, form field), in the configuration's order."""
        return list(self.by_text.items())


def champ_value(champ: dict[str, Any]) -> Any:
    """The value of a champ as the téléservice typed it (see the aliases of ``CHAMP_FIELDS``)."""
    kind = champ.get("__typename")
    if kind == "IntegerNumberChamp" and champ.get("integer") is not None:
        try:
            return int(champ["integer"])  # BigInt travels as a string
        except (TypeError, ValueError):
            return champ.get("stringValue")
    for alias in ("decimal", "yesNo", "checkbox", "text", "choice"):
        if alias in champ and champ[alias] is not None:
            return champ[alias]
    if kind == "DateChamp" and champ.get("date"):
        return champ["date"]
    return champ.get("stringValue")


def form_of(dossier: dict[str, Any], mapping: ChampMap) -> tuple[dict[str, Any], set[str]]:
    """dossier.json of a dossier of the API, and the labels of the champs left unmapped."""
    flat: dict[str, Any] = {"numero": str(dossier["number"]), "date_depot": dossier.get("dateDepot")}
    unmapped: set[str] = set()
    for champ in dossier.get("champs") or []:
        if champ.get("__typename") in ("PieceJustificativeChamp", "HeaderSectionChamp", "RepetitionChamp"):
            continue
        field = mapping.field_of(champ)
        if field is None:
            unmapped.add(champ.get("label") or champ.get("id") or "?")
            continue
        value = champ_value(champ)
        if value is not None and value != "":
            flat[field] = value
    demandeur = dossier.get("demandeur") or {}
    if demandeur.get("siret"):
        flat.setdefault("porteur.siret", demandeur["siret"])
    name = (demandeur.get("entreprise") or {}).get("raisonSociale")
    if name:
        flat.setdefault("porteur.raison_sociale", name)
    return _nest(flat), unmapped


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"porteur.siret": x}`` → ``{"porteur": {"siret": x}}``, in dossier-format.md's order."""
    order = ["numero", "appel", "date_depot", "porteur", "type_projet", "nb_essms_declare", "montant_demande"]
    keys = sorted(flat, key=lambda k: (order.index(k.split(".")[0]) if k.split(".")[0] in order else len(order), k))
    out: dict[str, Any] = {}
    for key in keys:
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = flat[key]
    return out
