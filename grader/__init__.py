"""Instructor-only code: reference implementations, test cases, verdicts, the grading command line.

Students never get this package; ``cnn_course`` (the student-facing helpers) never imports it.
"""
import sys

# jsonschema (via nbformat) imports the optional rfc3987_syntax, which compiles an Earley grammar
# at import time (0.6-1.4 s here) to check "iri" formats that notebooks never use. Every grading
# process (the command line, its workers, the build) skips it: jsonschema treats it as absent.
sys.modules.setdefault("rfc3987_syntax", None)
