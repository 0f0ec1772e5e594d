"""Programme years: each call inherits the sourced rules of its year (calls/programme/), and
the same dossier gets the outcome of the year it is judged under — forfaits, channel, equipment
cap, deadline (docs/calls.md)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import esmsnum
from core.config import CALLS_DIR, available_calls, available_programmes, load_call
from judging.analysis import analyse_dossiers

ROOT = Path(__file__).resolve().parents[1]
SOURCE_CALL = "ars-ara-2022-regional"
CASES = ("clean-workbook", "clean-limites-budget", "GRP-04-regional", "GRP-05")


@pytest.fixture(scope="module")
def dossiers(tmp_path_factory) -> dict[str, Path]:
    """Real-shaped dossiers of the 2022 regional call, by case: a clean one, one at the 2022
    limits (20 000 € of equipment for a small organisme's ESSMS), one of 52 ESSMS of one
    region, one with an ESSMS of another region."""
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("annees")
    generate(out, calls=[SOURCE_CALL], only=list(CASES))
    expected = json.loads((out / SOURCE_CALL / "expected.json").read_text(encoding="utf-8"))
    by_case = {v["case"]: k for k, v in expected["dossiers"].items()}
    root = out / SOURCE_CALL / "dossiers"
    return {case: next(root.glob(f"{by_case[case]}*")) for case in CASES}


def _deposited(src: Path, dest: Path, when: str) -> Path:
    """A copy of the dossier whose form says it was deposited ``when``."""
    shutil.copytree(src, dest)
    form = dest / "dossier.json"
    data = json.loads(form.read_text(encoding="utf-8"))
    data["date_depot"] = when
    form.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dest


def _judge(tmp_path: Path, call, paths: dict[str, Path]) -> dict[str, dict[str, set[str]]]:
    """{case: {rule: severities}} of the dossiers judged under ``call`` (the messages of each
    rule under ``"<rule> messages"``)."""
    config = load_call(call) if isinstance(call, (str, Path)) else call
    reports = analyse_dossiers(list(paths.values()), config, tmp_path / f"out-{config.id}")
    out = {}
    for case, path in paths.items():
        report = reports[path.name]
        rules: dict[str, set[str]] = {}
        for finding in report.findings:
            rules.setdefault(finding.rule, set()).add(finding.severity.value)
            rules.setdefault(f"{finding.rule} messages", set()).add(finding.message)
        out[case] = rules
    return out


def _ars_copy(tmp_path: Path, call_id: str, name: str = "copie", **changes) -> Path:
    """An ARS's copy of a shipped call: the call file only (the year is inherited), changed."""
    data = yaml.safe_load((CALLS_DIR / f"{call_id}.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        target = data
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    path = tmp_path / f"{call_id}-{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_every_shipped_call_names_its_year_and_inherits_its_sourced_rules():
    programmes = set(available_programmes())
    assert {"2021-amorcage-t1", "2021-amorcage-t2", "2022", "2023", "2024", "2025"} <= programmes
    seen = set()
    for call_id in available_calls():
        config = load_call(call_id)
        assert config.programme in programmes, call_id
        seen.add((config.year, config.channel))
        call_file = yaml.safe_load((CALLS_DIR / f"{call_id}.yaml").read_text(encoding="utf-8"))
        assert "funding" not in call_file and "grouping" not in call_file, f"{call_id} repeats its year's rules"
    assert {(2021, "regional"), (2022, "regional"), (2022, "national"), (2023, "regional")} <= seen
    assert {(year, channel) for year in (2024, 2025) for channel in ("regional", "multiregional", "national")} <= seen
    # year-specific facts
    t1, y22, y24 = load_call("ars-ara-2021-amorcage"), load_call(SOURCE_CALL), load_call("ars-ara-2024-regional")
    assert t1.funding.forfaits.acquisition.moa.value == (25000, 25000)
    assert t1.funding.forfaits.mise_en_conformite.moa.confidence == "a_confirmer"
    assert t1.grouping.min_og.value == 3 and load_call("ars-ara-2021-amorcage-t2").grouping.min_og.value is None
    assert y22.funding.equipment_ceiling.value == 20000 and y24.funding.equipment_ceiling.value == 10000
    assert y22.grouping.regional_upper_cap.value and not y24.grouping.regional_upper_cap.value
    ge = load_call("ars-grand-est-2023-regional")
    assert ge.submission.closes.value.date() == dt.date(2023, 9, 15)
    assert ge.programme_year.deadlines["multiregional"].value == dt.date(2023, 6, 15)
    assert ge.history.previously_funded.sample
    assert load_call("ars-ara-2024-multiregional").submission.closes.value.date() == dt.date(2024, 6, 1)


def test_a_value_not_found_in_the_years_text_is_a_confirmer_never_another_years():
    """2023 found no equipment cap in its instruction: 2022's amount is kept visible, marked
    à confirmer with the reason, and it reaches the report's snapshot."""
    from validators.snapshot import call_snapshot

    config = load_call("ars-grand-est-2023-regional")
    ceiling = config.funding.equipment_ceiling
    assert ceiling.confidence == "a_confirmer" and "Non retrouvé dans l'instruction" in ceiling.source
    snapshot = call_snapshot(config)
    assert snapshot.values["funding.equipment_ceiling"].model_extra["confidence"] == "a_confirmer"
    assert snapshot.programme == "Généralisation 2023"


def test_calls_lists_every_year_with_its_channel():
    proc = esmsnum("calls")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(available_calls())
    for year in ("Amorçage 2021, temps 1", "Généralisation 2022", "Généralisation 2023", "2024", "2025"):
        assert any(year in line for line in lines), year
    row = next(line for line in lines if line.startswith("ars-ara-2024-multiregional\t"))
    assert "\tmultirégional\t" in row and "1er juin 2024" in row


@pytest.mark.parametrize("call_id", ["ars-ara-2021-amorcage", "ars-grand-est-2023-regional", "cnsa-2025-national"])
def test_check_call_prints_the_values_to_confirm_and_blocks_a_shipped_template(call_id):
    proc = esmsnum("check-call", call_id)
    assert proc.returncode == 1, proc.stdout
    assert "Valeurs à confirmer :" in proc.stdout
    config = load_call(call_id)
    from validators.call_check import sourced_values

    for key, node in sourced_values(config):
        if node.confidence == "a_confirmer" and not key.startswith("programme_year"):
            assert f"  - {key} : à confirmer" in proc.stdout, key
    assert "il manque le signataire" in proc.stdout
    if call_id == "ars-grand-est-2023-regional":
        assert "données d'exemple" in proc.stdout


LETTERHEAD = {
    "sender": {"value": "ARS Auvergne-Rhône-Alpes — Direction de l'autonomie", "source": "Organigramme de l'ARS"},
    "service": {"value": "Pôle ESMS numérique", "source": "Organigramme de l'ARS"},
    "address": {"value": ["241 rue Garibaldi", "69003 Lyon"], "source": "Adresse du siège de l'ARS"},
    "followed_by": {"value": "Pôle ESMS numérique, esms-numerique@exemple.fr", "source": "Organigramme de l'ARS"},
    "signatory": {"value": "La directrice de l'autonomie", "source": "Délégation de signature de l'ARS"},
    "place": {"value": "Lyon", "source": "Siège de l'ARS"},
    "reply_days": {"value": 15, "source": "Cahier des charges de l'appel, article 6", "confidence": "confirme"},
}


def test_check_call_passes_a_completed_ars_copy_and_catches_what_an_ars_gets_wrong(tmp_path):
    complete = {
        "letters": LETTERHEAD,
        "history.envelope": {"value": 2_500_000, "source": "Délibération de l'ARS du 10 janvier 2024"},
        "history.previously_funded": {"value": ["690000047"], "source": "Liste des ESSMS financés, ARS, 2023"},
    }
    good = _ars_copy(tmp_path, "ars-ara-2024-regional", **complete)
    proc = esmsnum("check-call", str(good))
    assert proc.returncode == 0, proc.stdout
    assert "Aucun point bloquant" in proc.stdout
    assert "à confirmer (valeur de l'année de programme)" in proc.stdout  # still printed, not blocking
    assert "tombe un dimanche" in proc.stdout  # 15 September 2024: the text's date, no report

    late = _ars_copy(
        tmp_path,
        "ars-ara-2024-regional",
        "late",
        **complete,
        **{"submission.closes": {"value": "2024-09-30", "source": "Avis d'appel à projets de l'ARS"}},
    )
    proc = esmsnum("check-call", str(late))
    assert proc.returncode == 1
    assert "suit la date limite que fixe le texte de l'année" in proc.stdout and "15 septembre 2024" in proc.stdout

    unsourced = _ars_copy(
        tmp_path,
        "ars-ara-2024-regional",
        "u",
        **{**complete, "history.envelope": {"value": 1_000_000, "source": "test"}},
    )
    proc = esmsnum("check-call", str(unsourced))
    assert proc.returncode == 1 and "valeur sans source publique" in proc.stdout


def test_a_deadline_on_a_sunday_is_kept_unless_the_call_reports_it(tmp_path):
    kept = load_call("ars-ara-2024-regional")
    assert kept.submission.closes.value.date() == dt.date(2024, 9, 15)  # a Sunday, as published
    moved = load_call(
        _ars_copy(
            tmp_path,
            "ars-ara-2024-regional",
            **{"submission.report_au_jour_ouvre": {"value": True, "source": "Avis d'appel à projets, article 4"}},
        )
    )
    assert moved.submission.closes.value == dt.datetime(
        2024, 9, 16, 23, 59, 59, tzinfo=kept.submission.closes.value.tzinfo
    )
    assert moved.submission.published_closes.value == kept.submission.closes.value
    assert "un dimanche" in moved.submission.closes.source
    # 1 November (Toussaint) on a Friday: a public holiday moves to Monday 4 November
    holiday = load_call(
        _ars_copy(
            tmp_path,
            "ars-ara-2024-regional",
            "h",
            **{
                "submission.closes": {"value": "2024-11-01", "source": "Avis d'appel à projets"},
                "submission.report_au_jour_ouvre": {"value": True, "source": "Avis d'appel à projets, article 4"},
            },
        )
    )
    assert holiday.submission.closes.value.date() == dt.date(2024, 11, 4)


def test_one_dossier_gets_the_outcome_of_the_year_it_is_judged_under(tmp_path, dossiers):
    """Forfaits (2021 amorçage: one global forfait, no éditeur line), equipment cap (20 000 € in
    2022, 10 000 € per ESSMS in 2024), channel (52 ESSMS of one region: national in 2022,
    regional without cap in 2024), deadline (Grand Est 2023 closes on 15 September)."""
    clean, limits, big = dossiers["clean-workbook"], dossiers["clean-limites-budget"], dossiers["GRP-04-regional"]
    y22 = _judge(tmp_path, SOURCE_CALL, {"clean": clean, "limits": limits, "big": big})
    # without a FINESS extract BUD-05 only warns that the organisme's size is unverified (alerte)
    assert "BUD-03" not in y22["clean"] and "a_corriger" not in y22["limits"].get("BUD-05", set())
    assert y22["big"].get("GRP-04") == {"bloquant"}

    y24 = _judge(tmp_path, "ars-ara-2024-regional", {"limits": limits, "big": big})
    assert "a_corriger" in y24["limits"].get("BUD-05", set())  # 20 000 € > 10 000 € per ESSMS
    assert "GRP-04" not in y24["big"]  # 2024: no upper cap for a grouping of one region

    amorcage = _judge(tmp_path, "ars-ara-2021-amorcage", {"clean": clean})
    assert "BUD-03" in amorcage["clean"]  # the 2022 éditeur line has no forfait of its own in 2021

    ge = load_call("ars-grand-est-2023-regional")
    on_time = _deposited(clean, tmp_path / "a-temps", "2023-09-14T10:00:00+02:00")
    late = _deposited(clean, tmp_path / "en-retard", "2023-09-20T10:00:00+02:00")
    y23 = _judge(tmp_path, ge, {"on_time": on_time, "late": late})
    assert "DEP-01" not in y23["on_time"] and y23["late"].get("DEP-01") == {"bloquant"}


def test_channel_rules_of_2024_national_and_multi_regional_calls(tmp_path, dossiers):
    """GRP-04 by regions: a grouping of one region is refused by the 2024 national call and by a
    multi-regional call (failing dossier), not by the 2022 national call; a grouping spread over
    two regions passes the multi-regional call (passing dossier)."""
    big, spread = dossiers["GRP-04-regional"], dossiers["GRP-05"]
    n22 = _judge(tmp_path, "cnsa-2022-national", {"big": big})
    assert "GRP-04" not in n22["big"]
    n24 = _judge(tmp_path, "cnsa-2024-national", {"big": big})
    assert n24["big"].get("GRP-04") == {"bloquant"}
    [message] = n24["big"]["GRP-04 messages"]
    assert "tous situés en Auvergne-Rhône-Alpes" in message and "appel régional de son ARS" in message
    multi = _judge(tmp_path, "ars-ara-2024-multiregional", {"big": big, "spread": spread})
    assert multi["big"].get("GRP-04") == {"bloquant"}  # 52 ESSMS: national, whatever the regions
    assert any("appel à projets national" in m for m in multi["big"]["GRP-04 messages"])
    assert "GRP-04" not in multi["spread"] and "GRP-05" not in multi["spread"]
    only_one = _judge(tmp_path, "ars-ara-2024-multiregional", {"clean": dossiers["clean-workbook"]})
    assert only_one["clean"].get("GRP-04") == {"bloquant"}  # under 50, but all in one region


def test_rule_documentation_cites_public_texts_only(tmp_path):
    """No internal note in docs/rules.md or in a generated regles.html (docs/calls.md)."""
    from reports.ruledoc import write_rules_page
    from validators.snapshot import call_snapshot

    internal = re.compile(r"seed|sources\.md", re.IGNORECASE)
    assert not internal.search((ROOT / "docs" / "rules.md").read_text(encoding="utf-8"))
    for call_id in available_calls():
        out = tmp_path / call_id
        out.mkdir()
        page = write_rules_page(out, call_snapshot(load_call(call_id))).read_text(encoding="utf-8")
        assert not internal.search(page), call_id
        assert "Valeurs à confirmer" in page and "Règles de l'année" in page


def test_the_per_year_tables_of_docs_calls_md_are_up_to_date():
    from validators.docs import programme_tables

    assert programme_tables() in (ROOT / "docs" / "calls.md").read_text(encoding="utf-8"), (
        "docs/calls.md is stale: paste `python -m validators.docs --annees` between its markers"
    )


def test_the_call_summary_says_the_year_and_how_many_values_are_to_confirm():
    """The report's call page (summary.html) reads them from the run's snapshot, not the file."""
    from reports.view import summary_view
    from validators.snapshot import call_snapshot

    snapshot = call_snapshot(load_call("ars-grand-est-2023-regional")).model_dump(mode="json")
    view = summary_view({"call_snapshot": snapshot})
    assert view["programme"] == "Généralisation 2023" and view["to_confirm"] >= 10
    snapshot["values"] = {k: v for k, v in snapshot["values"].items() if v.get("confidence") != "a_confirmer"}
    snapshot["values"] = {k: v for k, v in snapshot["values"].items() if not v.get("sample")}
    assert summary_view({"call_snapshot": snapshot})["to_confirm"] == 0


def test_sample_previously_funded_list_is_never_presented_as_real():
    """Grand Est 2023 ships an example list of already funded ESSMS (sample: true): LOT-01 says so."""
    from validators.call_review import review_call

    config = load_call("ars-grand-est-2023-regional")
    [finess, *_] = config.history.previously_funded.value
    view = {
        "dossier": "2023-GE-0001",
        "date_depot": "2023-09-01T10:00:00+02:00",
        "porteur": {"finess_ej": "670000017"},
        "essms": [{"finess": finess, "eligible": True, "name": "EHPAD Les Tilleuls"}],
    }
    [finding] = review_call([view], config)["2023-GE-0001"]
    assert finding.rule == "LOT-01" and "données d'exemple" in finding.message
    real = config.model_copy(
        update={
            "history": config.history.model_copy(
                update={"previously_funded": config.history.previously_funded.model_copy(update={"sample": False})}
            )
        }
    )
    [finding] = review_call([view], real)["2023-GE-0001"]
    assert "données d'exemple" not in finding.message and "déjà été financé" in finding.message
