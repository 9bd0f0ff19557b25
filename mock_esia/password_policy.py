"""The mock ESIA password policy (ESIA's published rules): every broken rule, as a Russian message.

``policy_violations`` is pure and cheap; ``new_password_problems`` adds the
"not reused" rule, which checks the candidate against the current hash and the
recent history (scrypt, so call it off the event loop). Expiry after
``password_max_age_days`` is ``Account.password_expired``.
"""

from __future__ import annotations

from mock_esia.accounts import Account, verify_password

MIN_LENGTH = 12
MAX_LENGTH = 128
RUN_LENGTH = 4
HISTORY_CHECKED = 10

TOO_SHORT = f"Пароль должен содержать не менее {MIN_LENGTH} символов"
TOO_LONG = f"Пароль должен содержать не более {MAX_LENGTH} символов"
NO_UPPER = "Пароль должен содержать заглавные буквы"
NO_LOWER = "Пароль должен содержать строчные буквы"
NO_DIGIT = "Пароль должен содержать цифры"
NO_SYMBOL = "Пароль должен содержать специальные символы (например, ! ? - _ #)"
SEQUENCE = "Пароль не должен содержать последовательности символов (например, 1234, abcd, qwerty)"
REPEATED = f"Пароль не должен содержать один символ {RUN_LENGTH} раза подряд и более"
COMMON_WORD = "Пароль не должен содержать распространённые слова (например, password, пароль, admin)"
REUSED = "Новый пароль должен отличаться от текущего и ранее использованных"
MISMATCH = "Пароли не совпадают"

_ROWS = (
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "1234567890-=",
    "qwertyuiop[]",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю",
)
COMMON_WORDS = (
    "password", "parol", "qwerty", "admin", "gosuslugi", "gosuslug", "esia", "esiya",
    "welcome", "letmein", "iloveyou", "gfhjkm",
)  # fmt: skip
_LATIN = (
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s", "t",
    "u", "f", "h", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya",
)  # fmt: skip
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN, strict=True))
_LEET = str.maketrans({"0": "o", "@": "a", "$": "s", "3": "e", "1": "i", "!": "i", "4": "a", "5": "s"})


def _runs(text: str) -> bool:
    for row in _ROWS:
        for step in (row, row[::-1]):
            for start in range(len(step) - RUN_LENGTH + 1):
                if step[start : start + RUN_LENGTH] in text:
                    return True
    return False


def _repeats(text: str) -> bool:
    return any(text[i] * RUN_LENGTH == text[i : i + RUN_LENGTH] for i in range(len(text) - RUN_LENGTH + 1))


def _latin_forms(lowered: str) -> set[str]:
    """The password as typed, transliterated from Cyrillic, and with "leet" digits read as letters."""
    translit = "".join(_TRANSLIT.get(ch, ch) for ch in lowered)
    return {lowered, translit, lowered.translate(_LEET), translit.translate(_LEET)}


def _has_common_word(lowered: str) -> bool:
    return any(word in form for form in _latin_forms(lowered) for word in COMMON_WORDS)


def policy_violations(password: str) -> list[str]:
    """Every composition rule ``password`` breaks (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    if not any(ch.isupper() for ch in password):
        problems.append(NO_UPPER)
    if not any(ch.islower() for ch in password):
        problems.append(NO_LOWER)
    if not any(ch.isdigit() for ch in password):
        problems.append(NO_DIGIT)
    if not any(not ch.isalnum() and not ch.isspace() for ch in password):
        problems.append(NO_SYMBOL)
    lowered = password.lower()
    if _runs(lowered):
        problems.append(SEQUENCE)
    if _repeats(lowered):
        problems.append(REPEATED)
    if _has_common_word(lowered):
        problems.append(COMMON_WORD)
    return problems


def was_used(password: str, account: Account) -> bool:
    """The current password or one of the last ``HISTORY_CHECKED`` ones (scrypt: blocking)."""
    hashes = [account.password_hash, *account.password_history[-HISTORY_CHECKED:]]
    return any(verify_password(password, stored) for stored in hashes)


def new_password_problems(password: str, confirmation: str, account: Account) -> list[str]:
    """All the reasons ``password`` cannot replace the account's password (blocking: scrypt)."""
    problems = policy_violations(password)
    if password != confirmation:
        problems.append(MISMATCH)
    if len(password) <= MAX_LENGTH and was_used(password, account):
        problems.append(REUSED)
    return problems
