"""The window around every screenshot: title bar, app bar, sidebar, status bar, page header."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Box, Canvas, Label, _t, cjk_available
from saasport.demo_content.colors import (
    FAINT,
    GREEN,
    INK,
    LINE,
    MUTED,
    PANEL,
    RGB,
    TEXT,
    WHITE,
    _mix,
    _shade,
    _tint,
)
from saasport.demo_content.icons import _icon_image
from saasport.demo_content.widgets import Badge, _badge, _mini_icon, _progress

SHOT_SIZE = (1024, 768)
SHOT_SCALE = 2
CHROME_H, APPBAR_H, SIDEBAR_W, STATUS_H = 30, 46, 208, 26
TOP = CHROME_H + APPBAR_H
MAIN: Box = (SIDEBAR_W, TOP, SHOT_SIZE[0], SHOT_SIZE[1] - STATUS_H)


@dataclass(frozen=True)
class View:
    """One screenshot: the app's chrome around a drawing of its main area."""

    page: Label  # shown in the window title and the breadcrumb
    tabs: tuple[Label, ...]  # top-bar navigation, the first one active
    menu: tuple[tuple[str, Label], ...]  # sidebar: (mini icon, label)
    active: int  # selected sidebar entry
    status: tuple[str, str]  # status bar, left and right
    draw: Callable[[Canvas, DemoApp, Box], None]
    menu_title: Label = ("工作区", "WORKSPACE")


def _window_chrome(c: Canvas, app: DemoApp, view: View) -> None:
    c.rect((0, 0, SHOT_SIZE[0], CHROME_H), (231, 233, 237))
    c.line([(0, CHROME_H - 1), (SHOT_SIZE[0], CHROME_H - 1)], (214, 217, 222))
    for i, color in enumerate(((255, 95, 87), (254, 188, 46), (40, 200, 64))):
        c.circle((18 + 20 * i, CHROME_H / 2), 6, color)
    host = app.website.removeprefix("https://")
    title = f"{_t(view.page)} - {host}"
    c.text((SHOT_SIZE[0] / 2, CHROME_H / 2), title, 12, MUTED, anchor="mm")


def _app_bar(c: Canvas, app: DemoApp, view: View) -> None:
    dark = _mix(app.palette[1], (15, 19, 30), 0.72)
    c.rect((0, CHROME_H, SHOT_SIZE[0], TOP), dark)
    mid = CHROME_H + APPBAR_H / 2
    size = 28 * c.scale
    icon = _icon_image(app, scale=1).resize((size, size), Image.Resampling.LANCZOS)
    c.paste(icon, (14, mid - 14))
    x = 52 + c.text(
        (52, mid), _t(app.name) if cjk_available() else app.english_name, 14, WHITE, bold=True
    )
    x += 28
    for i, tab in enumerate(view.tabs):
        color = WHITE if i == 0 else _mix(WHITE, dark, 0.45)
        w = c.text((x, mid), tab, 12, color)
        if i == 0:
            c.rect((x, TOP - 3, x + w, TOP), _tint(app.palette[0], 0.2))
        x += w + 22
    _app_bar_right(c, app, dark, mid)


def _app_bar_right(c: Canvas, app: DemoApp, dark: RGB, mid: float) -> None:
    right = SHOT_SIZE[0] - 16
    c.circle((right - 14, mid), 14, app.accent)
    c.text((right - 14, mid), "AL", 11, WHITE, bold=True, anchor="mm")
    c.circle((right - 50, mid), 3, _mix(WHITE, dark, 0.35))
    c.circle((right - 50, mid), 9, outline=_mix(WHITE, dark, 0.45), width=1.5)
    box = (right - 250, mid - 14, right - 72, mid + 14)
    c.rect(box, _mix(dark, WHITE, 0.1), radius=7)
    c.circle((box[0] + 16, mid - 1), 5, outline=_mix(WHITE, dark, 0.45), width=1.5)
    c.line([(box[0] + 20, mid + 3), (box[0] + 24, mid + 7)], _mix(WHITE, dark, 0.45), 1.5)
    c.text((box[0] + 30, mid), ("搜索", "Search"), 12, _mix(WHITE, dark, 0.5))
    c.text((box[2] - 10, mid), "Ctrl K", 10, _mix(WHITE, dark, 0.6), anchor="rm")


def _sidebar(c: Canvas, app: DemoApp, view: View) -> None:
    c.rect((0, TOP, SIDEBAR_W, SHOT_SIZE[1] - STATUS_H), PANEL)
    c.line([(SIDEBAR_W - 1, TOP), (SIDEBAR_W - 1, SHOT_SIZE[1] - STATUS_H)], LINE)
    c.text((20, TOP + 24), view.menu_title, 10, FAINT, bold=True)
    y = TOP + 42
    for i, (icon, label) in enumerate(view.menu):
        active = i == view.active
        if active:
            c.rect((10, y, SIDEBAR_W - 10, y + 34), _tint(app.accent, 0.88), radius=7)
            c.rect((10, y + 8, 13, y + 26), app.accent, radius=1.5)
        color = _shade(app.accent, 0.15) if active else TEXT
        _mini_icon(c, icon, 24, y + 9, app.accent if active else MUTED)
        c.text((50, y + 17), label, 13, color, bold=active)
        y += 38
    _trial_card(c, app)


def _trial_card(c: Canvas, app: DemoApp) -> None:
    """The free-trial reminder at the bottom of the sidebar."""
    y0 = SHOT_SIZE[1] - STATUS_H - 96
    c.rect((12, y0, SIDEBAR_W - 12, y0 + 82), WHITE, radius=8, outline=LINE)
    c.text((26, y0 + 20), ("免费试用", "Free trial"), 12, INK, bold=True)
    c.text((SIDEBAR_W - 26, y0 + 20), ("剩 12 天", "12 days left"), 11, app.accent, anchor="rm")
    _progress(c, (26, y0 + 38, SIDEBAR_W - 26, y0 + 44), 0.6, app.accent)
    c.text((26, y0 + 62), ("机时 1,820 / 3,000 核时", "1,820 / 3,000 core-h"), 11, MUTED)


def _status_bar(c: Canvas, app: DemoApp, view: View) -> None:
    y0 = SHOT_SIZE[1] - STATUS_H
    c.rect((0, y0, SHOT_SIZE[0], SHOT_SIZE[1]), (243, 244, 246))
    c.line([(0, y0), (SHOT_SIZE[0], y0)], LINE)
    c.circle((16, y0 + STATUS_H / 2), 4, GREEN)
    c.text((28, y0 + STATUS_H / 2), view.status[0], 11, MUTED)
    c.text((SHOT_SIZE[0] - 16, y0 + STATUS_H / 2), view.status[1], 11, MUTED, anchor="rm")


def _page_header(
    c: Canvas, area: Box, title: Label, subtitle: Label, *, badge: Badge | None = None
) -> float:
    """A page title with a muted subtitle; returns the y below it."""
    x0, y0, _, _ = area
    w = c.text((x0 + 20, y0 + 28), title, 18, INK, bold=True)
    if badge:
        _badge(c, (x0 + 32 + w, y0 + 28), badge.text, badge.color)
    c.text((x0 + 20, y0 + 52), subtitle, 12, MUTED)
    return y0 + 72


def _menu(*items: tuple[str, str, str]) -> tuple[tuple[str, Label], ...]:
    return tuple((icon, (zh, en)) for icon, zh, en in items)
