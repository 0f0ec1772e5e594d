"""Where Prefect keeps results, and the cache keys of what is kept there.

Results persist through Prefect's result storage: by default a folder of the private state
folder (``core.state``: ``~/.local/state/esmsnum/cache/<output folder's key>``, 0700), never
the shared output folder, since a result record is read back with the serializer it names
(cloudpickle): whoever could write the records could run code in the next run. An operator
may give another folder, or any saved Prefect storage block (``s3-bucket/esmsnum-cache``…),
with ``--cache`` or ``ESMSNUM_CACHE``: it must be writable by the operators' accounts only.
Keys are content hashes:

* a dossier: its number, its documents' hashes, the call configuration's hash, the
  version (source hash) of the code that judges it and the FINESS repository extract it is
  checked against (its fingerprint: a new extract re-judges every dossier);
* a document: its path, its hash, the version of the code that extracts it (``core`` and
  ``extractors``) and the per-file limits.

A Prefect cache hit costs a task run (state transitions and events through the API, a
database write on the server). With a thousand unchanged dossiers that overhead would
dominate a re-run, so the flow first asks the same result store for each dossier's key and
only submits the dossiers it does not find: hits at the dossier level cost a file read.
Documents are not tasks of their own for the same reason (a task run per document cost
more than reading most documents, see docs/performance.md): the dossier task reads and
writes each document's record in the same result store (``DocumentCache``), so a changed
dossier still finds its unchanged documents.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect.filesystems import LocalFileSystem, WritableFileSystem
from prefect.results import ResultStore
from prefect.serializers import PickleSerializer

from core.config import CallConfig
from core.limits import Limits
from core.models import Attachment, ExtractedDocument
from core.state import out_key, state_dir
from core.versions import extraction_version, judgement_version
from judging.submission import Submission

CACHE_ENV = "ESMSNUM_CACHE"
SERIALIZER = PickleSerializer()
log = logging.getLogger(__name__)


def storage_setting(out_dir: Path, cache: str | None = None) -> str | Path:
    """A folder path, or a Prefect block slug (``type/name``) for remote storage."""
    value = cache or os.environ.get(CACHE_ENV)
    if not value:
        return state_dir() / "cache" / out_key(out_dir)
    if "/" in value and not value.startswith((".", "/", "~")) and not Path(value).exists():
        return value  # a saved block, e.g. s3-bucket/esmsnum-cache
    return Path(value).expanduser().resolve()


def filesystem(setting: str | Path) -> WritableFileSystem:
    if isinstance(setting, Path):
        setting.mkdir(mode=0o700, parents=True, exist_ok=True)
        return LocalFileSystem(basepath=str(setting))
    from prefect.blocks.core import Block

    return Block.load(setting)  # type: ignore[return-value]


def _hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def dossier_key(submission: Submission, config: CallConfig, finess: str = "") -> str:
    """``finess``: the fingerprint of the FINESS extract the run uses ("" when none)."""
    parts = [submission.numero, submission.documents, config.config_hash, judgement_version()]
    if finess:
        parts.append(f"finess:{finess}")
    return "dossier-" + _hash(*parts)


def document_key(attachment: Attachment, limits: Limits) -> str:
    return "document-" + _hash(attachment.path, attachment.sha256, extraction_version(), repr(limits))


def key_from_parameter(context: Any, parameters: dict[str, Any]) -> str:
    """cache_key_fn of the dossier task: the key is computed by the caller and passed in."""
    return parameters["key"]


class Lookup:
    """Read results of the cached tasks straight from Prefect's result store."""

    def __init__(self, setting: str | Path) -> None:
        self.setting = setting
        self.store = ResultStore(
            result_storage=filesystem(setting), serializer=SERIALIZER, cache_result_in_memory=False
        )

    def get(self, key: str) -> Any | None:
        try:
            return self.store.read(key).result
        except Exception:  # noqa: BLE001 - absent, expired or unreadable: recompute
            self._drop_if_corrupt(key)
            return None

    def _drop_if_corrupt(self, key: str) -> None:
        """A run killed while writing leaves a truncated record: remove it so the task
        that recomputes it is not served the broken one."""
        if isinstance(self.setting, Path):
            path = self.setting / key
            if path.exists():
                log.warning("enregistrement de cache illisible supprimé : %s", path)
                path.unlink(missing_ok=True)


class DocumentCache:
    """Extraction through the result store: a document whose key (path, content hash,
    extraction code version, limits) is found is not read again; a new one is read by
    ``extract`` and its record written for the next run. Counts both, for the run's
    counters (``documents_extracted`` / ``documents_cached``)."""

    def __init__(self, setting: str | Path, extract: Callable[[Attachment, Limits], ExtractedDocument]) -> None:
        self.lookup = Lookup(setting)
        self._extract = extract
        self.extracted: list[str] = []
        self.cached: list[str] = []

    def extract(self, attachment: Attachment, limits: Limits) -> ExtractedDocument:
        key = document_key(attachment, limits)
        doc = self.lookup.get(key)
        if isinstance(doc, ExtractedDocument):
            self.cached.append(attachment.path)
            return doc
        doc = self._extract(attachment, limits)
        self.extracted.append(attachment.path)
        try:
            self.lookup.store.write(doc, key=key)
        except Exception:  # a full or unreachable store costs a re-read next time, not the dossier
            log.warning("document %s : résultat non enregistré dans le cache", attachment.path, exc_info=True)
        return doc
