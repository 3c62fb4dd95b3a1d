"""The one HTTP layer: every request the system makes goes through :class:`Fetcher`."""

from cllr.http.client import PRODUCT_TOKEN, Fetcher, FetchError, Response, RobotsRefusal
from cllr.http.clock import Clock, SystemClock
from cllr.http.slots import slot_key

__all__ = ["PRODUCT_TOKEN", "Clock", "FetchError", "Fetcher", "Response", "RobotsRefusal", "SystemClock", "slot_key"]
