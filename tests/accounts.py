"""Student ids and unix accounts that no one on this machine has: tests must not depend on which accounts exist.

The course's collect skips a folder in a student's name made by another account (``grader/instructor/exchange.py``). A test
that submits as root in the name of "alice" therefore fails on a machine where an account alice exists. Tests
use :func:`unused_names` for ids that must have no account, and :func:`temporary_accounts` (root only) for the
accounts a test acts as: made with names nobody has, removed afterwards.
"""
from __future__ import annotations

import pwd
import secrets
import subprocess
import time
from contextlib import contextmanager
from typing import Iterator, NamedTuple


class Account(NamedTuple):
    name: str
    uid: int
    gid: int


def _has_account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def unused_names(*stems: str) -> tuple[str, ...]:
    """Each stem with one random suffix (``alice`` -> ``alice3f9a1c``), so that no unix account has any of them."""
    while True:
        suffix = secrets.token_hex(3)
        names = tuple(f"{stem}{suffix}" for stem in stems)
        if not any(map(_has_account, names)):
            return names


def _run_retrying(command: list[str]) -> subprocess.CompletedProcess:
    """useradd and userdel lock /etc/passwd: a test on the other pytest worker may hold it for a moment."""
    for _ in range(50):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 10 and "lock" not in done.stderr:  # 10: "can't update password file"
            return done
        time.sleep(0.1)
    return done


@contextmanager
def temporary_accounts(*stems: str) -> Iterator[list[Account]]:
    """Unix accounts named after ``stems`` with a suffix nobody has, each in a group of its own, no home, no
    shell; removed (with their groups) when the block ends, whatever happened in it."""
    made: list[Account] = []
    try:
        for name in unused_names(*stems):
            done = _run_retrying(["useradd", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name])
            assert done.returncode == 0, f"useradd {name}: {done.stderr.strip()}"
            entry = pwd.getpwnam(name)
            made.append(Account(name, entry.pw_uid, entry.pw_gid))
        yield made
    finally:
        for account in made:
            _run_retrying(["userdel", account.name])
            _run_retrying(["groupdel", account.name])  # userdel leaves it where USERGROUPS_ENAB is off
