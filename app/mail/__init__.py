"""Mail: templates (templates.py), rendering to a MIME message (render.py), links (links.py)
and transports (transport.py). The outbox that queues and delivers them is
app/services/outbox.py."""
