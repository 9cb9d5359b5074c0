"""The client-name rule of docs/PROTOCOL.md ("Names and ids"), the same as lib/common/names.ts.

A name is 1 to NAME_MAX_LENGTH UTF-16 code units, in Unicode Normalization
Form C, with no control (Cc), format (Cf: bidi overrides and isolates,
zero-width characters, U+FEFF), surrogate (Cs), private-use (Co) or
unassigned (Cn) characters, no line or paragraph separator (Zl, Zp) and no
space but U+0020 (Zs). The server refuses others with BAD_MESSAGE; this
client refuses them before connecting, with INVALID_ARGUMENT.
"""

import unicodedata

from .protocol import NAME_MAX_LENGTH

_REFUSED_CATEGORIES = frozenset(["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"])


def peer_name_problem(name, server_name=None):
    """Why `name` cannot be a client name, or None when it can."""
    if not isinstance(name, str) or not name:
        return "a client name must be a non-empty string"
    if len(name.encode("utf-16-le", "surrogatepass")) // 2 > NAME_MAX_LENGTH:
        return f"a client name may have at most {NAME_MAX_LENGTH} characters"
    for character in name:
        if character != " " and unicodedata.category(character) in _REFUSED_CATEGORIES:
            return ("a client name may not contain control, invisible, unassigned or private-use characters "
                    f"nor spaces other than U+0020 (found U+{ord(character):04X})")
    if unicodedata.normalize("NFC", name) != name:
        return "a client name must be in Unicode Normalization Form C (NFC)"
    if server_name is not None and name == server_name:
        return f"{name!r} is the server's own name"
    return None
