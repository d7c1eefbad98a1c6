-- 0005_secrets: what the security review asked of secrets at rest.
--
-- A verification link carries the password of the sign-up that asked for
-- it: verifying sets that password, so whoever signed up first with
-- somebody else's address never keeps their password on the account once
-- its owner verifies (see server/api/accounts.c).
ALTER TABLE attendee_tokens ADD COLUMN password_hash text;

-- Links (single-use tokens) are removed from outbox rows once sent or old
-- (server/mail/eva-outbox.c, eva_outbox_scrub()): the rows still holding
-- one, for that sweep.
CREATE INDEX email_outbox_link_idx ON email_outbox (created_at)
    WHERE payload ? 'link';

-- Accounts whose address is not confirmed get no session any more: end the
-- ones they have.
UPDATE attendee_sessions s SET revoked_at = now ()
  FROM attendees a
 WHERE a.id = s.attendee_id AND a.status = 'unverified' AND s.revoked_at IS NULL;
