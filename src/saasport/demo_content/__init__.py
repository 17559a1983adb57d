"""Storefront content for `saasport demo`: six fictional apps, their drawn icons and screenshots."""

from __future__ import annotations

from saasport.demo_content.apps import DEMO_APPS, DemoApp
from saasport.demo_content.icons import render_icon
from saasport.demo_content.screenshot import render_screenshot

__all__ = ["DEMO_APPS", "DemoApp", "render_icon", "render_screenshot"]
