-- Bookings and coupons: JSON rendering and the coupon code a booking used.
--
-- The migration runner wraps this file in a transaction.

-- The code as typed at hold time survives the coupon's deletion.
ALTER TABLE bookings ADD COLUMN coupon_code text;

-- Counting an attendee's live bookings for an event (max_per_attendee).
CREATE INDEX bookings_attendee_event_idx ON bookings (attendee_id, event_id)
    WHERE status IN ('held', 'pending_payment', 'confirmed');

-- A booking as the API shows it. A hold whose expires_at has passed shows
-- as 'expired' even before the sweeper has released it.
CREATE FUNCTION eva_booking_json(b bookings) RETURNS jsonb
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
        'cancelled_at', b.cancelled_at)
$$;

CREATE FUNCTION eva_coupon_json(c coupons) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',                    c.id,
        'event_id',              c.event_id,
        'code',                  c.code,
        'kind',                  c.kind,
        'percent',               c.percent,
        'amount',                c.amount,
        'currency',              (SELECT e.currency::text FROM events e WHERE e.id = c.event_id),
        'valid_from',            c.valid_from,
        'valid_until',           c.valid_until,
        'max_uses',              c.max_uses,
        'max_uses_per_attendee', c.max_uses_per_attendee,
        'uses',                  c.uses,
        'min_order',             c.min_order,
        'unlocks_hidden',        c.unlocks_hidden,
        'ticket_type_ids',       coalesce((
            SELECT jsonb_agg(ct.ticket_type_id ORDER BY ct.ticket_type_id)
              FROM coupon_ticket_types ct WHERE ct.coupon_id = c.id), '[]'::jsonb),
        'created_at',            c.created_at,
        'updated_at',            c.updated_at)
$$;
