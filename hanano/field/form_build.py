"""Convert the XLSForm sources in forms/*.md into the XForms hanano serves (forms/*.xml).

Run `python -m hanano.field.form_build` after changing a source, and commit both.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pyxform.xls2xform import convert  # type: ignore[import-untyped]

from hanano.field.forms import FORM_ROLES, FORMS_DIR


def build(source: Path) -> bytes:
    """The XForm of one XLSForm source, as pyxform writes it."""
    result = convert(xlsform=str(source), pretty_print=True)
    text: str = result.xform
    return text.encode("utf-8")


def main() -> int:
    for form_id in FORM_ROLES:
        xml = build(FORMS_DIR / f"{form_id}.md")
        (FORMS_DIR / f"{form_id}.xml").write_bytes(xml)
        print(f"{form_id}.xml: {len(xml)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
