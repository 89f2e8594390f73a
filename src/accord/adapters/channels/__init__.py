"""Outbound delivery channels: signed webhooks over HTTP(S) and e-mail through an SMTP relay.

The delivery worker calls these synchronously from its threads. Every ``send`` returns a
``SendOutcome`` instead of raising, so one unreachable receiver never takes a worker down,
and every webhook destination passes ``DestinationPolicy`` first, so a subscriber cannot
point the node at its own network (server-side request forgery).
"""
