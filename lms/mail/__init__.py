"""Email: an outbox written in the transaction of the event that causes a message,
delivered by ``flask --app lms mail send`` over SMTP (lms/mail/sender.py).

A feature queues a message with :func:`lms.mail.logic.queue` before it commits; a
rollback therefore sends nothing, and a second queue with the same idempotency key
does nothing. Without ``LMS_SMTP_URL`` messages wait in the outbox.
"""
