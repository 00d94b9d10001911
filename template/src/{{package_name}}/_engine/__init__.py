"""The delivery engine behind the client (client.py): private, its modules may change in any release.

batcher (request bodies), dispatch (the bounded buffer and scheduler), workers (the
sending threads), send (one request and its retry decision), transport (HTTP), retry,
ratelimit, spool and recovery (crash safety), settlement (hand-offs and dead letters),
keys (write-key fingerprints), ids (messageIds), regions (endpoints), dotenv (the sample
command's settings).
"""
