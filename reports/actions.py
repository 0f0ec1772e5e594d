"""What the owner must do about a finding: one French sentence per rule, addressed to the
project owner (infinitive, as in a request for documents). The report shows it under each
finding and the draft letter lists it; a test checks that every declared rule has one.

One place on purpose: a rule's message says what was found, its action what to do.
"""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    # Dépôt
    "DEP-01": ("Aucune pièce ne peut régulariser un dépôt hors délai : le dossier pourra être présenté à un appel "
               "ultérieur."),
    "DEP-02": ("Aucune pièce ne peut régulariser un redépôt tardif : le projet pourra être présenté à un appel "
               "ultérieur."),
    # Pièces
    "PIE-01": "Joindre la pièce manquante (document type de l'appel), complétée.",
    "PIE-02": ("Déposer à nouveau le fichier dans un format lisible (xlsx, csv, docx ou PDF non scanné), "
               "sans mot de passe ni protection."),
    "PIE-03": ("Fournir le fichier natif de la pièce scannée (xlsx, csv, docx ou PDF produit par le logiciel) "
               "au lieu de sa numérisation."),
    "PIE-04": "Indiquer quelle version de la pièce fait foi et retirer l'autre du dossier.",
    # Grappe
    "GRP-01": "Corriger le numéro FINESS indiqué (9 caractères, à vérifier dans le répertoire FINESS).",
    "GRP-02": "Supprimer le doublon de la liste des structures engagées.",
    "GRP-03": ("Le projet ne peut pas être financé en l'état : la grappe doit réunir au moins le nombre "
               "d'ESSMS éligibles fixé par l'appel."),
    "GRP-04": ("Déposer le projet à l'appel qui correspond à la taille de la grappe (appel régional de l'ARS "
               "sous 50 ESSMS, appel national de la CNSA à partir de 50 ESSMS)."),
    "GRP-05": ("Retirer de la liste et du budget l'ESSMS situé hors de la région de l'appel (il est exclu du "
               "financement de ce projet), ou justifier son rattachement à la région."),
    "GRP-06": ("Retirer l'ESSMS non éligible de la liste et du budget, ou justifier son éligibilité (catégorie "
               "FINESS, FINESS géographique propre)."),
    "GRP-07": "Réunir dans la grappe au moins le nombre d'organismes gestionnaires fixé par l'appel.",
    "GRP-08": ("Préciser pour chaque ESSMS le type de projet (acquisition ou mise en conformité) et le logiciel "
               "DUI retenu ou en place."),
    "GRP-09": ("Justifier le référencement Ségur du logiciel (attestation de l'éditeur) ou retenir un logiciel "
               "référencé Ségur vague 1."),
    "GRP-10": ("Mettre en cohérence le nombre d'ESSMS déclaré dans le formulaire en ligne et la liste des "
               "structures engagées."),
    "GRP-11": ("Fournir, pour chaque service d'aide à domicile concerné, la répartition de son activité entre "
               "activité essentielle et services de confort."),
    "GRP-12": "Indiquer les ESSMS retenus pour le financement, dans la limite du plafond de l'appel.",
    # Budget
    "BUD-01": "Saisir dans la cellule indiquée un montant en euros, positif ou nul.",
    "BUD-02": "Corriger le total ou les lignes du budget pour que chaque total soit égal à la somme de ses lignes.",
    "BUD-03": "Ramener la demande pour cet ESSMS dans la limite du forfait de l'appel.",
    "BUD-04": "Retirer le bonus Ségur demandé pour cet ESSMS, ou justifier le référencement Ségur de son logiciel.",
    "BUD-05": "Retirer l'aide à l'équipement demandée, ou la ramener dans les conditions et le plafond de l'appel.",
    "BUD-06": "Ramener les dépenses d'AMOA dans les plafonds par projet fixés par l'appel.",
    "BUD-07": "Mettre en cohérence le montant demandé dans le formulaire en ligne et le budget détaillé.",
    # Planning
    "PLA-01": "Dater chaque phase du planning (début et fin), la date de début précédant la date de fin.",
    "PLA-02": "Ajouter au planning la phase clé manquante, avec ses dates.",
    "PLA-03": "Ramener la fin du projet dans la fenêtre du programme fixée par l'appel.",
    "PLA-04": "Vérifier l'ordre des phases : les cibles d'usage se mesurent après le déploiement.",
    # Textes
    "PRO-01": "Rédiger la section concernée de façon complète et propre au projet, sans texte de gabarit.",
    "PRO-02": "Nommer le chef de projet et décrire le comité de pilotage (composition, rythme des réunions).",
    "PRO-03": ("Décrire dans le plan de conduite du changement la formation des professionnels et la façon "
               "d'atteindre et de mesurer les cibles d'usage."),
    "PRO-04": ("Préciser dans la stratégie de déploiement l'interopérabilité avec les services socles (INS, "
               "MSSanté, DMP…)."),
    # Cohérence
    "COH-01": ("Mettre en cohérence les ESSMS du budget et ceux de la liste des structures engagées (mêmes "
               "FINESS géographiques)."),
    "COH-02": ("Justifier le lien entre le porteur et les ESSMS de la grappe (gestionnaire d'au moins un ESSMS, "
               "GCSMS ou convention de groupement)."),
    "COH-03": "Vérifier que les vagues de déploiement du planning ne nomment que des ESSMS de la liste.",
    # Ensemble de l'appel
    "LOT-01": ("Retirer de la liste et du budget l'ESSMS déjà présent dans un dossier déposé plus tôt ou déjà "
               "financé (il est exclu du financement de ce projet), ou justifier l'absence de double financement."),
    "LOT-02": "Confirmer quelle version du dossier fait foi ; l'autre dépôt sera classé.",
    "LOT-03": ("Aucune action du porteur : les demandes recevables sont rapprochées de l'enveloppe de l'appel "
               "lors de l'instruction."),
}

