"""Offline conversion upload: confirmed sales sent back to Google against the original click.

`model` builds and validates one upload event per sale (pure), `reasons` turns Google's
errors into words the owner understands, the two backends speak to Google (Data Manager
API by default, Google Ads API for allow-listed tokens), and `uploader` moves `conversions`
rows through PENDING/RETRY to UPLOADED, FAILED or SKIPPED, one versioned row per attempt.
"""
