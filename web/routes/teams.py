"""Teams on the dossier page and beyond: the instructeur groups (``/groupes``), experts' avis
(asked by an instructeur or a décideur, given once by the expert), the call's labels and the
dossier's structured private annotations. Every route goes through the central scope checks
(``Target``: 404 out of scope)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request

from instruction.annotations import AnnotationError, parse
from instruction.experts import ExpertError
from web import notify
from web.routes.committee import parse_amount
from web.routes.common import Expert, Instructeur, NotFound, page, workspace
from web.routes.dossiers import BASE, Target
from web.scope import account_scope, is_expert
from web.team_view import experts_available

router = APIRouter()


# ------------------------------------------------------------------ groups


@router.get("/groupes")
def groups_page(request: Request):
    if is_expert(request):
        raise NotFound("groupes")
    ws = workspace(request)
    scope = account_scope(request)
    return page(
        request,
        "groups.html.j2",
        groups=ws.teams.all(),
        mine=[g.name for g in scope.groups],
        everything=scope.everything,
        any_group=bool(ws.teams.all()),
    )


# ------------------------------------------------------------------ experts' avis


@router.post(BASE + "/avis/demande")
def ask_avis(account: Instructeur, target: Target, expert: str = Form(""), question: str = Form("")):
    expert = expert.strip()
    if expert not in experts_available(target.request):
        return target.refuse("Expert inconnu ou désactivé : rien n'a été enregistré.", "avis")
    site = target.site
    try:
        asked = site.experts.ask(site.call_id, target.dossier, expert, question, account.name)
    except ExpertError as exc:
        return target.refuse(str(exc), "avis")
    response = target.back(f"Avis demandé à {expert}.", "avis")
    notify.expert_asked(target.request, site, target.dossier, expert, account.name, asked.question)
    return response


@router.post(BASE + "/avis")
def give_avis(
    account: Expert, target: Target, demande: str = Form(""), avis: str = Form(""), motivation: str = Form("")
):
    site = target.site
    mine = {r.id: r for r in site.experts.of_dossier(site.call_id, target.dossier) if r.expert == account.name}
    if not demande.isdigit() or int(demande) not in mine:
        raise NotFound("avis")
    try:
        given = site.experts.answer(int(demande), account.name, avis, motivation)
    except ExpertError as exc:
        return target.refuse(str(exc), "avis")
    response = target.back(f"Avis rendu : {given.avis_label}. Merci.", "avis")
    notify.avis_given(
        target.request,
        site,
        target.dossier,
        given.requested_by,
        account.name,
        given.avis_label or "",
        given.motivation or "",
    )
    return response


# ------------------------------------------------------------------ labels


@router.post(BASE + "/labels/nouveau")
def create_label(account: Instructeur, target: Target, nom: str = Form(""), couleur: str = Form("")):
    site = target.site
    try:
        label = site.annotations.create_label(site.call_id, nom, couleur, account.name)
    except AnnotationError as exc:
        return target.refuse(str(exc), "labels")
    return target.back(f"Label « {label.name} » créé pour l'appel.", "labels")


@router.post(BASE + "/labels")
def set_label(account: Instructeur, target: Target, label: str = Form(""), action: str = Form("")):
    site = target.site
    if not label.isdigit() or action not in {"poser", "retirer"}:
        return target.refuse("Label inconnu : rien n'a été enregistré.", "labels")
    try:
        changed = site.annotations.set_label(site.call_id, target.dossier, int(label), action == "poser", account.name)
    except AnnotationError as exc:
        return target.refuse(str(exc), "labels")
    if not changed:
        return target.back("Rien à changer.", "labels")
    return target.back("Label posé." if action == "poser" else "Label retiré.", "labels")


# ------------------------------------------------------------------ private annotations


@router.post(BASE + "/annotations")
async def save_annotations(account: Instructeur, target: Target):
    site = target.site
    form = await target.request.form()
    entered: dict[int, str | None] = {}
    try:
        for f in site.annotations.fields(site.call_id):
            entered[f.id] = parse(f.kind, str(form.get(f"champ-{f.id}") or ""), parse_amount)
    except AnnotationError as exc:
        return target.refuse(f"{exc} Rien n'a été enregistré.", "annotations")
    changed = site.annotations.record(site.call_id, target.dossier, entered, account.name)
    if not changed:
        return target.back("Annotations inchangées.", "annotations")
    return target.back(f"Annotations enregistrées : {', '.join(f.label for f in changed)}.", "annotations")


@router.post(BASE + "/annotations/champ")
def add_field(account: Instructeur, target: Target, libelle: str = Form(""), type: str = Form("")):
    site = target.site
    try:
        field = site.annotations.add_field(site.call_id, libelle, type, account.name)
    except AnnotationError as exc:
        return target.refuse(str(exc), "annotations")
    return target.back(f"Champ « {field.label} » ajouté aux annotations privées de l'appel.", "annotations")
