"""The instructor's tools besides grading: the class report (``report``), the roll from an LMS roster
(``roster``), the course's collect and release of feedback through nbgrader's exchange (``exchange``),
and ``nbgrader export`` limited to the released assignments (``nbgrader_export``)."""
