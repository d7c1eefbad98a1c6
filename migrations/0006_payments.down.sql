-- 0006_payments, undone.
CREATE OR REPLACE FUNCTION eva_booking_json(b bookings) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',           b.id,
        'event_id',     b.event_id,
        'attendee_id',  b.attendee_id,
        'status',       CASE WHEN b.status IN ('held', 'pending_payment')
                                  AND b.expires_at <= now()
                             THEN 'expired' ELSE b.status END,
        'expires_at',   b.expires_at,
        'items',        coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'ticket_type_id', i.ticket_type_id,
                       'name',           t.name,
                       'quantity',       i.quantity,
                       'unit_price',     i.unit_price,
                       'discount',       i.discount,
                       'line_total',     i.line_total)
                   ORDER BY t.sort_order, t.name, i.ticket_type_id)
              FROM booking_items i JOIN ticket_types t ON t.id = i.ticket_type_id
             WHERE i.booking_id = b.id), '[]'::jsonb),
        'subtotal',     b.subtotal,
        'discount',     b.discount,
        'total',        b.total,
        'currency',     b.currency::text,
        'coupon_code',  b.coupon_code,
        'created_at',   b.created_at,
        'updated_at',   b.updated_at,
        'confirmed_at', b.confirmed_at,
        'cancelled_at', b.cancelled_at,
        'event',        eva_booking_event_json(b.event_id))
$$;
DROP FUNCTION eva_booking_payments_json(bookings);
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
DROP TABLE stripe_events;
DROP TABLE refunds;
DROP INDEX payments_intent_idx;
DROP INDEX payments_pending_idx;
ALTER TABLE payments
    DROP CONSTRAINT payments_booking_attempt_key,
    DROP CONSTRAINT payments_method_check,
    DROP CONSTRAINT payments_status_check,
    DROP COLUMN checked_at, DROP COLUMN flag, DROP COLUMN reference,
    DROP COLUMN payment_intent, DROP COLUMN paid_at, DROP COLUMN expires_at,
    DROP COLUMN checkout_url, DROP COLUMN request_body, DROP COLUMN attempt,
    DROP COLUMN method;
DELETE FROM payments;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN
    ('pending', 'succeeded', 'failed', 'cancelled', 'refunded', 'partially_refunded'));
ALTER TABLE bookings
    DROP CONSTRAINT bookings_payment_reference_key,
    DROP CONSTRAINT bookings_payment_method_check,
    DROP COLUMN transfer_details, DROP COLUMN reminded_at, DROP COLUMN paid_at,
    DROP COLUMN payment_reference, DROP COLUMN payment_method;
ALTER TABLE events
    DROP CONSTRAINT events_transfer_days_check,
    DROP CONSTRAINT events_transfer_details_check,
    DROP CONSTRAINT events_payment_methods_check,
    DROP COLUMN transfer_days, DROP COLUMN transfer_details, DROP COLUMN payment_methods;
