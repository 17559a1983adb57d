"""Provisioning: outbox events delivered to merchant apps in their dialects."""
