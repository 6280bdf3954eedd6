"""The incident as a PDF (for entry into SafetyNet by hand) and the statistics chart as inline SVG."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from markupsafe import Markup, escape

# Characters outside Latin-1 that people type on phones; the PDF's core font is Latin-1 only.
_REPLACE = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
            "\u201e": '"', "\u2026": "...", "\u00a0": " ", "\u2022": "*"}


def _latin1(text: str) -> str:
    text = "".join(_REPLACE.get(ch, ch) for ch in (text or ""))
    return text.encode("latin-1", "replace").decode("latin-1")


def incident_pdf(title: str, subtitle: str, sections: list[tuple[str, list[tuple[str, str]]]],
                 footer: str) -> bytes:
    """A plain A4 document: a title, then sections of label/value pairs in the given order."""
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_creator("Makker")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 10)
    pdf.set_text_color(80, 90, 95)
    pdf.multi_cell(0, 6, _latin1(subtitle), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    for heading, rows in sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, _latin1(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(200, 208, 211)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1)
        for label, value in rows:
            pdf.set_font("Helvetica", "B", 10)
            pdf.multi_cell(0, 6, _latin1(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, _latin1(value or "-"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    pdf.set_text_color(80, 90, 95)
    pdf.multi_cell(0, 5, _latin1(footer), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def month_chart(months: list[tuple[str, int]], month_labels: dict[str, str], title: str) -> Markup:
    """A bar chart of incidents per month, drawn on the server: no script, no style attributes."""
    width, height, top, bottom, left = 360, 180, 16, 34, 8
    n = max(len(months), 1)
    step = (width - left * 2) / n
    bar = max(step * 0.64, 4)
    peak = max([c for _m, c in months] + [1])
    plot = height - top - bottom
    parts = [
        f'<svg class="incident-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="chart-axis" x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}"/>',
    ]
    for index, (month, count) in enumerate(months):
        x = left + index * step + (step - bar) / 2
        h = plot * count / peak
        y = height - bottom - h
        label = month_labels.get(month, month)
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {count}</title></rect>"
        )
        if count:
            parts.append(f'<text class="chart-value" x="{x + bar / 2:.1f}" y="{y - 3:.1f}">{count}</text>')
        parts.append(
            f'<text class="chart-label" x="{x + bar / 2:.1f}" y="{height - bottom + 14:.1f}">'
            f"{escape(label[:3])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
