-- 0008_ticket_mail: when a booking's tickets were last mailed (the resend
-- throttle), and finding confirmed bookings that have no tickets yet
-- (confirmed before 0007: the sweeper issues theirs).
--
-- The migration runner wraps this file in a transaction.

ALTER TABLE bookings ADD COLUMN tickets_mailed_at timestamptz;

CREATE INDEX bookings_confirmed_idx ON bookings (confirmed_at)
    WHERE status = 'confirmed';

-- The event as a booking shows it, now with its address (calendar
-- entries and tickets name the place in full).
CREATE OR REPLACE FUNCTION eva_booking_event_json(event_id uuid) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',                 e.id,
        'slug',               e.slug,
        'title',              e.title,
        'venue',              e.venue,
        'address',            e.address,
        'timezone',           e.timezone,
        'starts_at',          e.starts_at,
        'ends_at',            e.ends_at,
        'status',             e.status,
        'cancellation_hours', e.cancellation_hours)
      FROM events e WHERE e.id = event_id
$$;