#: Where a rule's severity depends on the case, the action of a softer finding differs: an
#: alerte asks the owner nothing the rule would ask of a blocking finding (``RULE:severity``).
ACTIONS_BY_SEVERITY: dict[str, str] = {
    "DEP-01:alerte": "Aucune action du porteur : l'instructeur vérifie la date de dépôt dans le téléservice.",
    "DEP-02:alerte": "Aucune action du porteur : l'instructeur vérifie la date de dépôt dans le téléservice.",
    "GRP-03:alerte": ("Indiquer le FINESS géographique des ESSMS qui n'en ont pas dans la liste des structures : la "
                      "taille de la grappe en dépend."),
    "GRP-04:alerte": ("Indiquer le FINESS géographique des ESSMS qui n'en ont pas dans la liste des structures : le "
                      "canal de dépôt (régional ou national) en dépend."),
    "GRP-07:a_corriger": ("Indiquer pour chaque ESSMS son organisme gestionnaire (nom et FINESS EJ) : le nombre "
                          "d'organismes gestionnaires de la grappe en dépend."),
    "LOT-01:alerte": ("Aucune action immédiate : l'ESSMS figure aussi dans un autre dossier de l'appel ; confirmer "
                      "au besoin à l'instructeur à quel projet il appartient."),
}

DEFAULT_ACTION = "Vérifier ce point avec le porteur et compléter ou corriger la pièce concernée."


def action_for(rule_id: str | None, severity: str | None = None) -> str:
    """The owner's action for a finding of a rule, at its severity (a generic sentence for an
    unknown id)."""
    if severity and (specific := ACTIONS_BY_SEVERITY.get(f"{rule_id}:{severity}")):
        return specific
    return ACTIONS.get(rule_id or "", DEFAULT_ACTION)


def rule_anchor(rule_id: str) -> str:
    """The anchor of a rule in ``docs/rules.md`` (``BUD-03`` → ``bud-03``): the reports link there."""
    return rule_id.lower()
