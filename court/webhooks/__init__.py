"""回调 (webhooks): tell a court's own systems what happened to their services.

``subscriptions`` turns an event into one outbox job per subscribed API client (inside the
event's transaction); ``relay`` POSTs those jobs, signed per the Standard Webhooks spec
(``signing``), to URLs ``url_policy`` accepted.
"""
