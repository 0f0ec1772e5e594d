"""Call configurations: shipped calls load; a malformed one is refused naming the key."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from core.config import CALLS_DIR, ConfigError, available_calls, inherit_programme
from validators.engine import load_call


def test_shipped_calls_load_with_their_facts():
    assert {"cnsa-2022-national", "ars-ara-2022-regional"} <= set(available_calls())
    national = load_call("cnsa-2022-national")
    assert national.channel == "national" and national.region is None
    paris = ZoneInfo("Europe/Paris")
    # a plain date in the YAML: opens at 00:00 and closes at 23:59:59 that day, Paris time
    assert national.submission.opens.value == dt.datetime(2022, 5, 18, 0, 0, tzinfo=paris)
    assert national.submission.closes.value == dt.datetime(2022, 7, 18, 23, 59, 59, tzinfo=paris)
    assert national.submission.resubmission_closes.value == dt.datetime(2022, 6, 6, 23, 59, 59, tzinfo=paris)
    assert national.funding.tier_from_rank.value == 50
    regional = load_call("ars-ara-2022-regional")
    assert regional.submission.closes.value == dt.datetime(2022, 9, 30, 23, 59, 59, tzinfo=paris)
    assert regional.submission.closes.value.utcoffset() == dt.timedelta(hours=2)  # summer time
    assert regional.submission.resubmission_closes.value is None
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
    """The shipped call with its programme year written out in full, then ``mutate``d."""
    path = CALLS_DIR / "ars-ara-2022-regional.yaml"
    data, _ = inherit_programme(yaml.safe_load(path.read_text(encoding="utf-8")), path)
    for key in ("programme", "programme_year"):
        data.pop(key)
    mutate(data)
    path = tmp_path / "call.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "mutate, key, reason",
    [
        (lambda d: d["grouping"]["min_essms"].update(value="quinze"), "grouping.min_essms.value", "entier"),
        (lambda d: d["grouping"].pop("min_essms"), "grouping.min_essms", "manquante"),
        (
            lambda d: d["funding"].update(plafond_inconnu={"value": 1, "source": "x" * 5}),
            "funding.plafond_inconnu",
            "inconnue",
        ),
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


@pytest.mark.parametrize(
    "opens, closes, expected_opens, expected_closes",
    [
        # a date-time with its offset is kept as that moment, shown in Paris time
        ("2022-03-15T09:00:00+01:00", "2022-09-30T12:00:00+02:00", (2022, 3, 15, 9, 0, 0), (2022, 9, 30, 12, 0, 0)),
        # a date-time without offset is Paris time (winter in March, summer in September)
        ("2022-03-15 09:00", "2022-09-30 12:00", (2022, 3, 15, 9, 0, 0), (2022, 9, 30, 12, 0, 0)),
        # an offset in UTC is converted to Paris time
        ("2022-03-15T08:00:00Z", "2022-09-30T10:00:00Z", (2022, 3, 15, 9, 0, 0), (2022, 9, 30, 12, 0, 0)),
    ],
)
def test_submission_date_times_are_paris_time(tmp_path, opens, closes, expected_opens, expected_closes):
    def mutate(d):
        d["submission"]["opens"]["value"] = opens
        d["submission"]["closes"]["value"] = closes

    submission = load_call(_write_variant(tmp_path, mutate)).submission
    paris = ZoneInfo("Europe/Paris")
    assert submission.opens.value == dt.datetime(*expected_opens, tzinfo=paris)
    assert submission.closes.value == dt.datetime(*expected_closes, tzinfo=paris)


@pytest.mark.parametrize(
    "mutate, key, reason",
    [
        (lambda d: d["submission"]["closes"].update(value="fin septembre"), "submission.closes.value", "date"),
        (
            lambda d: d["submission"].update(resubmission_closes={"value": "2022-01-10", "source": "seed 001"}),
            "submission.resubmission_closes",
            "entre l'ouverture et la clôture",
        ),
        (lambda d: d["submission"]["opens"].update(value="2022-10-01"), "submission.opens", "suit la date de clôture"),
    ],
)
def test_malformed_submission_dates_are_refused(tmp_path, mutate, key, reason):
    with pytest.raises(ConfigError) as error:
        load_call(_write_variant(tmp_path, mutate))
    message = str(error.value)
    assert f"« {key} »" in message and reason in message


def test_unknown_call_lists_the_known_ones():
    with pytest.raises(ConfigError, match="Appels disponibles : .*cnsa-2022-national"):
        load_call("aap-imaginaire")
