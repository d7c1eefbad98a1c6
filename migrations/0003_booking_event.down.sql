-- 0003_booking_event, undone: the booking without its event.

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
        'cancelled_at', b.cancelled_at)
$$;

DROP FUNCTION eva_booking_event_json(uuid);
