"""How the workspace is served: the calls' output folders, the databases, the session secret,
cookies ``Secure`` or not, where DSFR's files are."""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from core.state import state_dir

log = logging.getLogger(__name__)

SECRET_ENV = "ESMSNUM_WEB_SECRET"
HTTPS_ENV = "ESMSNUM_WEB_HTTPS"
SECRET_FILE = "web-secret"
STATIC = Path(__file__).with_name("static")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class SettingsError(Exception):
    """A setting that prevents serving (French, for the operator)."""


@dataclass
class WebSettings:
    out_dirs: list[Path]
    secret_key: str
    history_url: str | None = None
    https: bool = False
    session_hours: float = 8.0
    failed_login_delay: float = 1.0  # seconds added to every failed login answer
    static_dir: Path = STATIC
    extra: dict = field(default_factory=dict)

    @classmethod
    def build(
        cls, out_dirs: list[Path], *, history_url: str | None = None, https: bool | None = None, host: str = "127.0.0.1"
    ) -> WebSettings:
        for out in out_dirs:
            if not (out / "summary.json").is_file():
                raise SettingsError(
                    f"{out} n'est pas un dossier de sortie d'« esmsnum analyser » (summary.json absent)."
                )
        if https is None:
            https = os.environ.get(HTTPS_ENV, "").lower() in {"1", "oui", "true", "yes"} or host not in LOOPBACK
        return cls(out_dirs=out_dirs, secret_key=secret_key(out_dirs[0]), history_url=history_url, https=https)


def secret_key(out_dir: Path) -> str:
    """The key that signs session cookies: ``ESMSNUM_WEB_SECRET``, else a random key kept in
    the private state folder (``core.state``, 0700; the file 0600; never logged, never in the
    repository, never in the shared output folder: a key found there by an earlier release is
    deleted, the sessions it signed end)."""
    _forget_shared_key(out_dir)
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        if len(from_env) < 32:
            raise SettingsError(f"{SECRET_ENV} est trop courte : 32 caractères au moins.")
        return from_env
    path = state_dir() / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            log.warning("droits de %s ramenés à 0600", path)
        key = path.read_text(encoding="utf-8").strip()
        if len(key) < 32:
            raise SettingsError(
                f"{path} est illisible ou trop court : le supprimer pour qu'une clé soit recréée."
            ) from None
        return key
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_urlsafe(48))
    log.info("clé de session créée dans %s", path)
    return path.read_text(encoding="utf-8").strip()


def _forget_shared_key(out_dir: Path) -> None:
    old = out_dir / ".esmsnum" / SECRET_FILE
    if old.exists() or old.is_symlink():
        old.unlink(missing_ok=True)
        log.warning(
            "ancienne clé de session supprimée du dossier de sortie partagé (%s) : "
            "elle est désormais dans le dossier d'état privé ; les sessions ouvertes sont closes",
            old,
        )


def call_id_of(out_dir: Path) -> str:
    return json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))["call_id"]
