"""Owner notifications for new leads: Telegram, WhatsApp Cloud API, Web Push, with a durable outbox."""
