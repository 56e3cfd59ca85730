"""Fixtures of the insights tests: the knowledge base's articles (for deflections)."""

from carefront.knowledge.tests.conftest import make_article, orders, tracking

__all__ = ["make_article", "orders", "tracking"]
