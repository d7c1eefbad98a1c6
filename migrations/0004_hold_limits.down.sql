-- 0004_hold_limits, undone: events without a per-attendee default.

CREATE OR REPLACE FUNCTION eva_event_json(e events) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',                 e.id,
        'slug',               e.slug,
        'title',              e.title,
        'description',        e.description,
        'venue',              e.venue,
        'address',            e.address,
        'timezone',           e.timezone,
        'starts_at',          e.starts_at,
        'ends_at',            e.ends_at,
        'status',             e.status,
        'currency',           e.currency::text,
        'hold_minutes',       e.hold_minutes,
        'cancellation_hours', e.cancellation_hours,
        'created_at',         e.created_at,
        'updated_at',         e.updated_at,
        'published_at',       e.published_at)
$$;

ALTER TABLE events DROP COLUMN max_tickets_per_attendee;
