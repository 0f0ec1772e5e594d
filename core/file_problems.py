"""The catalogue of file problems: why a file of a dossier could not be read (PIE-02).

Each problem has a code (stable: ``report.json``, ``summary.json`` and the call summary's
counts use it), a short French title, a message template and a description, as
frictionless-py's error catalogue does (``errors/data/file.py``). Every place that refuses
a file — intake, sniffing, the readers, the sandbox, the online form — takes its reason
from here, so that one problem is always worded the same way and counted under one type.

A message is what follows « Le fichier X n'a pas pu être lu : » in PIE-02: lower case,
with what the owner must do when there is something to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Any


@dataclass(frozen=True)
class FileProblem:
    """One type of file problem."""

    code: str
    title: str  # French, for a heading or a count: « Fichier protégé par mot de passe »
    template: str  # French, ``str.format`` fields filled by ``reason``
    description: str  # French: what happened and why it is refused

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in Formatter().parse(self.template) if name)

    def message(self, **params: Any) -> str:
        return self.template.format(**params)

    def reason(self, **params: Any) -> Reason:
        """This problem as met on a file: its code and its message."""
        return Reason(self.code, self.message(**params))


@dataclass(frozen=True)
class Reason:
    """A file problem as met: the code of its type and the rendered French message."""

    code: str
    message: str

    @property
    def problem(self) -> FileProblem:
        return problem(self.code)


class FileProblemError(Exception):
    """Raised by a reader that recognises the problem of the file it reads."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.message)
        self.reason = reason


_ALL: list[FileProblem] = []


def _declare(code: str, title: str, template: str, description: str) -> FileProblem:
    entry = FileProblem(code, title, template, " ".join(description.split()))
    _ALL.append(entry)
    return entry


# --------------------------------------------------------------------------- file content

EMPTY = _declare(
    "empty-file",
    "Fichier vide",
    "le fichier est vide (0 octet)",
    "Le fichier ne contient aucun octet : le dépôt a probablement échoué.",
)
NO_PAGE = _declare(
    "pdf-without-page",
    "PDF sans page",
    "le PDF ne contient aucune page",
    "Le PDF s'ouvre mais ne déclare aucune page : il n'y a rien à lire.",
)
BLANK_PAGES = _declare(
    "blank-pages",
    "PDF sans texte",
    "le PDF ne contient aucun texte lisible (pages blanches)",
    "Les pages du PDF ne portent ni texte ni image : elles sont blanches.",
)
PASSWORD = _declare(
    "password-protected",
    "Fichier protégé par mot de passe",
    "document protégé par mot de passe : fournir une version sans mot de passe",
    "Le document est chiffré (mot de passe à l'ouverture) : son contenu ne peut pas être lu sans le mot de "
    "passe, qui ne doit pas être demandé ; le porteur dépose une version non protégée.",
)
DAMAGED = _declare(
    "damaged",
    "Fichier endommagé ou tronqué",
    "{what} endommagé ou tronqué{note} : le déposer à nouveau",
    "La structure du fichier est incomplète ou incohérente (téléversement interrompu, fichier abîmé) : "
    "aucun lecteur ne peut l'ouvrir.",
)
UNREADABLE = _declare(
    "unreadable",
    "Fichier illisible",
    "{format} illisible ({error}) : le fichier semble endommagé ; le déposer à nouveau",
    "Le lecteur du format a refusé le fichier pour une raison qu'il ne précise pas (le nom de l'erreur est "
    "donné) : le plus souvent un fichier abîmé ou produit par un logiciel non conforme.",
)
UNSUPPORTED = _declare(
    "unsupported-format",
    "Format non pris en charge",
    "format non pris en charge ({format}) : fournir un fichier xlsx, csv, docx ou PDF",
    "Le format réel du fichier, reconnu à son contenu et non à son nom, n'a pas de lecteur (ancien format "
    "Word, exécutable, archive d'un autre type…).",
)
HOSTILE_XML = _declare(
    "hostile-xml",
    "Construction XML piégée",
    "{format} refusé : il contient des constructions XML piégées (entités, DTD ou références externes) qui ne "
    "sont jamais interprétées",
    "Le document contient une DTD, des entités ou des références externes (constructions des « bombes XML » "
    "et des attaques par entité externe) : il est refusé sans être interprété.",
)
XML_DTD = _declare(
    "xml-dtd",
    "Partie interne avec DTD ou entités",
    "la partie interne {part} déclare une DTD ou des entités XML (construction utilisée par les « bombes XML ») : "
    "document refusé, jamais interprété",
    "Une partie XML d'un document Office ou OpenDocument déclare une DTD ou des entités, ce que ces formats "
    "n'utilisent jamais : le document est refusé avant toute lecture.",
)
TOO_MANY_PARTS = _declare(
    "too-many-parts",
    "Structure interne anormale",
    "document composé de {count} parties internes : structure anormale refusée",
    "Un document Office ou OpenDocument compte bien plus de parties internes qu'un vrai document : il est "
    "refusé avant toute lecture.",
)

