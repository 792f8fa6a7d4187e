"""``nbgrader export`` restricted to the released assignments (``ExportApp.plugin_class``, set in
``grader.config.configure_instructor``): the course notebooks never handed out are not rows of 0.0."""
from __future__ import annotations

import os
from pathlib import Path

from nbgrader.plugins import CsvExportPlugin

from ..engine.grades import released_assignments


class ReleasedCsvExport(CsvExportPlugin):
    """``nbgrader export`` of the released assignments only (all of them with ``--assignment``), to
    ``nbgrader-grades.csv`` by default: ``grades.csv`` is ``grader grade``'s, not to be overwritten."""

    def export(self, gradebook) -> None:
        if not self.to:
            self.to = "nbgrader-grades.csv"
        if not self.assignment:
            # An empty list means every assignment to nbgrader: no name matches "" (nothing released, no rows).
            self.assignment = released_assignments(Path(self.parent.coursedir.root)) or [""]
        super().export(gradebook)
        os.chmod(self.to, 0o600)  # grades: the instructor's alone (nbgrader writes with the umask's mode)
