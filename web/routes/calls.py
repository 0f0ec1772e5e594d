"""The call page: its dossiers with verdict, status, assignee and proposed decision (filter,
search, sort), assignment of several dossiers at once, the call's exports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.french import count
from core.records import Conflict
from instruction.accounts import Account
from instruction.rerender import apply_instruction_many
from web import call_view, exports, notify
from web.routes.common import (
    Instructeur,
    back_to,
    call_site,
    current_account,
    flash,
    not_for_experts,
    page,
    serve_call_page,
    workspace,
)
from web.scope import is_expert, reaches, scoped_summary, visible_numbers, whole_call
from web.workspace import NotFound

router = APIRouter()
NOBODY = "-"  # the bulk form's « Personne (retirer l'attribution) » (no account is named « - »)

EXPORTS = {  # file name in the URL → (file in the output folder, media type)
    "synthese.xlsx": ("summary.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "synthese.csv": ("summary.csv", "text/csv; charset=utf-8"),
}


def assignable(request: Request) -> list[Account]:
    """Active accounts that can instruct a dossier."""
    return [a for a in workspace(request).accounts.all() if a.active and a.role in {"instructeur", "decideur"}]


@router.get("/appels/{call}")
def call_page(request: Request, call: str):
    site = call_site(request, call)
    account = current_account(request)
    summary = scoped_summary(request, site)  # only the dossiers of the account's groups
    rows = call_view.dossier_rows(summary, site.history.states(site.call_id), site.report)
    labels = site.annotations.dossier_labels(site.call_id) if not is_expert(request) else {}
    for row in rows:
        row["labels"] = labels.get(str(row["dossier"]), [])
    filters = call_view.Filters.of(dict(request.query_params))
    shown = call_view.apply(rows, filters, account.name)
    return page(
        request,
        "call.html.j2",
        site=site,
        summary=summary,
        rows=shown,
        call_labels=site.annotations.labels(site.call_id) if not is_expert(request) else [],
        filters=filters,
        params={k: v for k, v in request.query_params.items() if k in call_view.Filters.__dataclass_fields__},
        options=call_view.options(rows),
        counters=call_view.counters(rows),
        assignees=assignable(request),
        nobody=NOBODY,
    )


@router.post("/appels/{call}/attribuer")
async def assign_many(request: Request, account: Instructeur, call: str):
    site = call_site(request, call)
    form = await request.form()
    choice = str(form.get("instructeur") or "").strip()
    if not choice:
        flash(request, "Choisissez l'instructeur à qui attribuer les dossiers cochés : rien n'a été attribué.", "error")
        return back_to(f"/appels/{site.call_id}")
    target = "" if choice == NOBODY else choice
    replace = target == "" or form.get("remplacer") == "oui"  # by default, an assignment adds
    names = {a.name for a in assignable(request)}
    if target and target not in names:
        flash(request, "Instructeur inconnu ou désactivé : rien n'a été attribué.", "error")
        return back_to(f"/appels/{site.call_id}")
    visible = visible_numbers(request, site)  # a dossier out of the account's scope is never changed
    known = set(site.rows()) if visible is None else set(site.rows()) & visible
    if not form.getlist("dossiers"):
        flash(request, "Aucun dossier coché : cochez les dossiers à attribuer, puis choisissez l'instructeur.", "error")
        return back_to(f"/appels/{site.call_id}")
    done, moved, kept, outside = [], [], [], []
    with site.writing():
        for value in form.getlist("dossiers"):
            dossier, _, version = str(value).rpartition(":")
            if dossier not in known or not version.isdigit():
                continue
            if target and not reaches(request, target, site, dossier):
                outside.append(dossier)
                continue
            before = site.history.state(site.call_id, dossier)
            if before.assignee == (target or None):
                continue
            if before.assignee and not replace:
                kept.append(f"{dossier} ({before.assignee})")
                continue
            try:
                site.history.change(
                    site.call_id,
                    dossier,
                    expected_version=int(version),
                    author=account.name,
                    kind="attribution",
                    data={"before": before.assignee, "after": target or None},
                    assignee=target or None,
                )
                done.append(dossier)
            except Conflict:
                moved.append(dossier)
        if done:  # the reports show the assignee: rewritten, the summary once
            apply_instruction_many(site.out_dir, [site.report(d) for d in done], site.history)
    who = f"à {target}" if target else "à personne (attribution retirée)"
    message = f"{count(len(done), 'dossier attribué', 'dossiers attribués')} {who}."
    if moved:
        message += (
            f" {'Non attribué, car modifié' if len(moved) == 1 else 'Non attribués, car modifiés'} par quelqu'un d'autre depuis l'affichage de la liste : "
            f"{', '.join(moved)}. Vérifiez-les puis recommencez."
        )
    if kept:
        message += (
            f" {'Laissé à son instructeur' if len(kept) == 1 else 'Laissés à leur instructeur'} "
            f"(cochez « Remplacer » pour changer) : {', '.join(kept)}."
        )
    if outside:
        message += f" Hors du périmètre des groupes de {target}, non attribués : {', '.join(outside)}."
    flash(request, message, "warning" if moved or kept or outside else "success")
    notify.assigned(request, site, target or None, done, account.name)
    return back_to(f"/appels/{site.call_id}")


@router.get("/appels/{call}/dossiers/regles.html")
def rules_page(request: Request, call: str):
    """Where a printable report's « ../regles.html » leads."""
    return serve_call_page(call_site(request, call), "regles.html")


@router.get("/appels/{call}/dossiers/summary.html")
def summary_page(request: Request, call: str):
    """Where a printable report's « ../summary.html » leads (it lists every dossier of the call:
    only for an account that sees them all)."""
    site = call_site(request, call)
    if not whole_call(request, site):
        raise NotFound("summary.html")
    return serve_call_page(site, "summary.html")


@router.get("/appels/{call}/exports/{name}")
def export(request: Request, call: str, name: str):
    """The call's summary (xlsx or csv) as the analysis writes it, of the dossiers the account
    sees, with their labels and private annotations (``web.exports``)."""
    site = call_site(request, call)
    not_for_experts(request)
    if name not in EXPORTS:
        raise NotFound(name)
    file, media = EXPORTS[name]
    body = exports.summary_export(site, scoped_summary(request, site), file)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{site.call_id}-{name}"'}
    )