# --------------------------------------------------------------------------- limits

TOO_LARGE = _declare(
    "file-too-large",
    "Fichier trop volumineux",
    "fichier de {size_mb} Mo, au-delà de la limite de {limit_mb} Mo par fichier",
    "Le fichier dépasse la taille maximale d'un fichier fixée pour l'appel (limite par fichier) : il n'est pas ouvert.",
)
TOO_MUCH_CONTENT = _declare(
    "too-much-content",
    "Contenu trop volumineux",
    "contenu trop volumineux ({count} cellules ou blocs de texte, limite {limit}) : fournir un fichier limité "
    "aux pièces demandées",
    "Le fichier a été lu mais il contient plus de cellules et de paragraphes que la limite par fichier : "
    "un fichier de pièces n'en compte jamais autant.",
)
TIMEOUT = _declare(
    "timeout",
    "Lecture trop longue",
    "lecture interrompue après {seconds} s : le fichier est trop long à lire ou piégé ; fournir une version plus "
    "simple (xlsx, csv ou PDF natif)",
    "La lecture du fichier a dépassé le temps maximal par fichier : elle est interrompue pour que les autres "
    "dossiers soient traités.",
)
MEMORY = _declare(
    "memory",
    "Mémoire insuffisante",
    "lecture interrompue : le fichier demande plus de {limit_mb} Mo de mémoire (fichier anormalement volumineux "
    "ou piégé)",
    "La lecture du fichier demandait plus que la mémoire maximale par fichier (bombe de décompression, image "
    "démesurée…) : elle est interrompue.",
)
READER_CRASHED = _declare(
    "reader-crashed",
    "Arrêt brutal du lecteur",
    "le lecteur de fichier s'est arrêté brutalement (code {exit_code}) : dépassement probable de la limite de "
    "mémoire ({limit_mb} Mo) ou fichier endommagé ou piégé",
    "Le programme qui lisait le fichier s'est arrêté sans message, le plus souvent faute de mémoire ou sur "
    "un fichier abîmé ; le reste du dossier est lu normalement.",
)
PAGES_TRUNCATED = _declare(
    "pages-truncated",
    "Lecture limitée aux premières pages",
    "lecture limitée aux {limit} premières pages sur {count}",
    "Le PDF compte plus de pages que la limite par fichier : seules les premières sont lues (avertissement, "
    "le fichier n'est pas refusé).",
)
ROWS_TRUNCATED = _declare(
    "rows-truncated",
    "Lecture limitée aux premières lignes",
    "tableau tronqué à {limit} lignes{where} : les lignes suivantes ne sont pas lues",
    "La feuille ou le fichier csv compte plus de lignes que la limite par fichier : seules les premières sont "
    "lues (avertissement, le fichier n'est pas refusé).",
)

# --------------------------------------------------------------------------- archives (intake)

