"""crawler.pipelines"""
