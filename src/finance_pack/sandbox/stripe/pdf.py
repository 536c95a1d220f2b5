"""A real PDF of an invoice (fpdf2), as Stripe links from `invoice_pdf`."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from finance_pack.domain.invoices import stripe_exponent


def money(minor: int, currency: str) -> str:
    exponent = stripe_exponent(currency)
    return f"{currency.upper()} {Decimal(minor).scaleb(-exponent):,.{exponent}f}"


def _date(epoch: int | None) -> str:
    return "-" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def render_invoice_pdf(invoice: dict[str, Any]) -> bytes:
    from fpdf import FPDF  # imported on first use: it is slow to load and only the PDF needs it

    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {invoice['number'] or invoice['id']}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 12, "Invoice", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for label, value in (
        ("Number", invoice["number"] or "(draft)"),
        ("Billed to", invoice["customer_name"] or invoice["customer"]),
        ("Issued", _date(invoice["status_transitions"]["finalized_at"])),
        ("Due", _date(invoice["due_date"])),
        ("Status", invoice["status"]),
    ):
        pdf.cell(40, 7, label)
        pdf.cell(0, 7, str(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(130, 8, "Description", border="B")
    pdf.cell(0, 8, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in invoice["lines"]["data"]:
        pdf.cell(130, 8, str(line["description"] or "Item")[:70])
        pdf.cell(
            0, 8, money(line["amount"], line["currency"]), align="R", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(130, 10, "Amount due")
    pdf.cell(0, 10, money(invoice["amount_due"], invoice["currency"]), align="R")
    return bytes(pdf.output())
