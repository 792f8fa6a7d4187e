"""``python -m grader`` and the ``grader`` console script (the same entry point)."""
import sys

# jsonschema (via nbformat) imports the optional rfc3987_syntax, which compiles a grammar at
# import time (0.6 s here) to check "iri" formats that notebooks never use. The grading
# commands skip it (jsonschema treats it as absent), so learners wait less for `grader check`.
sys.modules.setdefault("rfc3987_syntax", None)


def run() -> None:
    from .cli import main
    sys.exit(main())


if __name__ == "__main__":
    run()
