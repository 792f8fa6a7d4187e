"""``python -m grader`` and the ``grader`` console script (the same entry point)."""
import sys


def run() -> None:
    from .cli import main
    sys.exit(main())


if __name__ == "__main__":
    run()
