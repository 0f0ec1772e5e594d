"""The generator's dossiers through ``esmsnum run``: every expected verdict and rule."""

from __future__ import annotations

import re

import pytest

from conftest import CONTRACT_KINDS, load_json, verdict_mismatch


def _cases(generated):
    """(call folder, dossier, expected case); a call folder's call id is in its expected.json."""
    for call_dir in sorted(p for p in generated.iterdir() if p.is_dir()):
        expected = load_json(call_dir / "expected.json")
        for numero, case in sorted(expected["dossiers"].items()):
            yield call_dir.name, numero, case


def test_the_batch_ran_and_wrote_one_report_per_dossier(generated, pipeline_runs):
    for call_id, (out, proc) in pipeline_runs.items():
        assert proc.returncode == 0, proc.stderr[-3000:]
        expected = load_json(generated / call_id / "expected.json")["dossiers"]
        if not expected:
            continue
        summary = load_json(out / "summary.json")
        assert {d["dossier"] for d in summary["dossiers"]} == set(expected)
        for numero in expected:
            assert (out / numero / "report.json").is_file()
            assert (out / numero / "report.html").is_file()
        assert re.search(r"\d+ dossiers? analysés? en ", proc.stdout), proc.stdout
        assert (out / "summary.html").is_file()


def test_every_generated_dossier_gets_its_expected_verdict_and_rules(generated, pipeline_runs):
    mismatches = []
    for call_id, numero, case in _cases(generated):
        out, _ = pipeline_runs[call_id]
        report = load_json(out / numero / "report.json")
        if problem := verdict_mismatch(f"{call_id}/{numero} ({case['case']})", case, report):
            mismatches.append(problem)
    assert not mismatches, "\n".join(mismatches)


def test_reports_follow_the_contract(generated, pipeline_runs):
    for call_id, numero, _case in _cases(generated):
        out, _ = pipeline_runs[call_id]
        report = load_json(out / numero / "report.json")
        assert report["dossier"] == numero
        assert report["verdict"] in ("recevable", "a_completer", "non_recevable")
        assert isinstance(report["call"], str) and report["call"]
        for finding in report["findings"]:
            assert finding["severity"] in ("bloquant", "a_corriger", "alerte")
            assert finding["message"] and finding["expected"] is not None and finding["found"] is not None
            assert set(finding["location"]) >= {"file", "sheet", "cell", "page"}
            assert finding["location"]["file"]
        for document in report["documents"]:
            assert document["kind"] in CONTRACT_KINDS
            assert len(document["sha256"]) == 64
        for key in ("essms_count", "amount_requested", "amount_eligible"):
            assert key in report


def test_findings_point_at_cells_for_table_rules(generated, pipeline_runs):
    """Rules on tables locate their findings at a cell (spreadsheets) or a page (PDF)."""
    seen = 0
    for call_id, numero, _case in _cases(generated):
        out, _ = pipeline_runs[call_id]
        report = load_json(out / numero / "report.json")
        for finding in report["findings"]:
            if finding["rule"] in ("GRP-01", "GRP-02", "GRP-05", "BUD-01", "BUD-02", "BUD-03", "PLA-01", "PLA-03"):
                loc = finding["location"]
                assert loc["cell"] or loc["page"] or loc["detail"], finding
                seen += 1
    assert seen >= 8


def test_summary_counts_match_the_reports(pipeline_runs):
    for _call_id, (out, _) in pipeline_runs.items():
        summary = load_json(out / "summary.json")
        totals = summary["totals"]
        assert totals["dossiers"] == len(summary["dossiers"])
        for verdict, count in totals["by_verdict"].items():
            assert count == sum(1 for d in summary["dossiers"] if d["verdict"] == verdict)
        html = (out / "summary.html").read_text(encoding="utf-8")
        assert 'lang="fr"' in html
        for dossier in summary["dossiers"]:
            assert dossier["report_html"] in html


def test_key_figures_of_a_clean_dossier(generated, pipeline_runs):
    clean = [(c, n) for c, n, case in _cases(generated) if case["verdict"] == "recevable"]
    assert clean
    for call_id, numero in clean:
        out, _ = pipeline_runs[call_id]
        report = load_json(out / numero / "report.json")
        assert report["essms_count"] and report["essms_count"] >= 15
        assert report["amount_requested"] and report["amount_requested"] > 0
        # a clean dossier requests within the forfaits: everything is eligible, except the
        # « confort » part of a home-care service that gives its share of essential activity,
        # and the ESSMS beyond the call's cap of ESSMS counted (GRP-12)
        cap = report["basis"]["max_essms_counted"]
        for e in report["essms"]:
            rank, share = e["funding"]["rank"], e["funding"]["share"]
            expected = 0.0 if cap is not None and rank > cap else e["amount_asked"] * (1 if share is None else share)
            assert e["amount_eligible"] == pytest.approx(expected, abs=1), (numero, e)
        unfunded = sum(e["amount_asked"] - e["amount_eligible"] for e in report["essms"])
        assert report["amount_eligible"] == pytest.approx(report["amount_requested"] - unfunded, abs=1), numero
        html = (out / numero / "report.html").read_text(encoding="utf-8")
        assert "Recevable" in html and 'lang="fr"' in html
