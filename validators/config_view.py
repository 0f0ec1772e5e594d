"""A rule's view of the call configuration: only the keys the rule declares.

A rule declares the configuration keys it reads (``params``, dotted paths such as
``funding.amount_tolerance``); the engine hands its check a ``ConfigView`` that returns those
keys and refuses any other, so that the documentation generated from the declarations
(docs/rules.md, « Paramètres lus ») cannot lie — in the spirit of sqlfluff's
``config_keywords``. A ``ReadLog`` records what each rule read (and tried to read), for the
tests that keep the declarations exact.
"""

from __future__ import annotations

import types
import typing
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from core.config import CallConfig


class UndeclaredParameter(LookupError):
    """A rule read a configuration key it does not declare in its ``params``.

    Not an ``AttributeError``: ``getattr(view, key, default)`` must not hide it."""

    def __init__(self, rule_id: str, key: str, declared: Iterable[str]):
        self.rule_id, self.key = rule_id, key
        listed = ", ".join(declared) or "none"
        super().__init__(
            f"rule {rule_id} reads the call configuration key {key!r}, which it does not declare "
            f"in its params (declared: {listed}): add it to the rule's @rule(params=...)"
        )


@dataclass
class ReadLog:
    """What rules read through their views: declared keys read, undeclared keys attempted."""

    read: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    undeclared: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


class ConfigView:
    """The call configuration seen through a rule's declared keys.

    ``view.funding.amount_tolerance`` is the configuration's own value when the rule declares
    ``funding.amount_tolerance``; ``view.funding`` is a narrower view when a declared key lies
    below it (or ``None`` when the configuration has no such section, e.g. ``region`` in a
    national call); any other attribute raises ``UndeclaredParameter``.
    """

    __slots__ = ("_log", "_node", "_params", "_path", "_rule_id")

    def __init__(
        self, config: Any, rule_id: str, params: Iterable[str], log: ReadLog | None = None, _path: str = ""
    ) -> None:
        object.__setattr__(self, "_node", config)
        object.__setattr__(self, "_path", _path)
        object.__setattr__(self, "_rule_id", rule_id)
        object.__setattr__(self, "_params", tuple(params))
        object.__setattr__(self, "_log", log)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # copy, pickle and friends probe dunders
        path = f"{self._path}.{name}" if self._path else name
        if path in self._params:
            if self._log is not None:
                self._log.read[self._rule_id].add(path)
            return getattr(self._node, name)
        if any(p.startswith(path + ".") for p in self._params):
            value = getattr(self._node, name)
            return None if value is None else ConfigView(value, self._rule_id, self._params, self._log, path)
        if self._log is not None:
            self._log.undeclared[self._rule_id].add(path)
        raise UndeclaredParameter(self._rule_id, path, self._params)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a configuration view is read-only")

    def __repr__(self) -> str:
        return f"<ConfigView of {self._rule_id} at {self._path or '(call)'}: {', '.join(self._params)}>"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model behind an annotation (``Region | None`` → ``Region``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [m for a in typing.get_args(annotation) if (m := _model_of(a)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def unknown_params(params: Iterable[str]) -> list[str]:
    """The declared keys that are not keys of a call configuration (``CallConfig``)."""
    unknown = []
    for param in params:
        model: type[BaseModel] | None = CallConfig
        for part in param.split("."):
            if model is None or part not in model.model_fields:
                unknown.append(param)
                break
            model = _model_of(model.model_fields[part].annotation)
    return unknown
