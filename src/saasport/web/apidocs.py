"""Interactive API docs (Swagger UI) served by the platform itself, under the strict page CSP.

FastAPI's built-in docs page loads Swagger UI from a CDN and starts it with an inline
`<script>`: our Content-Security-Policy (`script-src 'self'`, `style-src 'self'`) refuses both.
Here the Swagger UI files come from a packaged copy of swagger-ui-dist (the `fastapi-swagger`
package), the page has no inline script or style, and Swagger UI is started by our own
`static/apidocs-init.js`, which reads the OpenAPI URL from a `data-` attribute. The page keeps
the platform's default CSP (added by `PlatformMiddleware` to every HTML response).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.routing import Route, Router

SWAGGER_UI_PACKAGE = "fastapi_swagger.resources"  # swagger-ui-dist's files, shipped on PyPI
INIT_SCRIPT = Path(__file__).parent / "static" / "apidocs-init.js"
# Asset URLs carry a hash of their content, so a browser may keep them for good.
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class _Asset:
    path: Path
    media_type: str  # explicit, so `X-Content-Type-Options: nosniff` never refuses one
    version: str


def _asset(path: Path, media_type: str) -> _Asset:
    if not path.is_file():
        raise RuntimeError(f"API docs asset missing: {path}")
    return _Asset(path, media_type, hashlib.sha256(path.read_bytes()).hexdigest()[:16])


def _assets() -> dict[str, _Asset]:
    dist = Path(str(files(SWAGGER_UI_PACKAGE)))  # an installed wheel: a real directory
    return {
        "swagger-ui-bundle.js": _asset(
            dist / "swagger-ui-bundle.js", "text/javascript; charset=utf-8"
        ),
        "swagger-ui.css": _asset(dist / "swagger-ui.css", "text/css; charset=utf-8"),
        "favicon-32x32.png": _asset(dist / "favicon-32x32.png", "image/png"),
        "apidocs-init.js": _asset(INIT_SCRIPT, "text/javascript; charset=utf-8"),
    }


def _asset_route(name: str, asset: _Asset) -> Route:
    async def serve(request: Request) -> FileResponse:
        return FileResponse(
            asset.path, media_type=asset.media_type, headers={"Cache-Control": IMMUTABLE}
        )

    return Route(f"/{name}", serve, methods=["GET", "HEAD"], name=name)


def _page(*, title: str, openapi_url: str, assets_url: str, assets: dict[str, _Asset]) -> str:
    def url(name: str) -> str:
        return escape(f"{assets_url}/{name}?v={assets[name].version}")

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{escape(title)}</title>
<link rel="icon" type="image/png" href="{url("favicon-32x32.png")}">
<link rel="stylesheet" href="{url("swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{url("swagger-ui-bundle.js")}"></script>
<script src="{url("apidocs-init.js")}"></script>
</body>
</html>
"""


def install_api_docs(
    app: FastAPI,
    *,
    docs_url: str = "/api/docs",
    openapi_url: str = "/openapi.json",
    title: str,
) -> None:
    """Serve Swagger UI at `docs_url`, its files under `{docs_url}/assets`, no CDN, no inline code.

    Create the app with `docs_url=None` so FastAPI does not add its own CDN-based page.
    """
    docs_url = docs_url.rstrip("/")
    assets = _assets()
    app.mount(
        f"{docs_url}/assets",
        Router(routes=[_asset_route(name, asset) for name, asset in assets.items()]),
        name="api-docs-assets",
    )

    async def api_docs(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        html = _page(
            title=title,
            openapi_url=root_path + openapi_url,
            assets_url=f"{root_path}{docs_url}/assets",
            assets=assets,
        )
        # No CSP of its own: the platform's default page policy applies, and suffices.
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    app.add_api_route(
        docs_url,
        api_docs,
        methods=["GET", "HEAD"],
        include_in_schema=False,
        response_class=HTMLResponse,
        name="api_docs",
    )
