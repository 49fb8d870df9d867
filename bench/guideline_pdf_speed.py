"""How long splitting a guideline PDF takes (aimed_gateway.guideline_pdf.extract_sections).

Builds the tests' one-column guideline (tests/gateway/guideline_pdfs.py: headings, a ruled
table, running header and footer, ~3,400 characters a page) at a few lengths and reports
wall time and CPU time per page. CPU time is the better figure on a shared machine; the
whole preview request adds only the upload.

    .venv/bin/python bench/guideline_pdf_speed.py [--repeats 40 150 600]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aimed_gateway.guideline_pdf import extract_sections  # noqa: E402
from tests.gateway.guideline_pdfs import one_column_pdf  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeats", type=int, nargs="+", default=[40, 150, 600])
    args = parser.parse_args()
    print("| pages | PDF bytes | sections | wall s | CPU s | CPU ms/page |")
    print("|---|---|---|---|---|---|")
    for repeats in args.repeats:
        data = one_column_pdf(paragraph_repeats=repeats)
        wall, cpu = time.perf_counter(), time.process_time()
        document = extract_sections(data, max_pages=10_000)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"| {document.pages} | {len(data)} | {len(document.sections)} | {wall:.2f} | {cpu:.2f} "
            f"| {cpu / document.pages * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
