"""Eslamed Capture: lead capture and offline conversions for a Google Ads service business."""

__version__ = "0.1.0"
