"""What a new password must not be: shorter than 10 characters or one of the most common.

The lists are in app/data (sources in app/data/SOURCES.md); the comparison ignores case and
surrounding spaces, as Django's CommonPasswordValidator does.
"""

from functools import cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 256
TOO_COMMON = (
    "This password is one of the most commonly used passwords; choose one that is harder "
    "to guess (a few unrelated words work well)."
)

_DATA = Path(__file__).parent / "data"
_LISTS = ("common-passwords.txt", "common-passwords-nl.txt")


@cache
def common_passwords() -> frozenset[str]:
    words: set[str] = set()
    for name in _LISTS:
        for line in (_DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                words.add(line.strip().lower())
    return frozenset(words)


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def check_new_password(password: str) -> str:
    """A pydantic after-validator: refuse the most common passwords (422)."""
    if is_common(password):
        raise ValueError(TOO_COMMON)
    return password
