"""The owner's admin: /api/admin/* (auth, leads, conversions, stats, push) and the PWA at /admin/."""
