"""The header vocabulary (``headers.yaml``) as data structures: table kinds with their
fields' usual wordings, and each field's meaning (role, key words, hints, excluded words).

Words are folded (``values.fold``). A pattern is a word (``finess``), a stem (``editeur*``)
or, for keys, a conjunction (``fonds+propre*``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from extractors.values import fold

HEADERS_FILE = Path(__file__).with_name("headers.yaml")

#: Roles of a field, grouped by what a column of that role holds.
ROLE_FAMILY = {
    "amount": "amount",
    "identifier": "identifier",
    "name": "text",
    "text": "text",
    "type": "text",
    "date": "date",
    "number": "number",
    "bool": "bool",
    "percent": "percent",
    "code": "code",
}


@dataclass(frozen=True)
class Key:
    parts: tuple[str, ...]  # patterns that must all be in the header
    weight: float


@dataclass(frozen=True)
class Meaning:
    field: str
    label: str  # French, for the report
    role: str
    keys: tuple[Key, ...]
    hints: frozenset[str]
    excluded: frozenset[str]

    @property
    def family(self) -> str:
        return ROLE_FAMILY[self.role]

    @cached_property
    def key_patterns(self) -> frozenset[str]:
        return frozenset(p for k in self.keys for p in k.parts)


@dataclass(frozen=True)
class TableKind:
    name: str
    label: str  # French, for the report
    document: str
    min_fields: int
    required: tuple[str, ...]
    one_of: tuple[str, ...]
    synonyms: dict[str, tuple[str, ...]]  # field → folded synonyms


@dataclass(frozen=True)
class HeaderCatalogue:
    kinds: dict[str, TableKind]
    shared_fields: frozenset[str]
    total_words: tuple[str, ...]
    form_labels: dict[str, tuple[str, ...]]
    meanings: dict[str, Meaning]
    role_cues: dict[str, frozenset[str]]  # role family → patterns
    stopwords: frozenset[str]

    @property
    def patterns(self) -> frozenset[str]:
        """Every pattern of the vocabulary (for the per-word lookup)."""
        out: set[str] = set()
        for meaning in self.meanings.values():
            out |= meaning.key_patterns | meaning.hints | meaning.excluded
        for cues in self.role_cues.values():
            out |= cues
        return frozenset(out)


def _patterns(words) -> frozenset[str]:
    return frozenset(_pattern(w) for w in words or ())


def _pattern(word: str) -> str:
    star = word.endswith("*")
    folded = fold(word.rstrip("*"))
    return folded + ("*" if star else "")


def _keys(spec: dict) -> tuple[Key, ...]:
    return tuple(
        Key(tuple(_pattern(p) for p in str(name).split("+")), float(weight)) for name, weight in (spec or {}).items()
    )


@lru_cache(maxsize=1)
def catalogue() -> HeaderCatalogue:
    data = yaml.safe_load(HEADERS_FILE.read_text(encoding="utf-8"))
    kinds = {}
    for name, spec in data["tables"].items():
        kinds[name] = TableKind(
            name=name,
            label=spec["label"],
            document=spec["document"],
            min_fields=spec["min_fields"],
            required=tuple(spec["required"]),
            one_of=tuple(spec.get("one_of", ())),
            synonyms={f: tuple(fold(s) for s in syns) for f, syns in spec["fields"].items()},
        )
    counts = Counter(f for k in kinds.values() for f in k.synonyms)
    meanings = {
        name: Meaning(
            name,
            spec["label"],
            spec["role"],
            _keys(spec.get("keys")),
            _patterns(spec.get("hints")),
            _patterns(spec.get("not")),
        )
        for name, spec in data["meanings"].items()
    }
    missing = {f for k in kinds.values() for f in k.synonyms} - set(meanings)
    if missing:
        raise ValueError(f"headers.yaml: fields without a meaning: {sorted(missing)}")
    cues = {ROLE_FAMILY[role]: _patterns(words) for role, words in data["role_cues"].items()}
    return HeaderCatalogue(
        kinds=kinds,
        shared_fields=frozenset(f for f, n in counts.items() if n > 1),
        total_words=tuple(fold(w) for w in data["total_row_words"]),
        form_labels={k: tuple(fold(s) for s in v) for k, v in data["form_labels"].items()},
        meanings=meanings,
        role_cues=cues,
        stopwords=frozenset(fold(w) for w in data["stopwords"]),
    )
