-- 0011_analytics: what the analytics aggregates read, indexed by event
--
-- (0010 is taken by the door scanner's branch.)

-- The start of the bucket (hour, day or week, weeks starting on Monday)
-- that holds @t, in the time zone @tz, as an instant. Days and weeks start
-- at local midnight, so a day is 23 or 25 hours long across a DST change;
-- hours are cut from the instant itself, so the hour repeated when clocks
-- go back is two buckets, and zones half an hour off UTC still get their
-- local hours.
CREATE FUNCTION eva_analytics_bucket(t timestamptz, unit text, tz text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE unit
             WHEN 'hour' THEN t - ((t AT TIME ZONE tz) - date_trunc('hour', t AT TIME ZONE tz))
             ELSE date_trunc(unit, t AT TIME ZONE tz) AT TIME ZONE tz
           END
$$;

-- Sales: the bookings of an event that were sold, with everything the
-- aggregates sum, so they are read from the index alone.
CREATE INDEX bookings_event_sold_idx ON bookings (event_id, confirmed_at)
    INCLUDE (status, subtotal, discount, total, currency, coupon_id, payment_method, paid_at)
    WHERE confirmed_at IS NOT NULL;

-- Items with what the per-type sums need.
CREATE INDEX booking_items_booking_sums_idx ON booking_items (booking_id)
    INCLUDE (ticket_type_id, quantity, unit_price, discount);

-- Admissions over time.
CREATE INDEX checkins_event_entries_idx ON checkins (event_id, scanned_at)
    INCLUDE (ticket_id)
    WHERE status = 'ok' AND kind = 'entry' AND undone_at IS NULL;
