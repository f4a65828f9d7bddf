"""Delivery: bulletins by e-mail (or as .eml files), reminders to agencies not yet reported."""
