-- 0011_analytics: running totals for the organizer's figures
--
-- The analytics of an event are read from
-- small tables of running totals, kept exact by triggers in the same
-- transaction as the change, so an event of 100,000 bookings is answered
-- from a few thousand rows (bench/analytics). Totals are kept per local
-- hour of the event's time zone (a "slot"), so hour, day and week buckets
-- are sums of whole slots. An event moved afterwards to a zone whose
-- offset differs by a fraction of an hour (Berlin → Kolkata) keeps its
-- earlier sales in the old zone's hours: its hour buckets may then be up
-- to 45 minutes off for them (days and weeks by as much at their edges).
--
-- What each counts: see server/services/analytics.c. Deleting bookings is
-- not a product path (events with bookings cannot be deleted) and is not
-- followed exactly.

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

-- The local hour of @t in @tz, as an instant: an hour of UTC shifted by
-- the zone's offset past the hour (Kolkata's half hour, Kathmandu's 45
-- minutes), so every local hour, day and week is a whole number of slots.
CREATE FUNCTION eva_analytics_slot(t timestamptz, tz text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT to_timestamp(floor((extract(epoch FROM t) - f) / 3600) * 3600 + f)
      FROM (SELECT (extract(epoch FROM (t AT TIME ZONE tz) - (t AT TIME ZONE 'UTC'))::int % 3600) AS f) x
$$;

-- Bookings once confirmed, by their status now (confirmed, refunded,
-- cancelled), coupon, payment method and whether paid.
CREATE TABLE analytics_bookings (
    event_id  uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    status    text NOT NULL,
    currency  text NOT NULL,                  -- '' for free bookings without one
    coupon_id uuid NOT NULL,                  -- the nil uuid: none
    method    text NOT NULL,                  -- '' : none
    paid      boolean NOT NULL,
    bookings  bigint NOT NULL DEFAULT 0,
    subtotal  bigint NOT NULL DEFAULT 0,
    discount  bigint NOT NULL DEFAULT 0,
    total     bigint NOT NULL DEFAULT 0,
    CONSTRAINT analytics_bookings_pkey PRIMARY KEY (event_id, status, currency, coupon_id, method, paid)
);

-- Their items, per ticket type and slot of confirmation.
CREATE TABLE analytics_sales (
    event_id       uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    ticket_type_id uuid NOT NULL,
    slot           timestamptz NOT NULL,
    status         text NOT NULL,
    currency       text NOT NULL,
    tickets        bigint NOT NULL DEFAULT 0,
    gross          bigint NOT NULL DEFAULT 0,
    discounts      bigint NOT NULL DEFAULT 0,
    CONSTRAINT analytics_sales_pkey PRIMARY KEY (event_id, ticket_type_id, slot, status, currency)
);

-- Money given back (refunds succeeded, recorded or still to pay back).
CREATE TABLE analytics_refunds (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    currency text NOT NULL,
    refunds  bigint NOT NULL DEFAULT 0,
    amount   bigint NOT NULL DEFAULT 0,
    CONSTRAINT analytics_refunds_pkey PRIMARY KEY (event_id, currency)
);

-- Tickets admitted, each at the slot of its earliest admission that was
-- not undone; spread over 8 shards by ticket so that a busy door does not
-- queue on one row.
CREATE TABLE analytics_checkins (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    slot     timestamptz NOT NULL,
    shard    smallint NOT NULL,
    admitted bigint NOT NULL DEFAULT 0,
    CONSTRAINT analytics_checkins_pkey PRIMARY KEY (event_id, slot, shard)
);

-- --------------------------------------------------------------------
-- Keeping them

CREATE FUNCTION eva_analytics_add_items(b bookings, sign int) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO analytics_sales AS a (event_id, ticket_type_id, slot, status, currency, tickets, gross, discounts)
    SELECT b.event_id, i.ticket_type_id, eva_analytics_slot(b.confirmed_at, e.timezone), b.status,
           coalesce(b.currency::text, ''), sign * sum(i.quantity), sign * sum(i.quantity * i.unit_price),
           sign * sum(i.discount)
      FROM booking_items i, events e WHERE i.booking_id = b.id AND e.id = b.event_id
     GROUP BY i.ticket_type_id, e.timezone
    ON CONFLICT (event_id, ticket_type_id, slot, status, currency) DO UPDATE
       SET tickets = a.tickets + EXCLUDED.tickets, gross = a.gross + EXCLUDED.gross,
           discounts = a.discounts + EXCLUDED.discounts
$$;

CREATE FUNCTION eva_analytics_add_booking(b bookings, sign int) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO analytics_bookings AS a (event_id, status, currency, coupon_id, method, paid,
                                         bookings, subtotal, discount, total)
    VALUES (b.event_id, b.status, coalesce(b.currency::text, ''),
            coalesce(b.coupon_id, '00000000-0000-0000-0000-000000000000'), coalesce(b.payment_method, ''),
            b.paid_at IS NOT NULL, sign, sign * b.subtotal, sign * b.discount, sign * b.total)
    ON CONFLICT (event_id, status, currency, coupon_id, method, paid) DO UPDATE
       SET bookings = a.bookings + EXCLUDED.bookings, subtotal = a.subtotal + EXCLUDED.subtotal,
           discount = a.discount + EXCLUDED.discount, total = a.total + EXCLUDED.total
$$;

-- A booking inserted already confirmed counts its items as they are
-- inserted (possibly by the same statement); a change of a confirmed
-- booking moves the booking and its items.
CREATE FUNCTION eva_analytics_bookings_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.confirmed_at IS NOT NULL THEN
        PERFORM eva_analytics_add_booking(OLD, -1);
        PERFORM eva_analytics_add_items(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.confirmed_at IS NOT NULL THEN
        PERFORM eva_analytics_add_booking(NEW, 1);
        IF TG_OP = 'UPDATE' THEN
            PERFORM eva_analytics_add_items(NEW, 1);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER bookings_analytics_insert AFTER INSERT ON bookings
    FOR EACH ROW WHEN (NEW.confirmed_at IS NOT NULL)
    EXECUTE FUNCTION eva_analytics_bookings_changed();
CREATE TRIGGER bookings_analytics_update AFTER UPDATE ON bookings
    FOR EACH ROW WHEN ((OLD.confirmed_at IS NOT NULL OR NEW.confirmed_at IS NOT NULL)
        AND (OLD.status, OLD.confirmed_at, OLD.currency, OLD.coupon_id, OLD.payment_method,
             OLD.paid_at IS NULL, OLD.subtotal, OLD.discount, OLD.total, OLD.event_id)
            IS DISTINCT FROM
            (NEW.status, NEW.confirmed_at, NEW.currency, NEW.coupon_id, NEW.payment_method,
             NEW.paid_at IS NULL, NEW.subtotal, NEW.discount, NEW.total, NEW.event_id))
    EXECUTE FUNCTION eva_analytics_bookings_changed();
CREATE TRIGGER bookings_analytics_delete AFTER DELETE ON bookings
    FOR EACH ROW WHEN (OLD.confirmed_at IS NOT NULL)
    EXECUTE FUNCTION eva_analytics_bookings_changed();

-- Items of bookings already confirmed (inserted confirmed, or changed
-- afterwards): one statement per statement, so that the holds of a flash
-- sale, whose bookings are not confirmed, pay one empty join and no more.
CREATE FUNCTION eva_analytics_items_inserted() RETURNS trigger
LANGUAGE plpgsql
-- Index look-ups a row, whatever the statistics say: a table that grew
-- since it was last analysed (scans during an evening, a bulk import)
-- must not be scanned whole for each row.
SET enable_seqscan TO off
SET enable_hashjoin TO off
SET enable_mergejoin TO off
AS $$
BEGIN
    INSERT INTO analytics_sales AS a (event_id, ticket_type_id, slot, status, currency, tickets, gross, discounts)
    SELECT b.event_id, x.ticket_type_id, eva_analytics_slot(b.confirmed_at, e.timezone), b.status,
           coalesce(b.currency::text, ''), sum(x.sign * x.quantity), sum(x.sign * x.quantity * x.unit_price),
           sum(x.sign * x.discount)
      FROM (SELECT booking_id, ticket_type_id, quantity, unit_price, discount, 1 AS sign FROM new_items) x
      CROSS JOIN LATERAL (SELECT * FROM bookings WHERE id = x.booking_id AND confirmed_at IS NOT NULL) b
      CROSS JOIN LATERAL (SELECT timezone FROM events WHERE id = b.event_id) e
     GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (event_id, ticket_type_id, slot, status, currency) DO UPDATE
       SET tickets = a.tickets + EXCLUDED.tickets, gross = a.gross + EXCLUDED.gross,
           discounts = a.discounts + EXCLUDED.discounts;
    RETURN NULL;
END
$$;

CREATE FUNCTION eva_analytics_items_deleted() RETURNS trigger
LANGUAGE plpgsql
-- Index look-ups a row, whatever the statistics say: a table that grew
-- since it was last analysed (scans during an evening, a bulk import)
-- must not be scanned whole for each row.
SET enable_seqscan TO off
SET enable_hashjoin TO off
SET enable_mergejoin TO off
AS $$
BEGIN
    INSERT INTO analytics_sales AS a (event_id, ticket_type_id, slot, status, currency, tickets, gross, discounts)
    SELECT b.event_id, x.ticket_type_id, eva_analytics_slot(b.confirmed_at, e.timezone), b.status,
           coalesce(b.currency::text, ''), sum(x.sign * x.quantity), sum(x.sign * x.quantity * x.unit_price),
           sum(x.sign * x.discount)
      FROM (SELECT booking_id, ticket_type_id, quantity, unit_price, discount, -1 AS sign FROM old_items) x
      CROSS JOIN LATERAL (SELECT * FROM bookings WHERE id = x.booking_id AND confirmed_at IS NOT NULL) b
      CROSS JOIN LATERAL (SELECT timezone FROM events WHERE id = b.event_id) e
     GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (event_id, ticket_type_id, slot, status, currency) DO UPDATE
       SET tickets = a.tickets + EXCLUDED.tickets, gross = a.gross + EXCLUDED.gross,
           discounts = a.discounts + EXCLUDED.discounts;
    RETURN NULL;
END
$$;

CREATE FUNCTION eva_analytics_items_updated() RETURNS trigger
LANGUAGE plpgsql
-- Index look-ups a row, whatever the statistics say: a table that grew
-- since it was last analysed (scans during an evening, a bulk import)
-- must not be scanned whole for each row.
SET enable_seqscan TO off
SET enable_hashjoin TO off
SET enable_mergejoin TO off
AS $$
BEGIN
    INSERT INTO analytics_sales AS a (event_id, ticket_type_id, slot, status, currency, tickets, gross, discounts)
    SELECT b.event_id, x.ticket_type_id, eva_analytics_slot(b.confirmed_at, e.timezone), b.status,
           coalesce(b.currency::text, ''), sum(x.sign * x.quantity), sum(x.sign * x.quantity * x.unit_price),
           sum(x.sign * x.discount)
      FROM (SELECT booking_id, ticket_type_id, quantity, unit_price, discount, -1 AS sign FROM old_items
            UNION ALL SELECT booking_id, ticket_type_id, quantity, unit_price, discount, 1 FROM new_items) x
      CROSS JOIN LATERAL (SELECT * FROM bookings WHERE id = x.booking_id AND confirmed_at IS NOT NULL) b
      CROSS JOIN LATERAL (SELECT timezone FROM events WHERE id = b.event_id) e
     GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (event_id, ticket_type_id, slot, status, currency) DO UPDATE
       SET tickets = a.tickets + EXCLUDED.tickets, gross = a.gross + EXCLUDED.gross,
           discounts = a.discounts + EXCLUDED.discounts;
    RETURN NULL;
END
$$;

CREATE TRIGGER booking_items_analytics_insert AFTER INSERT ON booking_items
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION eva_analytics_items_inserted();
CREATE TRIGGER booking_items_analytics_update AFTER UPDATE ON booking_items
    REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION eva_analytics_items_updated();
CREATE TRIGGER booking_items_analytics_delete AFTER DELETE ON booking_items
    REFERENCING OLD TABLE AS old_items
    FOR EACH STATEMENT EXECUTE FUNCTION eva_analytics_items_deleted();

CREATE FUNCTION eva_analytics_refunds_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_refunds AS a (event_id, currency, refunds, amount)
    SELECT b.event_id, x.currency, x.sign, x.sign * x.amount
      FROM (SELECT OLD.booking_id, OLD.currency::text AS currency, OLD.amount, -1 AS sign
             WHERE TG_OP <> 'INSERT' AND OLD.status IN ('succeeded', 'recorded', 'to_refund')
            UNION ALL
            SELECT NEW.booking_id, NEW.currency::text, NEW.amount, 1
             WHERE TG_OP <> 'DELETE' AND NEW.status IN ('succeeded', 'recorded', 'to_refund')) x
      JOIN bookings b ON b.id = x.booking_id
    ON CONFLICT (event_id, currency) DO UPDATE
       SET refunds = a.refunds + EXCLUDED.refunds, amount = a.amount + EXCLUDED.amount;
    RETURN NULL;
END
$$;

CREATE TRIGGER refunds_analytics AFTER INSERT OR UPDATE OF status, amount, currency, booking_id OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION eva_analytics_refunds_changed();

-- Undoing, changing or deleting a scan (one at a time): the earliest live
-- admission of the ticket before and after the change; when it moved, the
-- count moves with it.
CREATE FUNCTION eva_analytics_checkins_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t      uuid := coalesce(NEW.ticket_id, OLD.ticket_id);
    ev     uuid := coalesce(NEW.event_id, OLD.event_id);
    me     uuid := coalesce(NEW.id, OLD.id);
    before timestamptz;
    after  timestamptz;
BEGIN
    IF t IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT min(c.scanned_at) INTO before FROM checkins c
     WHERE c.ticket_id = t AND c.status = 'ok' AND c.undone_at IS NULL AND c.kind = 'entry' AND c.id <> me;
    after := before;
    IF TG_OP <> 'INSERT' AND OLD.status = 'ok' AND OLD.kind = 'entry' AND OLD.undone_at IS NULL
       AND OLD.ticket_id = t THEN
        before := least(before, OLD.scanned_at);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'ok' AND NEW.kind = 'entry' AND NEW.undone_at IS NULL
       AND NEW.ticket_id = t THEN
        after := least(after, NEW.scanned_at);
    END IF;
    IF before IS NOT DISTINCT FROM after THEN
        RETURN NULL;
    END IF;
    INSERT INTO analytics_checkins AS a (event_id, slot, shard, admitted)
    SELECT ev, eva_analytics_slot(x.at, e.timezone), abs(hashtext(t::text)) % 8, sum(x.n)
      FROM (SELECT before AS at, -1 AS n WHERE before IS NOT NULL
            UNION ALL SELECT after, 1 WHERE after IS NOT NULL) x, events e
     WHERE e.id = ev
     GROUP BY 1, 2, 3
    ON CONFLICT (event_id, slot, shard) DO UPDATE SET admitted = a.admitted + EXCLUDED.admitted;
    RETURN NULL;
END
$$;

-- Scans are inserted in batches (eva_checkin_redeem_batch(), uploads):
-- admissions are counted once per statement, with one look-up a ticket
-- for its earlier admissions.
CREATE FUNCTION eva_analytics_checkins_inserted() RETURNS trigger
LANGUAGE plpgsql
-- Index look-ups a row, whatever the statistics say: a table that grew
-- since it was last analysed (scans during an evening, a bulk import)
-- must not be scanned whole for each row.
SET enable_seqscan TO off
SET enable_hashjoin TO off
SET enable_mergejoin TO off
AS $$
BEGIN
    INSERT INTO analytics_checkins AS a (event_id, slot, shard, admitted)
    SELECT x.event_id, eva_analytics_slot(x.at, e.timezone), abs(hashtext(x.ticket_id::text)) % 8, sum(x.n)
      FROM (WITH t AS (SELECT ticket_id, (array_agg(event_id))[1] AS event_id, min(scanned_at) AS first,
                              array_agg(id) AS ids
                         FROM new_checkins
                        WHERE ticket_id IS NOT NULL AND status = 'ok' AND kind = 'entry' AND undone_at IS NULL
                        GROUP BY 1),
                 m AS (SELECT t.ticket_id, t.event_id, b.before, least (b.before, t.first) AS after
                         FROM t CROSS JOIN LATERAL (
                              SELECT min(c.scanned_at) AS before FROM checkins c
                               WHERE c.ticket_id = t.ticket_id AND c.status = 'ok' AND c.kind = 'entry'
                                 AND c.undone_at IS NULL AND c.id <> ALL (t.ids)) b)
            SELECT m.event_id, m.ticket_id, y.at, y.n
              FROM m CROSS JOIN LATERAL (VALUES (m.before, -1), (m.after, 1)) AS y (at, n)
             WHERE m.before IS DISTINCT FROM m.after AND y.at IS NOT NULL) x
      CROSS JOIN LATERAL (SELECT timezone FROM events WHERE id = x.event_id) e
     GROUP BY 1, 2, 3
    ON CONFLICT (event_id, slot, shard) DO UPDATE SET admitted = a.admitted + EXCLUDED.admitted;
    RETURN NULL;
END
$$;

CREATE TRIGGER checkins_analytics_insert AFTER INSERT ON checkins
    REFERENCING NEW TABLE AS new_checkins
    FOR EACH STATEMENT EXECUTE FUNCTION eva_analytics_checkins_inserted();
CREATE TRIGGER checkins_analytics_update AFTER UPDATE OF status, kind, undone_at, scanned_at, ticket_id ON checkins
    FOR EACH ROW EXECUTE FUNCTION eva_analytics_checkins_changed();
CREATE TRIGGER checkins_analytics_delete AFTER DELETE ON checkins
    FOR EACH ROW WHEN (OLD.status = 'ok' AND OLD.kind = 'entry' AND OLD.undone_at IS NULL)
    EXECUTE FUNCTION eva_analytics_checkins_changed();

-- --------------------------------------------------------------------
-- What is there already

INSERT INTO analytics_bookings (event_id, status, currency, coupon_id, method, paid, bookings, subtotal, discount, total)
SELECT event_id, status, coalesce(currency::text, ''), coalesce(coupon_id, '00000000-0000-0000-0000-000000000000'),
       coalesce(payment_method, ''), paid_at IS NOT NULL, count(*), sum(subtotal), sum(discount), sum(total)
  FROM bookings WHERE confirmed_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO analytics_sales (event_id, ticket_type_id, slot, status, currency, tickets, gross, discounts)
SELECT b.event_id, i.ticket_type_id, eva_analytics_slot(b.confirmed_at, e.timezone), b.status,
       coalesce(b.currency::text, ''), sum(i.quantity), sum(i.quantity * i.unit_price), sum(i.discount)
  FROM bookings b JOIN booking_items i ON i.booking_id = b.id JOIN events e ON e.id = b.event_id
 WHERE b.confirmed_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5;

INSERT INTO analytics_refunds (event_id, currency, refunds, amount)
SELECT b.event_id, r.currency::text, count(*), sum(r.amount)
  FROM refunds r JOIN bookings b ON b.id = r.booking_id
 WHERE r.status IN ('succeeded', 'recorded', 'to_refund') GROUP BY 1, 2;

INSERT INTO analytics_checkins (event_id, slot, shard, admitted)
SELECT x.event_id, eva_analytics_slot(x.at, e.timezone), abs(hashtext(x.ticket_id::text)) % 8, count(*)
  FROM (SELECT c.event_id, c.ticket_id, min(c.scanned_at) AS at FROM checkins c
         WHERE c.ticket_id IS NOT NULL AND c.status = 'ok' AND c.kind = 'entry' AND c.undone_at IS NULL
         GROUP BY 1, 2) x JOIN events e ON e.id = x.event_id
 GROUP BY 1, 2, 3;
