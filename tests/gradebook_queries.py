"""Counting the SQL a step of grading runs against nbgrader's gradebook."""
from __future__ import annotations


def statements_of(step, url: str) -> list[str]:
    """The SQL statements ``step()`` runs, less one opening of the gradebook at ``url`` (nbgrader's table checks,
    which every ``Gradebook`` open repeats: a step that opens it once counts only its own work)."""
    import nbgrader.api as api
    from sqlalchemy import event

    statements, original = [], api.create_engine

    def counted(*args, **kwargs):
        engine = original(*args, **kwargs)
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        return engine

    api.create_engine = counted
    try:
        api.Gradebook(url).close()
        opening, statements[:] = list(statements), []
        step()
    finally:
        api.create_engine = original
    for statement in opening:  # one open's checks
        if statement in statements:
            statements.remove(statement)
    return statements
