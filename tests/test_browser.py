"""The report in a real browser (headless Chromium) on a machine without a Chinese font.

`make test` installs Chromium from Debian's packages when it is missing and the machine lets it
(root, apt-get); elsewhere this test is skipped with the reason. It draws the seed report's
Chinese text twice, with the page's embedded font and without it, and checks that the
embedded font is what draws it: with no system CJK font, the text without it is boxes.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from pipeline import report


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def _system_cjk_fonts() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    done = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60)
    return [line for line in done.stdout.splitlines() if line.strip()]


def _screenshot(browser: str, html: str, tmp_path, name: str):
    from PIL import Image

    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / f"{name}.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=600,120", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.exists(), f"{browser} wrote no screenshot"
    return Image.open(shot).convert("L")


def test_chinese_is_drawn_with_the_embedded_font(seed_outputs, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium here (make test installs it with apt-get where it runs as root)")
    fonts = _system_cjk_fonts()
    if fonts:
        pytest.skip(f"a system CJK font is installed ({fonts[0]}): the embedded font cannot be told apart")
    page = (seed_outputs / "09_report" / report.REPORT).read_text(encoding="utf-8")
    face = page[page.index("@font-face"):page.index("}", page.index("@font-face")) + 1]
    text = "智谱裁员与上市：框架"
    body = (f'<body style="margin:0;background:#fff"><p style="font:40px \'{report.FONT_FAMILY}\',sans-serif;'
            f'margin:20px">{text}</p></body>')
    with_font = _screenshot(browser, f"<html><head><style>{face}</style></head>{body}</html>", tmp_path, "with")
    without = _screenshot(browser, f"<html><head></head>{body}</html>", tmp_path, "without")
    ink = sum(1 for v in with_font.getdata() if v < 128)
    assert ink > 2000, "the embedded font drew (almost) nothing"
    assert list(with_font.getdata()) != list(without.getdata()), "the embedded font made no difference"
