"""A ball-and-stick caffeine molecule in 3-D, with the viewer's selected-atom readout."""

from __future__ import annotations

import math

from saasport.demo_content.canvas import Box, Canvas, Point
from saasport.demo_content.colors import RGB, WHITE, _mix, _shade, _tint

ELEMENTS: dict[str, tuple[RGB, float]] = {  # colour and ball radius (Å)
    "C": ((96, 104, 118), 0.36),
    "N": ((59, 102, 246), 0.34),
    "O": ((239, 54, 54), 0.34),
    "H": ((236, 239, 243), 0.22),
}

Atom = tuple[str, tuple[float, float, float]]


def _caffeine() -> tuple[list[Atom], list[tuple[int, int, int]]]:
    """Caffeine in 3-D (Å): fused six- and five-membered rings with their substituents."""
    ring6 = [
        (1.4 * math.cos(math.radians(a)), 1.4 * math.sin(math.radians(a)))
        for a in (150, -150, -90, -30, 30, 90)
    ]  # N1 C2 N3 C4 C5 C6
    cx5 = 1.4 * math.cos(math.radians(30)) + 0.963
    ring5 = [
        (cx5 + 1.191 * math.cos(math.radians(a)), 1.191 * math.sin(math.radians(a)))
        for a in (72, 0, -72)
    ]  # N7 C8 N9
    atoms: list[Atom] = [(e, (x, y, 0.0)) for e, (x, y) in zip("NCNCCC", ring6, strict=True)]
    atoms += [(e, (x, y, 0.0)) for e, (x, y) in zip("NCN", ring5, strict=True)]
    bonds = [
        (0, 1, 1),
        (1, 2, 1),
        (2, 3, 1),
        (3, 4, 2),
        (4, 5, 1),
        (5, 0, 1),
        (4, 6, 1),
        (6, 7, 1),
        (7, 8, 2),
        (8, 3, 1),
    ]
    for parent, center, element, length, order in (
        (5, (0.0, 0.0), "O", 1.23, 2),
        (1, (0.0, 0.0), "O", 1.23, 2),
        (0, (0.0, 0.0), "C", 1.47, 1),
        (2, (0.0, 0.0), "C", 1.47, 1),
        (6, (cx5, 0.0), "C", 1.47, 1),
        (7, (cx5, 0.0), "H", 1.0, 1),
    ):
        _substituent(atoms, bonds, parent, center, element, length, order)
    return atoms, bonds


def _substituent(
    atoms: list[Atom],
    bonds: list[tuple[int, int, int]],
    parent: int,
    center: Point,
    element: str,
    length: float,
    order: int,
) -> None:
    """Bond a new atom to `parent`, pointing away from the ring `center`; methyls get 3 H."""
    px, py, _ = atoms[parent][1]
    ux, uy = px - center[0], py - center[1]
    norm = math.hypot(ux, uy)
    ux, uy = ux / norm, uy / norm
    pos = (px + ux * length, py + uy * length, 0.0)
    atoms.append((element, pos))
    bonds.append((parent, len(atoms) - 1, order))
    if element != "C":
        return
    carbon = len(atoms) - 1
    for phi in (0.5, 0.5 + 2 * math.pi / 3, 0.5 + 4 * math.pi / 3):
        nx, ny, nz = -uy * math.cos(phi), ux * math.cos(phi), math.sin(phi)
        h = (pos[0] + 0.36 * ux + 0.94 * nx, pos[1] + 0.36 * uy + 0.94 * ny, 0.94 * nz)
        atoms.append(("H", h))
        bonds.append((carbon, len(atoms) - 1, 1))


def _rotate(p: tuple[float, float, float], yaw: float, pitch: float) -> tuple[float, float, float]:
    x, y, z = p
    x, z = x * math.cos(yaw) + z * math.sin(yaw), -x * math.sin(yaw) + z * math.cos(yaw)
    y, z = y * math.cos(pitch) - z * math.sin(pitch), y * math.sin(pitch) + z * math.cos(pitch)
    return x, y, z


def _shaded_ball(c: Canvas, center: Point, r: float, color: RGB) -> None:
    """A sphere lit from the upper left: stacked circles from rim to highlight."""
    steps = 24
    for k in range(steps):
        t = k / (steps - 1)
        rr = r * (1 - 0.82 * t)
        off = r * 0.38 * t
        shade = _mix(_shade(color, 0.45), _tint(color, 0.55), t**0.9)
        c.circle((center[0] - off, center[1] - off), rr, shade)


def _bond(c: Canvas, a: Point, b: Point, colors: tuple[RGB, RGB], order: int, w: float) -> None:
    """A two-coloured stick; double bonds as two thinner parallel sticks."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = math.hypot(dx, dy) or 1
    nx, ny = -dy / norm, dx / norm
    offsets = (0.0,) if order == 1 else (-w * 0.75, w * 0.75)
    width = w if order == 1 else w * 0.6
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    for o in offsets:
        for (p, q), col in zip(((a, mid), (mid, b)), colors, strict=True):
            seg = [(p[0] + nx * o, p[1] + ny * o), (q[0] + nx * o, q[1] + ny * o)]
            c.line(seg, _shade(col, 0.35), width)
            c.line(seg, _tint(col, 0.15), width * 0.45)


def _draw_molecule(c: Canvas, box: Box, scale: float) -> None:
    atoms, bonds = _caffeine()
    mx = sum(p[0] for _, p in atoms) / len(atoms)
    my = sum(p[1] for _, p in atoms) / len(atoms)
    rotated = [_rotate((p[0] - mx, p[1] - my, p[2]), 0.55, 0.42) for _, p in atoms]
    ox, oy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    screen = [(ox + x * scale, oy - y * scale) for x, y, _ in rotated]
    items: list[tuple[float, int, int, int]] = [(rotated[i][2], 1, i, 0) for i in range(len(atoms))]
    items += [((rotated[a][2] + rotated[b][2]) / 2 - 0.3, 0, a, b * 10 + o) for a, b, o in bonds]
    for _, kind, i, packed in sorted(items):
        if kind:
            color, radius = ELEMENTS[atoms[i][0]]
            _shaded_ball(c, screen[i], radius * scale, color)
        else:
            j, order = divmod(packed, 10)
            cols = (ELEMENTS[atoms[i][0]][0], ELEMENTS[atoms[j][0]][0])
            _bond(c, screen[i], screen[j], cols, order, 0.13 * scale)
    c.circle(screen[6], ELEMENTS["N"][1] * scale + 6, outline=(250, 204, 21), width=2)
    _selection_panel(c, (box[0] + 12, box[1] + 36, box[0] + 190, box[1] + 108))


def _selection_panel(c: Canvas, box: Box) -> None:
    """The viewer's readout of the selected atom."""
    x0, y0, x1, _ = box
    c.rect(box, (30, 36, 50), radius=6, outline=(55, 65, 81))
    c.circle((x0 + 16, y0 + 18), 5, (250, 204, 21))
    c.text(
        (x0 + 28, y0 + 18), ("已选 N7 (咪唑环)", "Selected N7 (imidazole)"), 11, WHITE, bold=True
    )
    c.text((x0 + 12, y0 + 40), "x 1.52   y 1.13   z 0.00", 11, (209, 213, 219), mono=True)
    c.text((x0 + 12, y0 + 58), "q = -0.412 e", 11, (209, 213, 219), mono=True)
    c.text((x1 - 12, y0 + 58), "sp2", 11, (156, 163, 175), anchor="rm")
