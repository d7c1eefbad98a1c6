-- 0005_secrets, undone.
DROP INDEX email_outbox_link_idx;
ALTER TABLE attendee_tokens DROP COLUMN password_hash;
