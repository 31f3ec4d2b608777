"""Inbound WhatsApp messages and call notifications that give a tap lead its phone number."""
