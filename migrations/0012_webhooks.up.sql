-- Outgoing webhooks: endpoints organizers register, the events that
-- happened (each with its id and its body, fixed when it is written), and
-- one delivery per event and endpoint that workers send with retries.
--
-- Events are written by triggers in the same transaction as the change
-- they report (the outbox pattern, as email_outbox): a change that rolls
-- back leaves no event, one that commits always has its event. Triggers
-- on bookings, payments, tickets and events are deferred to the commit,
-- so the body shows the row as the transaction left it (a booking with
-- its items and tickets), and a row that changed twice reports each
-- change once.

CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    events          text[] NOT NULL,
    secret          text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    disabled_at     timestamptz,
    created_by      uuid REFERENCES staff (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_endpoints_url_check
        CHECK (url ~ '^https?://' AND char_length(url) <= 2000),
    CONSTRAINT webhook_endpoints_events_check
        CHECK (cardinality(events) BETWEEN 1 AND 20 AND events <@ ARRAY[
            'booking.confirmed', 'booking.cancelled', 'booking.refunded',
            'payment.received', 'ticket.reissued', 'checkin.created',
            'event.published', 'event.cancelled']::text[]),
    CONSTRAINT webhook_endpoints_secret_check CHECK (char_length(secret) >= 32)
);

CREATE TABLE webhook_events (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type       text NOT NULL,
    body       text NOT NULL,               -- exactly what is sent, every time
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_created_idx ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    event_id         uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'pending',
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    give_up_at       timestamptz NOT NULL DEFAULT now() + interval '3 days',
    lease_until      timestamptz,
    last_attempt_at  timestamptz,
    response_status  integer,
    response_excerpt text,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_event_endpoint_key UNIQUE (event_id, endpoint_id),
    CONSTRAINT webhook_deliveries_status_check
        CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    CONSTRAINT webhook_deliveries_excerpt_check
        CHECK (char_length(response_excerpt) <= 1000 AND char_length(last_error) <= 1000)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);

-- Writes one event for @p_type with @p_data as its "data" and queues it
-- for every enabled endpoint that wants it; nothing when none does.
-- @p_only: only this endpoint (the "send test event" action).
CREATE FUNCTION eva_webhook_emit(p_type text, p_data jsonb, p_only uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET TimeZone TO 'UTC'
AS $$
DECLARE
    event_id uuid := gen_random_uuid();
    at       timestamptz := now();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints e
                    WHERE e.enabled AND (p_only IS NULL AND p_type = ANY (e.events)
                                         OR e.id = p_only)) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_events (id, type, body, created_at)
    VALUES (event_id, p_type,
            jsonb_build_object('id', event_id, 'type', p_type,
                               'created_at', at, 'data', p_data)::text,
            at);
    INSERT INTO webhook_deliveries (event_id, endpoint_id)
    SELECT event_id, e.id FROM webhook_endpoints e
     WHERE e.enabled AND (p_only IS NULL AND p_type = ANY (e.events) OR e.id = p_only);
    PERFORM pg_notify('everato_webhooks', event_id::text);
    RETURN event_id;
END
$$;

-- Whether any enabled endpoint wants @p_type: the triggers ask before they
-- build a payload, so an installation without webhooks pays one lookup in
-- a tiny table per change, nothing more.
CREATE FUNCTION eva_webhook_wanted(p_type text) RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.enabled AND p_type = ANY (e.events))
$$;

CREATE FUNCTION eva_webhook_event_json(p_event uuid) RETURNS jsonb
LANGUAGE sql STABLE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id', e.id, 'slug', e.slug, 'title', e.title, 'venue', e.venue,
        'address', e.address, 'timezone', e.timezone, 'starts_at', e.starts_at,
        'ends_at', e.ends_at, 'status', e.status, 'currency', e.currency::text,
        'published_at', e.published_at, 'updated_at', e.updated_at)
      FROM events e WHERE e.id = p_event
$$;

CREATE FUNCTION eva_webhook_ticket_json(p_ticket uuid) RETURNS jsonb
LANGUAGE sql STABLE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'booking_id', t.booking_id, 'event_id', t.event_id,
        'ticket_type_id', t.ticket_type_id, 'holder_name', t.holder_name,
        'status', t.status, 'issued_at', t.issued_at, 'revoked_at', t.revoked_at)
      FROM tickets t WHERE t.id = p_ticket
