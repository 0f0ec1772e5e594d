"""Call configurations: shipped calls load; a malformed one is refused naming the key."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from core.config import CALLS_DIR, ConfigError, available_calls
from validators.engine import load_call


def test_shipped_calls_load_with_their_facts():
    assert {"cnsa-2022-national", "ars-ara-2022-regional"} <= set(available_calls())
    national = load_call("cnsa-2022-national")
    assert national.channel == "national" and national.region is None
    assert national.submission.opens.value == dt.date(2022, 5, 18)
    assert national.submission.closes.value == dt.date(2022, 7, 18)
    assert national.funding.tier_from_rank.value == 50
    regional = load_call("ars-ara-2022-regional")
    assert regional.submission.closes.value == dt.date(2022, 9, 30)
    assert regional.region.departments.value == ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"]
    for config in (national, regional):
        assert config.programme_window.end.value == dt.date(2025, 12, 31)
        assert len(config.config_hash) == 64


def test_every_value_has_a_source():
    for path in CALLS_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))

        def walk(node, key=""):
            if isinstance(node, dict):
                if "value" in node:
                    assert node.get("source"), f"{path.name}: {key} has no source"
                    return
                for k, v in node.items():
                    walk(v, f"{key}.{k}" if key else k)

        walk(data)


def _write_variant(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((CALLS_DIR / "ars-ara-2022-regional.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "call.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "mutate, key, reason",
    [
        (lambda d: d["grouping"]["min_essms"].update(value="quinze"), "grouping.min_essms.value", "entier"),
        (lambda d: d["grouping"].pop("min_essms"), "grouping.min_essms", "manquante"),
        (lambda d: d["funding"].update(plafond_inconnu={"value": 1, "source": "x" * 5}), "funding.plafond_inconnu", "inconnue"),
        (lambda d: d["programme_window"]["end"].update(value="fin 2025"), "programme_window.end.value", "date"),
        (lambda d: d["grouping"]["min_essms"].pop("source"), "grouping.min_essms.source", "manquante"),
        (lambda d: d["rules"].update({"XYZ-99": {"enabled": False}}), "rules.XYZ-99", "règle inconnue"),
        (lambda d: d.update(region=None), "region", "départements"),
    ],
)
def test_malformed_configuration_is_refused_with_the_key(tmp_path, mutate, key, reason):
    with pytest.raises(ConfigError) as error:
        load_call(_write_variant(tmp_path, mutate))
    message = str(error.value)
    assert f"« {key} »" in message and reason in message


def test_unknown_call_lists_the_known_ones():
    with pytest.raises(ConfigError, match="Appels disponibles : .*cnsa-2022-national"):
        load_call("aap-imaginaire")
