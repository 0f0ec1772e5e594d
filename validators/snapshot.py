"""The snapshot of a call configuration that a run copies into every report (``CallSnapshot``):
what the renderers show of the call — window, letterhead, envelope, the severity the call gives
each rule, and every sourced value by its dotted key — so that no renderer reads the
configuration again."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from core.config import CallConfig
from core.report import CallSnapshot, LetterSettings, RuleSnapshot, SourcedValue, SubmissionWindow


def call_snapshot(config: CallConfig) -> CallSnapshot:
    from validators.registry import all_rules

    window = config.submission
    letters = config.letter_settings()
    rules = {}
    for rule in all_rules().values():
        setting = config.rule_setting(rule.id)
        rules[rule.id] = RuleSnapshot(
            enabled=setting.enabled,
            severity=setting.severity or rule.severity,
            default_severity=rule.severity,
            source=setting.source,
        )
    return CallSnapshot(
        id=config.id,
        reference=config.reference,
        title=config.title,
        authority=config.authority,
        channel=config.channel,
        config_sha256=config.config_hash,
        region=config.region.name.value if config.region else None,
        departments=list(config.region.departments.value) if config.region else [],
        submission=SubmissionWindow(
            opens=window.opens.value,
            opens_source=window.opens.source,
            closes=window.closes.value,
            closes_source=window.closes.source,
            resubmission_closes=window.resubmission_closes.value,
            resubmission_closes_source=window.resubmission_closes.source,
        ),
        required_documents=list(config.documents.required.value),
        required_documents_source=config.documents.required.source,
        letters=LetterSettings(
            sender=letters.sender.value,
            sender_source=letters.sender.source,
            **{
                key: _value(getattr(letters, key))
                for key in ("service", "address", "followed_by", "signatory", "place")
            },
            reply_days=letters.reply_days.value,
            reply_days_source=letters.reply_days.source,
        ),
        envelope=config.history.envelope.value,
        envelope_source=config.history.envelope.source,
        rules=rules,
        values=dict(_leaves("", config)),
        programme=config.programme_year.label if config.programme_year else None,
    )


def _value(node: Any) -> Any:
    return node.value if node is not None else None


def _is_sourced(node: Any) -> bool:
    return isinstance(node, BaseModel) and {"value", "source"} <= set(type(node).model_fields)


def _leaves(path: str, node: Any):
    """(dotted key, value with its source) of every sourced value under ``node``."""
    if _is_sourced(node):
        yield path, SourcedValue.model_validate(node.model_dump(mode="json"))
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            if name in ("config_hash", "config_path", "limits", "rules"):
                continue
            yield from _leaves(f"{path}.{name}" if path else name, getattr(node, name))