$$;

CREATE FUNCTION eva_webhook_booking_trigger() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    kind text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status = OLD.status THEN
        RETURN NULL;
    END IF;
    kind := CASE NEW.status WHEN 'confirmed' THEN 'booking.confirmed'
                            WHEN 'cancelled' THEN 'booking.cancelled'
                            WHEN 'refunded'  THEN 'booking.refunded' END;
    IF kind IS NOT NULL AND eva_webhook_wanted(kind) THEN
        PERFORM eva_webhook_emit(kind, jsonb_build_object('booking',
                   (SELECT eva_booking_json(b) FROM bookings b WHERE b.id = NEW.id)));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION eva_webhook_payment_trigger() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone TO 'UTC'
AS $$
BEGIN
    IF NEW.status <> 'paid' OR (TG_OP = 'UPDATE' AND OLD.status = 'paid')
       OR NOT eva_webhook_wanted('payment.received') THEN
        RETURN NULL;
    END IF;
    PERFORM eva_webhook_emit('payment.received', jsonb_build_object(
        'payment', jsonb_build_object(
            'id', p.id, 'booking_id', p.booking_id, 'method', p.method,
            'amount', p.amount, 'currency', p.currency::text,
            'reference', p.reference, 'paid_at', p.paid_at),
        'booking', (SELECT eva_booking_json(b) FROM bookings b WHERE b.id = p.booking_id)))
      FROM payments p WHERE p.id = NEW.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION eva_webhook_ticket_trigger() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status = 'reissued' AND OLD.status <> 'reissued'
       AND eva_webhook_wanted('ticket.reissued') THEN
        PERFORM eva_webhook_emit('ticket.reissued', jsonb_build_object(
            'ticket', eva_webhook_ticket_json(NEW.id),
            'replacement', (SELECT eva_webhook_ticket_json(t.id) FROM tickets t
                             WHERE t.booking_item_id = NEW.booking_item_id
                               AND t.seq = NEW.seq AND t.status = 'valid'
                               AND t.id <> NEW.id
                             ORDER BY t.issued_at DESC, t.id LIMIT 1)));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION eva_webhook_checkin_trigger() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone TO 'UTC'
AS $$
BEGIN
    IF NEW.status = 'ok' AND eva_webhook_wanted('checkin.created') THEN
        PERFORM eva_webhook_emit('checkin.created', jsonb_build_object(
            'checkin', jsonb_build_object(
                'id', NEW.id, 'event_id', NEW.event_id, 'list_id', NEW.list_id,
                'ticket_id', NEW.ticket_id, 'type', NEW.kind, 'forced', NEW.forced,
                'scanned_at', NEW.scanned_at, 'device_id', NEW.device_id),
            'ticket', eva_webhook_ticket_json(NEW.ticket_id)));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION eva_webhook_event_trigger() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status = OLD.status OR NEW.status NOT IN ('published', 'cancelled')
       OR NOT eva_webhook_wanted('event.' || NEW.status) THEN
        RETURN NULL;
    END IF;
    PERFORM eva_webhook_emit('event.' || NEW.status,
                             jsonb_build_object('event', eva_webhook_event_json(NEW.id)));
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER bookings_webhook AFTER INSERT OR UPDATE OF status ON bookings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION eva_webhook_booking_trigger();
CREATE CONSTRAINT TRIGGER payments_webhook AFTER INSERT OR UPDATE OF status ON payments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION eva_webhook_payment_trigger();
CREATE CONSTRAINT TRIGGER tickets_webhook AFTER UPDATE OF status ON tickets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION eva_webhook_ticket_trigger();
CREATE CONSTRAINT TRIGGER events_webhook AFTER UPDATE OF status ON events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION eva_webhook_event_trigger();
-- A check-in is written once and final (undo sets undone_at): at once.
CREATE TRIGGER checkins_webhook AFTER INSERT ON checkins
    FOR EACH ROW EXECUTE FUNCTION eva_webhook_checkin_trigger();
