"""Printable documents with fpdf2: one font setup for every PDF Crossdock draws.

Text is Unicode when Debian's DejaVu fonts are installed (``fonts-dejavu-core``);
otherwise a core font is used and :meth:`Sheet.text` makes the text latin-1
safe, so a document always prints.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


class Sheet:
    """An A4 :class:`FPDF` with the font family chosen and small table helpers."""

    def __init__(self, *, compress: bool = True, fonts: Path = DEJAVU) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_compression(compress)
        regular, bold = fonts / "DejaVuSans.ttf", fonts / "DejaVuSans-Bold.ttf"
        self.unicode = regular.exists() and bold.exists()
        if self.unicode:
            self.pdf.add_font("DejaVu", "", str(regular))
            self.pdf.add_font("DejaVu", "B", str(bold))
        self.family = "DejaVu" if self.unicode else "Helvetica"

    def text(self, value: object) -> str:
        shown = str(value)
        return shown if self.unicode else shown.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def row(self, cells: list[tuple[object, float, str]], bold: bool = False) -> None:
        """One table row: (value, width in mm, alignment L/R/C) per cell."""
        self.font(9, bold)
        for value, width, align in cells:
            self.pdf.cell(width, 6, self.text(value), align=align)
        self.pdf.ln(6)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
