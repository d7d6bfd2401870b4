"""The web app and HTTP API (``speechwatch serve``): pages for people, their JSON twins, and ``/api`` for programs.

See README "Web and API". :func:`create_app` builds the app; :func:`monitor.web.charts.overview_svgs` draws the
overview charts as SVG for any HTML (a digest, too).
"""

from monitor.web.app import create_app

__all__ = ["create_app"]
