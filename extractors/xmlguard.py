"""Refuse zip-based documents (xlsx, docx, ods, odt) whose XML declares a DTD or entities.

Office documents never need them; a billion-laughs bomb or an external entity needs them.
The check reads only the first bytes of each XML member, before any parser sees the file.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from core import file_problems as problems
from core.file_problems import FileProblemError

_DANGEROUS = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
HEAD_BYTES = 64 * 1024
MAX_MEMBERS = 5_000


def check_zip_xml(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise FileProblemError(problems.TOO_MANY_PARTS.reason(count=len(members)))
        for member in members:
            if not member.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            with zf.open(member) as fh:
                head = fh.read(HEAD_BYTES)
            if _DANGEROUS.search(head):
                raise FileProblemError(problems.XML_DTD.reason(part=member.filename))
