"""A whole screenshot: the view for the app's category drawn inside the window chrome."""

from __future__ import annotations

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Canvas, _png
from saasport.demo_content.chrome import (
    MAIN,
    SHOT_SCALE,
    SHOT_SIZE,
    View,
    _app_bar,
    _sidebar,
    _status_bar,
    _window_chrome,
)
from saasport.demo_content.colors import CANVAS_BG
from saasport.demo_content.screens import ai, cae, genomics, hpc, materials, notebook

VIEWS: dict[str, tuple[View, View]] = {
    "data": notebook.VIEWS,
    "cae": cae.VIEWS,
    "materials": materials.VIEWS,
    "ai": ai.VIEWS,
    "bio": genomics.VIEWS,
    "hpc": hpc.VIEWS,
}


def render_screenshot(app: DemoApp, variant: int) -> bytes:
    """A 1024×768 PNG of the app's UI; `variant` 0 and 1 show different views."""
    if variant not in (0, 1):
        raise ValueError(f"variant must be 0 or 1, not {variant!r}")
    view = VIEWS.get(app.category, VIEWS["data"])[variant]
    c = Canvas(SHOT_SIZE, SHOT_SCALE, CANVAS_BG)
    view.draw(c, app, MAIN)
    _window_chrome(c, app, view)
    _app_bar(c, app, view)
    _sidebar(c, app, view)
    _status_bar(c, app, view)
    return _png(c.result(), colors=256)
