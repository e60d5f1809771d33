"""A bounded per-token memo for the hot loops of sentiment and framing (and per-string ones for
sourcing's rules).

Tokens repeat across a corpus, so what a stage works out about a token alone is kept
per distinct token. The memo is emptied when it reaches ``LIMIT`` entries, so memory
stays flat on any corpus.
"""
from __future__ import annotations

from typing import Callable, Hashable, Sequence, TypeVar

V = TypeVar("V")

LIMIT = 1 << 18  # distinct tokens remembered


def lookup(memo: dict, tokens: Sequence[Hashable], compute: Callable[[Hashable], V]) -> list[V]:
    """``[compute(token) for token in tokens]``, each distinct token computed once while it is
    remembered in ``memo``."""
    try:  # every token seen before: one C pass (no scan of the values for a None marker)
        return list(map(memo.__getitem__, tokens))
    except KeyError:  # tokens not seen before
        pass
    if len(memo) >= LIMIT:
        memo.clear()
    for token in set(tokens).difference(memo):
        memo[token] = compute(token)
    return list(map(memo.__getitem__, tokens))


_UNSEEN = object()


def remember(memo: dict, key: Hashable, compute: Callable[[Hashable], V], limit: int = LIMIT) -> V:
    """``compute(key)``, worked out once per distinct ``key`` while remembered in ``memo`` (emptied
    at ``limit`` entries); ``compute`` may return anything, None included."""
    found = memo.get(key, _UNSEEN)
    if found is _UNSEEN:
        if len(memo) >= limit:
            memo.clear()
        found = memo[key] = compute(key)
    return found
