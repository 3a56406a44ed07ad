"""The local labelling page (FastAPI): ``fewlabels label`` or ``python -m fewlabels.app``."""

from fewlabels.app.server import AppSettings, create_app, serve

__all__ = ["AppSettings", "create_app", "serve"]
