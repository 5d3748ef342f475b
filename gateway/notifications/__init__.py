"""E-mail notifications: the account's sales rep and accounting hear of handover proposals,
payments collected, disputes, uncollectible returns and broken promises, and accounting gets a
daily digest; in each reader's language (gateway.i18n catalogs).

`produce` turns what happened since the last run into messages (an outbox, each message once),
`send` delivers the waiting ones over SMTP; `notify` does both (the cycle's notify step and
`claimbridge notify run`).
"""
