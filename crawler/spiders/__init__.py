"""crawler.spiders"""
