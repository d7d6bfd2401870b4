"""The Scrapy project: one config-driven spider, its middlewares, pipelines and settings."""
