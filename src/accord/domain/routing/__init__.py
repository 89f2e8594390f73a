"""Routing alerts to the desks that want them: filters, matching, deadlines, retries."""
