"""Progress of a run: a terminal bar for the operator, a progress artifact in the Prefect UI.

The flow reports each finished dossier to ``Progress.advance``; the CLI installs a
terminal display with ``set_display``. Nothing here decides anything.
"""

from __future__ import annotations

import time
from typing import Protocol


class Display(Protocol):
    def start(self, total: int) -> None: ...
    def update(self, done: int, total: int, errors: int) -> None: ...
    def stop(self) -> None: ...


_display: Display | None = None


def set_display(display: Display | None) -> None:
    global _display
    _display = display


class Progress:
    """Counts finished dossiers; pushes to the terminal at once, to the UI every few percent."""

    def __init__(self, total: int, call_id: str) -> None:
        self.total, self.done, self.errors = total, 0, 0
        self._artifact = None
        self._last_ui = 0.0
        try:
            from prefect.artifacts import create_progress_artifact

            self._artifact = create_progress_artifact(
                progress=0.0, key=_artifact_key(call_id), description=f"Dossiers analysés — {call_id}"
            )
        except Exception:  # noqa: BLE001 - the UI is a convenience, never a reason to fail
            self._artifact = None
        if _display:
            _display.start(total)

    def advance(self, *, error: bool = False) -> None:
        self.done += 1
        self.errors += int(error)
        if _display:
            _display.update(self.done, self.total, self.errors)
        now = time.monotonic()
        if self._artifact and (now - self._last_ui > 2 or self.done == self.total):
            self._last_ui = now
            try:
                from prefect.artifacts import update_progress_artifact

                update_progress_artifact(self._artifact, progress=100.0 * self.done / max(self.total, 1))
            except Exception:  # noqa: BLE001
                self._artifact = None

    def finish(self) -> None:
        if _display:
            _display.stop()


def _artifact_key(call_id: str) -> str:
    return "progression-" + "".join(c if c.isalnum() else "-" for c in call_id.lower())


class TerminalBar:
    """rich progress bar: dossiers done / total, errors so far, time left (on stderr)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._progress = RichProgress(
            TextColumn("Dossiers"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("· erreurs : {task.fields[errors]}"),
            TextColumn("· reste"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = None

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("dossiers", total=total, errors=0)

    def update(self, done: int, total: int, errors: int) -> None:
        self._progress.update(self._task, completed=done, total=total, errors=errors)

    def stop(self) -> None:
        self._progress.stop()
