"""The demo storefront content: listing fields within the catalog's limits, valid images."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt
from PIL import Image

from saasport.demo_content import DEMO_APPS, DemoApp, canvas, render_icon, render_screenshot
from saasport.demo_content.icons import GLYPHS

# The listing rules, as the catalog states them (spelled out here so that this test does not
# follow the catalog's modules around while they are being reorganised).
CATEGORIES = {"hpc", "ai", "cae", "bio", "materials", "data", "devtools", "other"}
PERMISSIONS = {"profile", "email", "phone", "enterprise"}
DIALECTS = {"native", "scnet"}
NAME_MAX, SUMMARY_MAX = 64, 30
ICON_SIZE, ICON_MAX_BYTES = (96, 96), 512 * 1024
SCREENSHOT_SIZE, SCREENSHOT_MAX_BYTES = (1024, 768), 4 * 1024 * 1024

APPS = pytest.mark.parametrize("app", DEMO_APPS, ids=[a.slug for a in DEMO_APPS])


@pytest.fixture(scope="module")
def icons() -> dict[str, bytes]:
    return {app.slug: render_icon(app) for app in DEMO_APPS}


@pytest.fixture(scope="module")
def screenshots() -> dict[tuple[str, int], bytes]:
    return {(app.slug, v): render_screenshot(app, v) for app in DEMO_APPS for v in (0, 1)}


def _words(text: str) -> int:
    """Words in mixed text: Latin words, plus one per Chinese character."""
    latin = re.findall(r"[A-Za-z0-9]+(?:[-'.][A-Za-z0-9]+)*", text)
    return len(latin) + len(re.findall(r"[\u3400-\u9fff]", text))


def test_six_apps_with_unique_slugs_the_first_two_used_today() -> None:
    slugs = [app.slug for app in DEMO_APPS]
    assert len(DEMO_APPS) == 6
    assert slugs[:2] == ["notebook", "workbench"]
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"[a-z][a-z0-9_-]*", slug) for slug in slugs)


@APPS
def test_fields_within_listing_limits(app: DemoApp) -> None:
    assert 1 <= len(app.name) <= NAME_MAX
    assert 1 <= len(app.summary) <= SUMMARY_MAX
    assert re.search(r"[\u4e00-\u9fff]", app.summary)
    assert app.category in CATEGORIES
    assert app.dialect in DIALECTS
    assert set(app.permissions) <= PERMISSIONS
    assert "profile" in app.permissions
    assert app.glyph in GLYPHS
    assert app.english_name.isascii() and app.english_name
    parts = urlsplit(app.website)
    assert parts.scheme == "https" and (parts.hostname or "").endswith(".example")
    for colour in app.palette:
        assert len(colour) == 3 and all(0 <= v <= 255 for v in colour)


def test_dialects_alternate_from_scnet_and_permissions_vary() -> None:
    assert [app.dialect for app in DEMO_APPS] == ["scnet", "native"] * 3
    assert len({app.permissions for app in DEMO_APPS}) > 1
    assert len({app.glyph for app in DEMO_APPS}) == len(DEMO_APPS)


@APPS
def test_description_is_bilingual_commonmark_with_a_feature_list(app: DemoApp) -> None:
    text = app.description_md
    assert 80 <= _words(text) <= 200
    assert re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]{4,} [A-Za-z]{4,}", text)
    tokens = MarkdownIt("commonmark").parse(text)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert "bullet_list_open" in kinds
    assert not kinds & {"html_block", "html_inline"}
    guide = MarkdownIt("commonmark").parse(app.guide_md)
    assert {"heading_open", "ordered_list_open"} <= {t.type for t in guide}


@APPS
def test_icon_is_a_96px_png_within_the_limit(app: DemoApp, icons: dict[str, bytes]) -> None:
    data = icons[app.slug]
    assert len(data) <= ICON_MAX_BYTES
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", ICON_SIZE)
        assert image.mode in ("RGB", "RGBA")
        image.load()
        rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A")
    assert alpha.getpixel((0, 0)) == 0, "rounded corners are transparent"
    assert alpha.getpixel((48, 48)) == 255
    assert len(rgba.getcolors(maxcolors=96 * 96) or []) > 50, "more than a flat tile and a word"


@APPS
@pytest.mark.parametrize("variant", [0, 1])
def test_screenshot_is_a_1024x768_png_within_the_limit(
    app: DemoApp, variant: int, screenshots: dict[tuple[str, int], bytes]
) -> None:
    data = screenshots[app.slug, variant]
    assert len(data) <= SCREENSHOT_MAX_BYTES
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", SCREENSHOT_SIZE)
        image.verify()


@APPS
def test_the_two_screenshots_show_different_views(
    app: DemoApp, screenshots: dict[tuple[str, int], bytes]
) -> None:
    assert screenshots[app.slug, 0] != screenshots[app.slug, 1]
    with pytest.raises(ValueError, match="variant"):
        render_screenshot(app, 2)


def test_rendering_is_deterministic(
    icons: dict[str, bytes], screenshots: dict[tuple[str, int], bytes]
) -> None:
    for app in DEMO_APPS:
        assert render_icon(app) == icons[app.slug]
        for variant in (0, 1):
            assert render_screenshot(app, variant) == screenshots[app.slug, variant]


def test_renders_english_labels_without_the_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canvas, "CJK_FONT", Path("/nonexistent/NotoSansCJK-Regular.ttc"))
    assert not canvas.cjk_available()
    assert canvas._t(("中文", "English")) == "English"
    for app in DEMO_APPS:
        data = render_screenshot(app, 0)
        with Image.open(io.BytesIO(data)) as image:
            assert (image.format, image.size) == ("PNG", SCREENSHOT_SIZE)
