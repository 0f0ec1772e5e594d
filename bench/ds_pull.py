"""Démarches simplifiées pull (``esmsnum ds importer``) against the tests' local server:
a first pull of N dossiers, an incremental pull with nothing changed, a full pull again
(attachments copied, not downloaded). Prints seconds, requests and MB per pull.

    .venv/bin/python bench/ds_pull.py [--dossiers 200] [--par-page 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from ds_server import FakeDs  # noqa: E402

from core.config import load_call  # noqa: E402
from fixtures.generate import generate  # noqa: E402
from teleservice.client import DsClient  # noqa: E402
from teleservice.pull import pull  # noqa: E402

CALL = "ars-ara-2022-regional"
TOKEN = "bench-token"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--par-page", type=int, default=20)
    args = parser.parse_args()
    config = load_call(CALL)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "gen", calls=[CALL], only=["clean-workbook", "clean-separate-csv", "PIE-01"])
        folders = sorted((root / "gen" / CALL / "dossiers").iterdir())
        fake = FakeDs(TOKEN).start()
        past = dt.datetime(2022, 9, 30, tzinfo=dt.UTC)
        for n in range(args.dossiers):
            fake.add_from_folder(1 + n, folders[n % len(folders)], config, past)
        target = root / "appel"
        try:
            for label, full in (("première importation", False), ("rien de changé", False), ("tout redemandé", True)):
                downloads = len(fake.downloads)
                sent = len(fake.documents)
                started = time.perf_counter()
                with DsClient(fake.url, TOKEN) as client:
                    result = pull(client, fake.number, config, target, page_size=args.par_page, full=full)
                seconds = time.perf_counter() - started
                mb = sum(len(fake.blobs[b]) for b in fake.downloads[downloads:]) / 1e6
                print(
                    f"{label:22} {seconds:6.2f} s  {len(result.fetched):4} reçus  {len(result.written):4} écrits  "
                    f"{len(fake.documents) - sent:3} requêtes  {len(fake.downloads) - downloads:4} téléchargements  {mb:6.1f} Mo"
                )
        finally:
            fake.stop()


if __name__ == "__main__":
    main()
