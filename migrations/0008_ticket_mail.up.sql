-- 0008_ticket_mail: when a booking's tickets were last mailed (the resend
-- throttle), and finding confirmed bookings that have no tickets yet
-- (confirmed before 0007: the sweeper issues theirs).
--
-- The migration runner wraps this file in a transaction.

ALTER TABLE bookings ADD COLUMN tickets_mailed_at timestamptz;

CREATE INDEX bookings_confirmed_idx ON bookings (confirmed_at)
    WHERE status = 'confirmed';
