"""Build common_chars.txt: the characters the mojibake check treats as common.

    .venv/bin/python benchmarks/build_common_chars.py

A character is common when its simplified form is among the TOP most frequent characters
of jieba's dictionary (dict.txt, 349k words with corpus frequencies; a character's frequency
is the sum of the frequencies of the words it occurs in). Traditional forms are added through
OpenCC t2s, so the list serves both scripts. The output is deterministic for a given jieba and
OpenCC version.
"""
from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

TOP = 4000
OUT = Path(__file__).resolve().parents[1] / "pipeline" / "resources" / "common_chars.txt"
CJK = [chr(c) for c in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00))]


def main() -> None:
    import opencc

    dict_path = Path(importlib.util.find_spec("jieba").origin).parent / "dict.txt"
    freq: Counter = Counter()
    for line in dict_path.read_text(encoding="utf-8").splitlines():
        word, count, *_ = line.split(" ")
        for ch in word:
            freq[ch] += int(count)
    ranked = [ch for ch, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0])) if "\u3400" <= ch <= "\u9fff"]
    t2s = opencc.OpenCC("t2s")
    simplified = t2s.convert("\n".join(CJK)).split("\n")
    assert len(simplified) == len(CJK)
    top = set(t2s.convert("\n".join(ranked)).split("\n")[:TOP]) | set(ranked[:TOP])
    common = sorted({ch for ch, s in zip(CJK, simplified) if s in top} | top)
    lines = ["".join(common[i:i + 64]) for i in range(0, len(common), 64)]
    OUT.write_text(
        f"# {len(common)} common CJK characters (top {TOP} of jieba dict.txt by word frequency, with their "
        "traditional forms via OpenCC t2s); built by build_common_chars.py\n" + "\n".join(lines) + "\n",
        encoding="utf-8")
    print(f"{OUT}: {len(common)} characters")


if __name__ == "__main__":
    main()
