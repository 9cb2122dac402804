"""Sending emails one by one on one connection, with a result per email.

Django's email backends raise on the first failure; here each email gets its own
result, and SMTP replies are sorted the way mail servers mean them (RFC 5321 4.2.1):
4xx is transient (RETRY: try again later), 5xx is permanent (FAILED, with the
server's reply). A connection that cannot be opened or breaks is transient.
"""

import logging
import smtplib

from django.core.mail import EmailMessage, get_connection

from messaging.gateways.base import BaseGateway, Outcome, SendResult

logger = logging.getLogger("smsoffice.mail")


class EmailGateway(BaseGateway):
    """The email channel's gateway: Django's email backend (EMAIL_URL), a result per email."""

    def send_many(self, messages: list[EmailMessage]) -> list[SendResult]:
        return send_each(messages)


def send_each(emails: list[EmailMessage]) -> list[SendResult]:
    """Send every email through the configured backend; one SendResult per email, in order."""
    if not emails:
        return []
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        return [_transient(error)] * len(emails)
    try:
        return [_send_one(connection, email) for email in emails]
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):  # the server already hung up: nothing to close
            logger.debug("closing the SMTP connection failed", exc_info=True)


def _send_one(connection, email: EmailMessage) -> SendResult:
    try:
        sent = connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as error:
        # One recipient per email here: its reply is the answer.
        code, reply = next(iter(error.recipients.values()))
        return reply_result(code, reply)
    except smtplib.SMTPResponseException as error:  # sender refused, data refused, ...
        return reply_result(error.smtp_code, error.smtp_error)
    except (smtplib.SMTPException, OSError) as error:
        return _transient(error)
    except ValueError as error:  # an address Django cannot encode
        return SendResult(Outcome.FAILED, code="address", reason=str(error)[:500])
    if not sent:
        return SendResult(Outcome.FAILED, code="address", reason="the email has no usable recipient")
    return SendResult(Outcome.ACCEPTED, provider_id=email.extra_headers.get("Message-ID", "")[:64])


def reply_result(code: int, reply: bytes | str) -> SendResult:
    """An SMTP reply as a result: 4xx retried later, anything else a failure with the reply."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"{code} {text}".strip()[:500]
    outcome = Outcome.RETRY if 400 <= code < 500 else Outcome.FAILED
    return SendResult(outcome, code=f"smtp {code}", reason=reason)


def _transient(error: Exception) -> SendResult:
    return SendResult(Outcome.RETRY, code="connection", reason=f"{type(error).__name__}: {error}"[:500])
