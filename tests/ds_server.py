"""A local Démarches simplifiées for the tests: the GraphQL API v2 built from the project's
copy of the public schema (teleservice/ds_schema.graphql, graphql-core ``build_schema``),
served over HTTP by a small server in a thread, and the attachments' signed URLs.

Every document the connector sends is validated against the schema (``documents`` keeps
each one with its errors); the tests assert none was refused. Faults are simulated on demand:
``faults`` (per GraphQL request: ``"429"`` with a ``Retry-After``, ``"drop"`` a connection
closed without an answer, ``None`` served normally), expired attachment URLs
(``expire_first_download``), downloads cut mid-file (``cut_downloads``), a wrong token (HTTP 401, as the API answers).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import socket
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from graphql import build_schema, graphql_sync, parse, validate

from core.config import CallConfig

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = build_schema((ROOT / "teleservice" / "ds_schema.graphql").read_text(encoding="utf-8"))


def _gid(kind: str, n: int | str) -> str:
    """A global id as the API writes them (``RG9zc2llci0xMjM=`` = ``Dossier-123``)."""
    return base64.b64encode(f"{kind}-{n}".encode()).decode()


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


class FakeDs:
    """One démarche, its dossiers, instructeurs, labels; what was asked and what was changed."""

    def __init__(self, token: str, number: int = 4242) -> None:
        self.token = token
        self.number = number
        self.dossiers: dict[int, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.signed: dict[str, tuple[str, int]] = {}  # url token → (blob, epoch)
        self.epoch = 0
        self.expire_first_download = False
        self.cut_downloads = 0  # downloads cut in the middle of the file (connection closed)
        self.faults: deque[str | None] = deque()
        self.fault_filter = lambda body: True  # which GraphQL requests the faults apply to
        self.documents: list[dict[str, Any]] = []  # every GraphQL request: operation, variables, errors
        self.mutations: list[dict[str, Any]] = []  # mutations executed
        self.downloads: list[str] = []
        self.instructeurs = [
            {"id": _gid("Instructeur", 1), "email": "instructrice@ars.sante.fr"},
            {"id": _gid("Instructeur", 2), "email": "referent@ars.sante.fr"},
        ]
        self.labels = [
            {"id": _gid("Label", n), "name": name, "color": "green_menthe"}
            for n, name in enumerate(["Recevable", "À compléter", "Non recevable"], 1)
        ]
        self.schema = SCHEMA
        self._server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ data
    def add_from_folder(self, number: int, folder: Path, config: CallConfig, modified: dt.datetime) -> None:
        """A dossier of the démarche made from a generated dossier folder: its dossier.json's
        values as the champs the call maps, its files as pièces justificatives."""
        form = json.loads((folder / "dossier.json").read_text(encoding="utf-8"))
        flat = _flatten(form)
        by_field = {field: label for label, field in config.ds.champs.value.items()}
        champs = []
        for n, (field, label) in enumerate(by_field.items()):
            if field not in flat:
                continue
            champs.append(self._champ(n, label, flat[field]))
        for n, file in enumerate(sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "dossier.json")):
            champs.append(self._piece(100 + n, f"Pièce justificative {n + 1}", file.name, file.read_bytes()))
        self.dossiers[number] = {
            "__typename": "Dossier",
            "id": _gid("Dossier", number),
            "number": number,
            "state": "en_construction",
            "archived": False,
            "dateDepot": form.get("date_depot"),
            "datePassageEnConstruction": form.get("date_depot"),
            "dateDerniereModification": modified.isoformat(),
            "dateDerniereCorrectionEnAttente": None,
            "demandeur": {
                "__typename": "PersonneMorale",
                "id": _gid("PersonneMorale", number),
                "siret": str((form.get("porteur") or {}).get("siret") or "00000000000000"),
                "siegeSocial": True,
                "entreprise": None,
            },
            "demarche": {"id": _gid("Procedure", self.number), "number": self.number, "title": "AAP ESMS numérique"},
            "groupeInstructeur": {
                "id": _gid("GroupeInstructeur", 1),
                "number": 1,
                "label": "défaut",
                "closed": False,
                "instructeurs": self.instructeurs,
            },
            "labels": [],
            "champs": champs,
            "annotations": [
                {
                    "__typename": "TextChamp",
                    "id": _gid("Champ", f"annotation-{number}"),
                    "champDescriptorId": _gid("TypeDeChamp", 900),
                    "label": "Recevabilité (esmsnum)",
                    "stringValue": None,
                    "value": None,
                    "prefilled": False,
                    "updatedAt": modified.isoformat(),
                }
            ],
            "messages": [],
            "instructeurs": [],
            "usager": {"id": _gid("User", number), "email": "porteur@example.org"},
        }

    def update_champ(self, number: int, label: str, value: Any, when: dt.datetime) -> None:
        dossier = self.dossiers[number]
        for champ in dossier["champs"]:
            if champ["label"] == label:
                champ.update(self._champ(0, label, value, champ["id"], champ["champDescriptorId"]))
        dossier["dateDerniereModification"] = when.isoformat()

    def _champ(self, n: int, label: str, value: Any, cid: str | None = None, did: str | None = None) -> dict:
        common = {
            "id": cid or _gid("Champ", f"{n}-{label}"),
            "champDescriptorId": did or _gid("TypeDeChamp", n),
            "label": label,
            "prefilled": False,
            "updatedAt": "2022-09-01T10:00:00+02:00",
        }
        if isinstance(value, bool):
            return {**common, "__typename": "YesNoChamp", "value": value, "stringValue": "Oui" if value else "Non"}
        if isinstance(value, int):
            return {**common, "__typename": "IntegerNumberChamp", "value": str(value), "stringValue": str(value)}
        if isinstance(value, float):
            return {**common, "__typename": "DecimalNumberChamp", "value": value, "stringValue": str(value)}
        return {**common, "__typename": "TextChamp", "value": value, "stringValue": value}

    def _piece(self, n: int, label: str, filename: str, data: bytes) -> dict:
        blob = hashlib.sha256(data).hexdigest()[:20]
        self.blobs[blob] = data
        server = self

        def url(info: Any) -> str:
            return server.sign(blob)

        file = {
            "filename": filename,
            "url": url,
            "checksum": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "byteSize": len(data),
            "byteSizeBigInt": str(len(data)),
            "contentType": "application/octet-stream",
            "createdAt": "2022-09-01T10:00:00+02:00",
        }
        return {
            "__typename": "PieceJustificativeChamp",
            "id": _gid("Champ", f"pj-{n}"),
            "champDescriptorId": _gid("TypeDeChamp", n),
            "label": label,
            "nature": "NON_SPECIFIE",
            "stringValue": filename,
            "prefilled": False,
            "updatedAt": "2022-09-01T10:00:00+02:00",
            "files": [file],
        }

    def sign(self, blob: str) -> str:
        token = hashlib.sha256(f"{blob}:{self.epoch}:{len(self.signed)}".encode()).hexdigest()[:24]
        self.signed[token] = (blob, self.epoch)
        return f"{self.base}/rails/active_storage/blobs/{token}/fichier"

    # ------------------------------------------------------------------ resolvers
    def root(self) -> dict[str, Any]:
        server = self

        def dossiers(
            info: Any, updatedSince: str | None = None, after: str | None = None, first: int | None = None, **_: Any
        ) -> dict:
            rows = sorted(server.dossiers.values(), key=lambda d: d["number"])
            if updatedSince:
                since = dt.datetime.fromisoformat(updatedSince)
                rows = [d for d in rows if dt.datetime.fromisoformat(d["dateDerniereModification"]) >= since]
            start = int(base64.b64decode(after).decode()) if after else 0
            size = min(first or 100, 100)
            page = rows[start : start + size]
            end = start + len(page)
            return {
                "nodes": page,
                "edges": [
                    {"cursor": base64.b64encode(str(start + i + 1).encode()).decode(), "node": d}
                    for i, d in enumerate(page)
                ],
                "pageInfo": {
                    "hasNextPage": end < len(rows),
                    "hasPreviousPage": start > 0,
                    "endCursor": base64.b64encode(str(end).encode()).decode() if page else None,
                    "startCursor": base64.b64encode(str(start).encode()).decode() if page else None,
                },
            }

        demarche = {
            "id": _gid("Procedure", self.number),
            "number": self.number,
            "title": "AAP ESMS numérique — test",
            "state": "publiee",
            "labels": self.labels,
            "groupeInstructeurs": lambda info, **_: [
                self.dossiers and next(iter(self.dossiers.values()))["groupeInstructeur"]
            ],
            "dossiers": dossiers,
        }

        def find(number: int) -> dict:
            if number not in server.dossiers:
                raise ValueError(f"Dossier not found: {number}")
            return server.dossiers[number]

        def record(name: str, payload: Any) -> Any:
            def mutation(info: Any, input: dict[str, Any]) -> Any:
                server.mutations.append({"mutation": name, "input": input})
                return payload(input)

            return mutation

        def by_id(gid: str) -> dict:
            return next(d for d in server.dossiers.values() if d["id"] == gid)

        def annotate(input: dict) -> dict:
            dossier = by_id(input["dossierId"])
            annotation = next(a for a in dossier["annotations"] if a["id"] == input["annotationId"])
            annotation["stringValue"] = annotation["value"] = input["value"]
            return {"annotation": annotation, "errors": None}

        def label(input: dict) -> dict:
            dossier = by_id(input["dossierId"])
            found = next(lab for lab in server.labels if lab["id"] == input["labelId"])
            dossier["labels"].append(found)
            return {"label": found, "dossier": dossier, "errors": None}

        def instruction(input: dict) -> dict:
            dossier = by_id(input["dossierId"])
            dossier["state"] = "en_instruction"
            return {"dossier": dossier, "errors": None}

        def message(input: dict) -> dict:
            dossier = by_id(input["dossierId"])
            if input.get("correction"):
                dossier["state"] = "en_construction"
                dossier["dateDerniereCorrectionEnAttente"] = "2022-10-05T09:00:00+02:00"
            item = {"id": _gid("Commentaire", len(dossier["messages"]) + 1), "body": input["body"]}
            dossier["messages"].append(item)
            return {"message": {**item, "email": "x", "createdAt": "2022-10-05T09:00:00+02:00", "attachments": []}}

        return {
            "demarche": lambda info, number: demarche if number == server.number else find(-1),
            "dossier": lambda info, number: find(number),
            "dossierModifierAnnotationText": record("dossierModifierAnnotationText", annotate),
            "dossierAjouterLabel": record("dossierAjouterLabel", label),
            "dossierPasserEnInstruction": record("dossierPasserEnInstruction", instruction),
            "dossierEnvoyerMessage": record("dossierEnvoyerMessage", message),
        }

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        query = body.get("query") or ""
        variables = body.get("variables") or {}
        errors = [e.message for e in validate(self.schema, parse(query))]
        self.documents.append({"operation": body.get("operationName"), "variables": variables, "errors": errors})
        if errors:
            return {"errors": [{"message": m} for m in errors]}
        result = graphql_sync(
            self.schema,
            query,
            root_value=self.root(),
            variable_values=variables,
            operation_name=body.get("operationName"),
        )
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [{"message": e.message} for e in result.errors]
            self.documents[-1]["errors"] = [e.message for e in result.errors]
        return out

    # ------------------------------------------------------------------ HTTP
    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.base + "/api/v2/graphql"

    def start(self) -> FakeDs:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    fault = server.faults.popleft() if server.faults and server.fault_filter(body) else None
                    if fault == "drop":
                        server.documents.append(
                            {
                                "operation": body.get("operationName"),
                                "variables": body.get("variables"),
                                "errors": [],
                                "fault": "drop",
                            }
                        )
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    if fault == "429":
                        server.documents.append(
                            {
                                "operation": body.get("operationName"),
                                "variables": body.get("variables"),
                                "errors": [],
                                "fault": "429",
                            }
                        )
                        self._json(429, {"errors": [{"message": "Too many requests"}]}, {"Retry-After": "7"})
                        return
                    if self.headers.get("Authorization") != f"Bearer {server.token}":
                        self._json(
                            401, {"errors": [{"message": "Without a token, only persisted queries are allowed"}]}
                        )
                        return
                    self._json(200, server.answer(body))

            def do_GET(self) -> None:
                parts = self.path.split("/")
                token = parts[4] if len(parts) > 4 else ""
                with server.lock:
                    if token not in server.signed:
                        self.send_response(404)
                        self.end_headers()
                        return
                    blob, epoch = server.signed[token]
                    if server.expire_first_download:
                        server.expire_first_download = False
                        server.epoch += 1
                    if epoch != server.epoch:
                        self.send_response(403)  # a signed URL past its life
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    data = server.blobs[blob]
                    server.downloads.append(blob)
                    cut = server.cut_downloads > 0
                    server.cut_downloads -= 1 if cut else 0
                if cut:  # half the announced bytes, then the connection closes
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
