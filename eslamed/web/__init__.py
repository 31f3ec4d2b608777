"""Web: the HTTP edge (errors, CORS, client address, security headers), the bare track endpoint,
the Flask routes of leads, webhooks, site and health, and the per-worker runtime they share.

The only layer that speaks HTTP; the admin API (eslamed.admin) sits beside it.
"""
