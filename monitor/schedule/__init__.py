"""The scheduler: one APScheduler process that crawls each source on its schedule and sends the digest."""
