-- 0004_hold_limits: every event limits what one attendee may book.
--
-- max_tickets_per_attendee applies to each ticket type of the event that
-- sets no max_per_attendee of its own (services/booking.c), so one account
-- can no longer hold a whole event by default. Organizers change it per
-- event (PATCH /api/v1/admin/events/{id}).
--
-- The migration runner wraps this file in a transaction.

ALTER TABLE events ADD COLUMN max_tickets_per_attendee int NOT NULL DEFAULT 10;
ALTER TABLE events ADD CONSTRAINT events_max_tickets_per_attendee_check
    CHECK (max_tickets_per_attendee BETWEEN 1 AND 1000000);

CREATE OR REPLACE FUNCTION eva_event_json(e events) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',                       e.id,
        'slug',                     e.slug,
        'title',                    e.title,
        'description',              e.description,
        'venue',                    e.venue,
        'address',                  e.address,
        'timezone',                 e.timezone,
        'starts_at',                e.starts_at,
        'ends_at',                  e.ends_at,
        'status',                   e.status,
        'currency',                 e.currency::text,
        'hold_minutes',             e.hold_minutes,
        'cancellation_hours',       e.cancellation_hours,
        'max_tickets_per_attendee', e.max_tickets_per_attendee,
        'created_at',               e.created_at,
        'updated_at',               e.updated_at,
        'published_at',             e.published_at)
$$;
