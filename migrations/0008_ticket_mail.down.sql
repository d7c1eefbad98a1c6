CREATE OR REPLACE FUNCTION eva_booking_event_json(event_id uuid) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',                 e.id,
        'slug',               e.slug,
        'title',              e.title,
        'venue',              e.venue,
        'timezone',           e.timezone,
        'starts_at',          e.starts_at,
        'ends_at',            e.ends_at,
        'status',             e.status,
        'cancellation_hours', e.cancellation_hours)
      FROM events e WHERE e.id = event_id
$$;
DROP INDEX bookings_confirmed_idx;
ALTER TABLE bookings DROP COLUMN tickets_mailed_at;
