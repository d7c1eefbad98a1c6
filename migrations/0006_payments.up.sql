-- 0006_payments: taking money (docs/PAYMENTS.md).
--
-- Events say which payment methods they offer; bookings remember the
-- method chosen, a bank transfer's reference and when the money came;
-- payments get their own state machine (pending → paid | failed |
-- expired); refunds are rows of their own; Stripe events are kept by id so
-- a replayed event changes nothing.
--
-- The migration runner wraps this file in a transaction.

ALTER TABLE events
    ADD COLUMN payment_methods  text[] NOT NULL DEFAULT '{card}',
    ADD COLUMN transfer_details text,
    ADD COLUMN transfer_days    int NOT NULL DEFAULT 7,
    ADD CONSTRAINT events_payment_methods_check
        CHECK (payment_methods <@ ARRAY['card', 'bank_transfer', 'at_door']::text[]),
    ADD CONSTRAINT events_transfer_details_check
        CHECK (transfer_details IS NULL OR char_length(transfer_details) BETWEEN 1 AND 2000),
    ADD CONSTRAINT events_transfer_days_check CHECK (transfer_days BETWEEN 1 AND 60);

ALTER TABLE bookings
    ADD COLUMN payment_method    text,
    ADD COLUMN payment_reference text,
    ADD COLUMN paid_at           timestamptz,
    ADD COLUMN reminded_at       timestamptz,
    ADD COLUMN transfer_details  text,
    ADD CONSTRAINT bookings_payment_method_check
        CHECK (payment_method IN ('card', 'bank_transfer', 'at_door')),
    ADD CONSTRAINT bookings_payment_reference_key UNIQUE (payment_reference);

-- Confirmed free bookings owe nothing: they count as paid.
UPDATE bookings SET paid_at = confirmed_at WHERE status = 'confirmed' AND total = 0;

ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments
    ADD COLUMN method        text NOT NULL DEFAULT 'card',
    ADD COLUMN attempt       int NOT NULL DEFAULT 1,
    ADD COLUMN request_body  text,
    ADD COLUMN checkout_url  text,
    ADD COLUMN expires_at    timestamptz,
    ADD COLUMN paid_at       timestamptz,
    ADD COLUMN payment_intent text,
    ADD COLUMN reference     text,
    ADD COLUMN flag          text,
    ADD COLUMN checked_at    timestamptz,
    ADD CONSTRAINT payments_status_check
        CHECK (status IN ('pending', 'paid', 'failed', 'expired')),
    ADD CONSTRAINT payments_method_check
        CHECK (method IN ('card', 'bank_transfer', 'at_door')),
    ADD CONSTRAINT payments_booking_attempt_key UNIQUE (booking_id, method, attempt);
ALTER TABLE payments ALTER COLUMN method DROP DEFAULT;
CREATE INDEX payments_pending_idx ON payments (created_at) WHERE status = 'pending';
CREATE INDEX payments_intent_idx ON payments (payment_intent) WHERE payment_intent IS NOT NULL;

CREATE TABLE refunds (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id   uuid NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
    booking_id   uuid NOT NULL REFERENCES bookings (id) ON DELETE RESTRICT,
    amount       bigint NOT NULL,
    currency     char(3) NOT NULL,
    reason       text,
    note         text,
    status       text NOT NULL DEFAULT 'pending',
    provider_ref text,
    error        text,
    automatic    boolean NOT NULL DEFAULT false,
    staff_id     uuid REFERENCES staff (id) ON DELETE SET NULL,
    idempotency_key text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT refunds_amount_check CHECK (amount > 0),
    CONSTRAINT refunds_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT refunds_reason_check
        CHECK (reason IN ('requested_by_customer', 'duplicate', 'fraudulent')),
    CONSTRAINT refunds_note_check CHECK (char_length(note) <= 500),
    CONSTRAINT refunds_status_check
        CHECK (status IN ('pending', 'succeeded', 'failed', 'recorded', 'to_refund')),
    CONSTRAINT refunds_idempotency_key UNIQUE (booking_id, idempotency_key),
    CONSTRAINT refunds_provider_ref_key UNIQUE (provider_ref)
);
CREATE INDEX refunds_booking_idx ON refunds (booking_id);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);
CREATE INDEX refunds_pending_idx ON refunds (created_at) WHERE status = 'pending';
CREATE TRIGGER refunds_set_updated_at BEFORE UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

CREATE TABLE stripe_events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

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
        'payment_methods',          to_jsonb(e.payment_methods),
        'transfer_details',         e.transfer_details,
        'transfer_days',            e.transfer_days,
        'created_at',               e.created_at,
        'updated_at',               e.updated_at,
        'published_at',             e.published_at)
$$;

-- What a booking shows of its payments and refunds.
CREATE FUNCTION eva_booking_payments_json(b bookings) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'payment_method',    b.payment_method,
        'payment_reference', b.payment_reference,
        'paid',              b.paid_at IS NOT NULL,
        'paid_at',           b.paid_at,
        'amount_paid',       coalesce((SELECT sum(p.amount) FROM payments p
                                        WHERE p.booking_id = b.id AND p.status = 'paid'), 0),
        'amount_refunded',   coalesce((SELECT sum(r.amount) FROM refunds r
                                        WHERE r.booking_id = b.id
                                          AND r.status IN ('succeeded', 'recorded', 'to_refund')), 0),
        'payments',          coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id',              p.id,
                       'method',          p.method,
                       'status',          p.status,
                       'amount',          p.amount,
                       'currency',        p.currency::text,
                       'refunded_amount', p.refunded_amount,
                       'expires_at',      p.expires_at,
                       'paid_at',         p.paid_at,
                       'reference',       p.reference,
                       'flag',            p.flag,
                       'checkout_url',    CASE WHEN p.status = 'pending' AND p.method = 'card'
                                               THEN p.checkout_url END,
                       'created_at',      p.created_at)
                   ORDER BY p.created_at, p.id)
              FROM payments p WHERE p.booking_id = b.id), '[]'::jsonb),
        'refunds',           coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id',         r.id,
                       'payment_id', r.payment_id,
                       'amount',     r.amount,
                       'currency',   r.currency::text,
                       'reason',     r.reason,
                       'note',       r.note,
                       'status',     r.status,
                       'automatic',  r.automatic,
                       'error',      r.error,
                       'created_at', r.created_at)
                   ORDER BY r.created_at, r.id)
              FROM refunds r WHERE r.booking_id = b.id), '[]'::jsonb),
        'transfer',          CASE WHEN b.payment_method = 'bank_transfer' AND b.paid_at IS NULL
                                   AND b.status = 'pending_payment' THEN
            (SELECT jsonb_build_object(
                        'details',   coalesce(b.transfer_details, e.transfer_details),
                        'reference', b.payment_reference,
                        'deadline',  b.expires_at,
                        'amount',    b.total,
                        'currency',  b.currency::text)
               FROM events e WHERE e.id = b.event_id) END)
$$;

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
      || eva_booking_payments_json(b)
$$;
