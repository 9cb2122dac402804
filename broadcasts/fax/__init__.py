"""Fax gateways, chosen by FAX_GATEWAYS through the one gateway registry (messaging.gateways).

A fax gateway takes the contract of every gateway: `send_many(faxes) -> list[SendResult]`,
one result per fax in order, ACCEPTED meaning the fax service took the fax. Shipped:
`email_to_fax` (the PDF mailed to an address built from the number), `console` (logs;
the embedded default); tests use the one locmem gateway (messaging.gateways.locmem).
"""
