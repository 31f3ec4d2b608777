"""POST /api/lead: validation, anti-spam, attribution to the ad click, durable storage and the journal."""
