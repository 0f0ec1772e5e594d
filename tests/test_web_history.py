"""The history behind the instruction workspace, without a server: finding-level waivers and
their undoing (never a delete), the version check, the append-only event log, accounts with
argon2 hashes and a delay after failed logins, and an older database migrated by opening it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, func, insert, select

from core.records import Conflict
from instruction import accounts as acc
from instruction.rerender import merge_changes
from instruction.store import History, metadata, runs, waiver_revocations, waivers
from instruction.timeline import dossier_timeline, format_timeline
from instruction.workflow import decision_refusal, instruction_of


@pytest.fixture
def db(tmp_path):
    history = History(f"sqlite:///{tmp_path / 'h.sqlite'}")
    yield history
    history.close()


def _record(db: History, dossier: str, findings: list[dict], verdict: str = "a_completer") -> None:
    run = db.start_run("appel", "cfg", "test")
    db.record(
        run,
        "appel",
        dossier,
        submission_sha256="s1",
        config_sha256="cfg",
        verdict=verdict,
        digest="d1",
        documents=[],
        findings=findings,
    )
    db.finish_run(run, {})


def test_one_finding_is_lifted_and_undone_without_deleting_anything(db):
    w = db.add_waiver("appel", "D1", "GRP-06", ["f1"], "vu avec l'ARS", "marie", expected_version=0)
    assert db.state("appel", "D1").version == 1
    live = db.waivers("appel", "D1")["D1"]
    assert [x.fingerprints for x in live] == [["f1"]]
    assert live[0].covers({"rule": "GRP-06", "fingerprint": "f1"})
    assert not live[0].covers({"rule": "GRP-06", "fingerprint": "f2"}), "only the finding named is lifted"

    db.revoke_waiver("appel", "D1", w.id, "f1", "erreur de ma part", "marie", expected_version=1)
    assert db.waivers("appel", "D1") == {}, "an undone lift no longer applies"
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(waivers)).scalar() == 1, "the waiver row is kept"
        assert conn.execute(select(func.count()).select_from(waiver_revocations)).scalar() == 1
    kept = db.waivers("appel", "D1", include_revoked=True)["D1"][0]
    assert kept.recorded == ("f1",) and kept.fingerprints == []


def test_undoing_one_finding_of_a_rule_level_waiver_keeps_the_others(db):
    w = db.add_waiver("appel", "D1", "GRP-06", ["f1", "f2"], "lot entier", "cli")
    db.revoke_waiver("appel", "D1", w.id, "f2", "", "marie")
    (live,) = db.waivers("appel", "D1")["D1"]
    assert live.fingerprints == ["f1"]


def test_a_change_on_an_old_version_is_refused_and_tells_who_changed(db):
    def status_change(author: str, status: str):  # both from the version they read: 0
        data = {"before": "a_instruire", "after": status}
        return db.change("appel", "D1", expected_version=0, author=author, kind="statut", data=data, status=status)

    status_change("marie", "en_instruction")
    with pytest.raises(Conflict) as refused:
        status_change("paul", "instruit")
    state = refused.value.state
    assert (state.version, state.status, state.updated_by) == (1, "en_instruction", "marie")
    assert db.state("appel", "D1").status == "en_instruction", "the second change did not overwrite the first"
    with pytest.raises(Conflict):  # a lift is checked the same way
        db.add_waiver("appel", "D1", "BUD-02", ["f9"], "motif", "paul", expected_version=0)
    assert db.waivers("appel", "D1") == {}


def test_comments_are_appended_and_the_timeline_says_who_did_what(db):
    _record(
        db, "D1", [{"rule": "GRP-06", "severity": "a_corriger", "message": "Trop peu d'ESSMS", "fingerprint": "f1"}]
    )
    db.comment("appel", "D1", "marie", "Appeler le porteur <b>lundi</b>")
    db.add_waiver("appel", "D1", "GRP-06", ["f1"], "Liste complétée par courriel", "marie", expected_version=0)
    db.change(
        "appel",
        "D1",
        expected_version=1,
        author="paul",
        kind="decision",
        data={"before": None, "after": "A", "motif": "Projet solide"},
        decision="A",
        decision_motif="Projet solide",
    )
    entries = dossier_timeline(db, "appel", "D1")
    assert [e.kind for e in entries] == ["analyse", "commentaire", "levee", "decision"]
    assert [e.author for e in entries][1:] == ["marie", "marie", "paul"]
    assert entries[2].text == "Liste complétée par courriel" and "GRP-06" in entries[2].title
    assert entries[3].title == "Décision proposée : A — Proposé au financement"
    text = format_timeline("D1", db, ["appel"])
    assert "1 analyse enregistrée" in text and "par paul" in text and "« Appeler le porteur <b>lundi</b> »" in text
    assert instruction_of(db.state("appel", "D1"))["decision_label"] == "A — Proposé au financement"


def test_groups_a_and_b_are_for_recevable_dossiers_only():
    assert decision_refusal("A", "a_completer")
    assert decision_refusal("B", "non_recevable")
    assert decision_refusal("A", "recevable") is None
    assert decision_refusal("D", "a_completer") is None and decision_refusal("C", "non_recevable") is None


def test_reviewers_verdict_changes_are_merged_into_the_summary_list():
    listed = [{"dossier": "D1", "before": "a_completer", "after": "recevable"}]
    merged = merge_changes(listed, {"D2": ("a_completer", "recevable")})
    assert {"dossier": "D2", "before": "a_completer", "after": "recevable", "by": "instructeur"} in merged
    assert merge_changes(merged, {"D2": ("recevable", "a_completer")}) == listed, "back where it was: not a change"


def test_an_older_database_gets_the_new_tables_and_keeps_its_waivers(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    old = [metadata.tables[name] for name in ("runs", "analyses", "waivers")]
    metadata.create_all(engine, tables=old)
    with engine.begin() as conn:
        conn.execute(insert(runs).values(call_id="appel", started_at=dt.datetime.now(dt.UTC), status="terminee"))
        conn.execute(
            insert(waivers).values(
                call_id="appel",
                dossier="D1",
                rule="BUD-03",
                fingerprints=["f1"],
                motif="ancien",
                author="cli",
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    engine.dispose()
    db = History(url)
    try:
        assert db.waivers("appel")["D1"][0].motif == "ancien"
        assert db.events("appel") == [] and db.state("appel", "D1").version == 0
    finally:
        db.close()


def test_passwords_are_argon2_hashes_and_failed_logins_make_the_account_wait(tmp_path):
    accounts = acc.AccountStore(f"sqlite:///{tmp_path / 'comptes.sqlite'}")
    account = acc.create_account(accounts, "marie", "instructeur", "un mot de passe long")
    assert account.password_hash.startswith("$argon2") and "un mot de passe" not in account.password_hash
    with pytest.raises(acc.AccountError):
        acc.create_account(accounts, "marie", "lecture", "un autre mot de passe")
    with pytest.raises(acc.AccountError):
        acc.create_account(accounts, "court", "lecture", "abc")
    with pytest.raises(acc.AccountError):
        acc.create_account(accounts, "x<script>", "lecture", "un mot de passe long")

    assert acc.authenticate(accounts, "marie", "un mot de passe long").account is not None
    assert acc.authenticate(accounts, "inconnu", "peu importe").message == "Nom de compte ou mot de passe incorrect."
    for _ in range(acc.FREE_ATTEMPTS - 1):
        assert acc.authenticate(accounts, "marie", "faux").wait_seconds == 0
    third = acc.authenticate(accounts, "marie", "faux")
    assert third.account is None and third.wait_seconds >= 4
    blocked = acc.authenticate(accounts, "marie", "un mot de passe long")
    assert blocked.account is None and "réessayez dans" in blocked.message, "even the right password waits"

    accounts.clear_attempts("marie")  # the wait is over
    assert acc.authenticate(accounts, "marie", "un mot de passe long").account is not None
    assert accounts.get("marie").failed_logins == 0

    acc.set_active(accounts, "marie", False)
    assert acc.authenticate(accounts, "marie", "un mot de passe long").account is None
    assert accounts.get("marie").session_epoch == 1, "deactivation ends the open sessions"
