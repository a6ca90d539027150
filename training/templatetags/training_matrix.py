"""``{% matrix_cells row %}``: the ``<td>`` cells of one training-matrix row.

Decision: a site's matrix has a thousand or more cells, and rendering each through the
template engine (eight variable look-ups and two ``{% if %}`` per cell) was most of the page's
time. The cells are therefore written here in one pass, escaped with ``django.utils.html``,
with exactly the markup the template had: the status as a class and ``data-status``, the
symbol hidden from screen readers and the status in words (plus the detail) for them.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from training.selectors import CellStatus

register = template.Library()

_LEGEND = {value: (escape(label), escape(symbol)) for value, label, symbol in CellStatus.LEGEND}


def cell_html(status: str, url: str, detail: str) -> str:
    label, symbol = _LEGEND.get(status) or (escape(status), "?")
    status = escape(status)
    if detail:
        detail = escape(detail)
        title, spoken = f"{label}: {detail}", f"{label}, {detail}"
    else:
        title = spoken = label
    return (
        f'<td class="cell cell-{status}" data-status="{status}">'
        f'<a href="{escape(url)}" title="{title}"><span aria-hidden="true">{symbol}</span>'
        f'<span class="visually-hidden">{spoken}</span></a></td>'
    )


@register.simple_tag
def matrix_cells(row) -> str:
    return mark_safe("".join([cell_html(cell.status, cell.url, cell.detail) for cell in row.cells]))  # noqa: S308