ARCHIVE_UNREADABLE = _declare(
    "archive-unreadable",
    "Archive illisible",
    "archive zip illisible ou endommagée ({error})",
    "L'archive zip du dossier, ou une archive qu'il contient, ne peut pas être ouverte.",
)
ARCHIVE_MEMBER_UNREADABLE = _declare(
    "archive-member-unreadable",
    "Fichier d'archive illisible",
    "membre d'archive illisible ({error})",
    "Un fichier de l'archive ne peut pas être décompressé (données abîmées, méthode de compression ou "
    "chiffrement non pris en charge).",
)
ARCHIVE_TOO_MANY_FILES = _declare(
    "archive-too-many-files",
    "Archive de trop nombreux fichiers",
    "archive de {count} fichiers, au-delà de la limite de {limit}",
    "L'archive contient plus de fichiers que la limite fixée : elle n'est pas décompressée.",
)
ARCHIVE_TOO_LARGE = _declare(
    "archive-too-large",
    "Archive trop volumineuse",
    "archive de {size_mb} Mo une fois décompressée, au-delà de la limite de {limit_mb} Mo",
    "Décompressée, l'archive dépasserait la taille totale fixée : elle n'est pas (ou plus) décompressée.",
)
ZIP_BOMB = _declare(
    "zip-bomb",
    "Bombe zip possible",
    "taux de compression anormal ({ratio} pour 1) : fichier refusé (bombe zip possible)",
    "Un fichier de l'archive se décompresse en un volume démesuré par rapport à sa taille compressée, "
    "signature des « bombes zip » : il n'est pas décompressé.",
)
NESTED_ARCHIVE = _declare(
    "nested-archive",
    "Archive dans une archive",
    "archive dans une archive : non ouverte (un seul niveau d'archive est accepté)",
    "Les archives d'un dossier sont ouvertes sur un seul niveau : une archive contenue dans une autre n'est "
    "pas ouverte.",
)
UNSAFE_PATH = _declare(
    "unsafe-path",
    "Chemin refusé dans l'archive",
    "chemin {kind} refusé dans l'archive",
    "Le nom d'un fichier de l'archive désigne un emplacement hors du dossier (chemin absolu ou remontant) : "
    "il n'est pas décompressé.",
)
ARCHIVE_NAME_CLASH = _declare(
    "archive-name-clash",
    "Nom en double dans l'archive",
    "nom porté à la fois par un fichier et par un dossier de l'archive : fichier non décompressé ; le renommer",
    "Deux membres de l'archive ne peuvent pas coexister sur le disque : l'un est un fichier, l'autre un dossier "
    "du même nom. Le membre en conflit est écarté, le reste de l'archive est lu.",
)
ARCHIVE_NAME_TOO_LONG = _declare(
    "archive-name-too-long",
    "Nom trop long dans l'archive",
    "nom de {length} octets dans l'archive, au-delà de {limit} octets par élément de chemin : fichier non "
    "décompressé ; le renommer plus court",
    "Un élément du chemin d'un membre de l'archive dépasse la longueur qu'un système de fichiers accepte : le "
    "membre est écarté, le reste de l'archive est lu.",
)
SYMLINK = _declare(
    "symlink",
    "Lien symbolique",
    "lien symbolique {outcome}",
    "Le dossier contient un lien vers un autre fichier plutôt qu'un fichier : le lien n'est pas suivi.",
)

# --------------------------------------------------------------------------- the processing's own access

#: Words every process-side problem's message holds: a file or folder that is there but that
#: this process cannot read (permissions, a link it does not follow). The owner has nothing to
#: send again: the letter is not written until the operator has made the dossier readable.
PROCESS_SIDE = "illisible par le traitement"

FILE_NOT_READABLE = _declare(
    "file-not-readable",
    "Fichier illisible par le traitement",
    "fichier " + PROCESS_SIDE + " ({error}) : l'exploitant rétablit les droits de lecture puis relance l'analyse",
    "Le fichier est présent mais le traitement n'a pas le droit de le lire (droits d'accès du dossier partagé) : "
    "rien n'est demandé au porteur, l'exploitant corrige les droits.",
)
DOSSIER_NOT_READABLE = _declare(
    "dossier-not-readable",
    "Dossier illisible par le traitement",
    "dossier " + PROCESS_SIDE + " ({error}) : l'exploitant rétablit les droits de lecture puis relance l'analyse",
    "Le dossier (ou l'un de ses sous-dossiers) est présent mais le traitement n'a pas le droit de le lire : "
    "aucune pièce n'a été lue, aucun courrier n'est écrit au porteur avant que le dossier soit lu.",
)
LINKED_ENTRY = _declare(
    "linked-entry",
    "Dossier sous forme de lien",
    "entrée du dossier d'appel qui est un lien symbolique, " + PROCESS_SIDE + " : lien non suivi ; l'exploitant "
    "copie le dossier lui-même dans le dossier d'appel",
    "Le dossier d'appel contient un lien vers un autre emplacement au lieu du dossier : le lien n'est jamais "
    "suivi (son contenu pourrait être n'importe quel fichier de la machine).",
)
LINKED_FILE = _declare(
    "linked-file",
    "Fichier sous forme de lien",
    "lien symbolique, " + PROCESS_SIDE + " : lien non suivi ; l'exploitant remplace le lien par le fichier lui-même",
    "Le dossier contient un lien vers un autre emplacement au lieu d'un fichier : le lien n'est jamais suivi (il "
    "pourrait désigner n'importe quel fichier de la machine) ; rien n'est demandé au porteur.",
)
PROCESS_SIDE_CODES = frozenset({"file-not-readable", "dossier-not-readable", "linked-entry", "linked-file"})


