"""reports: the weekly briefing, from the database to a PDF an analyst can forward.

- context.py: DB -> plain dataclasses for one week (set-based queries, no per-article query);
- clusters.py: story clusters from stored embeddings (numpy);
- charts.py: matplotlib price charts (Agg, PNG) of the top movers with benchmark and stories;
- i18n.py: English and French labels, number and date formats;
- render.py: Jinja2 (autoescape) -> HTML -> WeasyPrint PDF with a url_fetcher that serves only the
  report's own assets folder; `render_weekly` is the entry point;
- templates/: weekly.html and weekly.css.

Fonts: the PDF embeds DejaVu Sans (regular, bold) and DejaVu Serif Bold, copied at render time
from matplotlib's own bundled copy (mpl-data/fonts/ttf, Bitstream Vera / DejaVu licence, free to
use, embed and redistribute), so French accents render on a machine with no system fonts.

Imports nothing from crawler, nlp, market or airace; WeasyPrint and matplotlib are imported
inside the functions that use them.
"""
