"""The item a spider yields for every fetched article page."""

from __future__ import annotations

import scrapy


class ArticlePage(scrapy.Item):
    """A fetched article page; pipelines turn it into a stored article or a counted drop."""

    url = scrapy.Field()  # the URL fetched (after redirects)
    html = scrapy.Field()  # decoded HTML
    source = scrapy.Field()  # source name
    feed_entry = scrapy.Field()  # dict from the feed/sitemap: title, published, authors, summary
    language_hint = scrapy.Field()
    keywords = scrapy.Field()  # the source's keyword filter
    always_relevant = scrapy.Field()
    candidate = scrapy.Field()  # crawler.candidates.Candidate, set by ExtractPipeline