def access_error(exc: OSError) -> str:
    """A French description of an error met opening a file or folder (never Python's English)."""
    import errno

    words = {
        errno.EACCES: "droits d'accès refusés",
        errno.EPERM: "opération non permise",
        errno.ENAMETOOLONG: "nom trop long",
        errno.ELOOP: "boucle de liens symboliques",
        errno.ENOENT: "disparu pendant la lecture",
        errno.EISDIR: "un dossier porte ce nom",
        errno.ENOTDIR: "un fichier porte le nom d'un dossier",
        errno.EIO: "erreur d'entrée-sortie du disque",
        errno.ENOSPC: "disque plein",
        errno.EDQUOT: "quota de disque atteint",
        errno.EROFS: "disque en lecture seule",
    }
    return words.get(exc.errno or 0, f"erreur système {exc.errno}" if exc.errno else type(exc).__name__)


# --------------------------------------------------------------------------- online form

FORM_RESEND = "fournir à nouveau le formulaire en ligne tel que le téléservice l'exporte (dossier.json)"

FORM_TOO_LARGE = _declare(
    "form-too-large",
    "Formulaire trop volumineux",
    "formulaire {file} trop volumineux ({size_mb} Mo, limite {limit_mb} Mo) : " + FORM_RESEND,
    "Le fichier du formulaire en ligne dépasse la taille d'un formulaire réel : il n'est pas lu.",
)
FORM_INVALID_JSON = _declare(
    "form-invalid-json",
    "Formulaire illisible",
    "formulaire {file} illisible (JSON invalide : {error}) : " + FORM_RESEND,
    "Le fichier du formulaire en ligne n'est pas un JSON valide (fichier tronqué ou modifié à la main).",
)
FORM_NOT_UTF8 = _declare(
    "form-not-unicode",
    "Formulaire mal encodé",
    "formulaire {file} illisible (texte qui n'est pas en UTF-8 : {error}) : " + FORM_RESEND,
    "Le fichier du formulaire en ligne n'est pas du texte UTF-8 (fichier réenregistré par un autre logiciel, "
    "ou qui n'est pas un formulaire).",
)
FORM_NOT_OBJECT = _declare(
    "form-not-object",
    "Formulaire mal formé",
    "formulaire {file} illisible : un objet JSON est attendu, le fichier contient {found} ; " + FORM_RESEND,
    "Le fichier du formulaire en ligne est un JSON valide mais ne contient pas un objet de champs.",
)
FORM_NO_FIELD = _declare(
    "form-without-field",
    "Export du formulaire sans champ reconnu",
    "export du formulaire sans champ reconnu",
    "Aucune ligne « Libellé : valeur » de l'export PDF ne correspond à un champ connu du formulaire.",
)

CATALOGUE: dict[str, FileProblem] = {entry.code: entry for entry in _ALL}


def problem(code: str) -> FileProblem:
    """The catalogue entry of a code; KeyError for an unknown code."""
    return CATALOGUE[code]


def title_of(code: str | None) -> str:
    """The French title of a code, or the code itself when the catalogue does not know it
    (a report written by an older version)."""
    entry = CATALOGUE.get(code or "")
    return entry.title if entry else str(code or "")
