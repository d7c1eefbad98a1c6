-- Everato initial schema (PostgreSQL 15).
--
-- The migration runner wraps this file in a transaction and owns the
-- schema_migrations table; do not add BEGIN/COMMIT here.
--
-- Conventions:
--   * ids: uuid DEFAULT gen_random_uuid() (audit_log / email_outbox: identity)
--   * all times timestamptz
--   * money: bigint minor units + currency char(3) '^[A-Z]{3}$'
--   * every status column has a CHECK listing its states
--   * constraints and unique indexes carry explicit names so the server can
--     map SQLSTATE 23505/23514 + constraint name to a domain error.

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

CREATE FUNCTION eva_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------
-- Installation secrets
-- ---------------------------------------------------------------------------

CREATE TABLE server_keys (
    name       text PRIMARY KEY,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------
-- Staff (admin desktop app users)
-- ---------------------------------------------------------------------------

CREATE TABLE staff (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL,
    name          text NOT NULL DEFAULT '',
    role          text NOT NULL,
    password_hash text NOT NULL,
    disabled_at   timestamptz,
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT staff_role_check
        CHECK (role IN ('super_admin', 'organizer', 'door_staff')),
    CONSTRAINT staff_email_check CHECK (btrim(email) <> '')
);
CREATE UNIQUE INDEX staff_email_lower_key ON staff (lower(email));
CREATE TRIGGER staff_set_updated_at BEFORE UPDATE ON staff
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

-- Refresh tokens: single-use rotation within a family.  Reuse of a used token
-- revokes the whole family (service logic; index on family_id for that).
CREATE TABLE staff_sessions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    staff_id   uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    family_id  uuid NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    ip         text,
    user_agent text,
    CONSTRAINT staff_sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX staff_sessions_staff_id_idx ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_family_id_idx ON staff_sessions (family_id);
CREATE INDEX staff_sessions_expires_at_idx ON staff_sessions (expires_at);

-- Login throttling, keyed e.g. 'staff:<email>', 'attendee:<email>', 'ip:<addr>'.
CREATE TABLE rate_limits (
    key          text PRIMARY KEY,
    failures     int NOT NULL DEFAULT 0,
    window_start timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    CONSTRAINT rate_limits_failures_check CHECK (failures >= 0)
);
CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start);

-- ---------------------------------------------------------------------------
-- Attendees (public web site users)
-- ---------------------------------------------------------------------------

CREATE TABLE attendees (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email             text NOT NULL,
    name              text NOT NULL DEFAULT '',
    locale            text NOT NULL DEFAULT 'en',
    password_hash     text,
    status            text NOT NULL DEFAULT 'unverified',
    email_verified_at timestamptz,
    disabled_at       timestamptz,
    deleted_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendees_status_check
        CHECK (status IN ('unverified', 'active', 'disabled', 'deleted'))
);
CREATE UNIQUE INDEX attendees_email_lower_key ON attendees (lower(email))
    WHERE status <> 'deleted';
CREATE INDEX attendees_created_at_idx ON attendees (created_at);
CREATE TRIGGER attendees_set_updated_at BEFORE UPDATE ON attendees
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

CREATE TABLE attendee_sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    attendee_id     uuid NOT NULL REFERENCES attendees (id) ON DELETE CASCADE,
    token_hash      bytea NOT NULL,
    csrf_token      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    idle_expires_at timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    ip              text,
    user_agent      text,
    CONSTRAINT attendee_sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX attendee_sessions_attendee_id_idx ON attendee_sessions (attendee_id);
CREATE INDEX attendee_sessions_expires_at_idx ON attendee_sessions (expires_at);

CREATE TABLE attendee_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    attendee_id uuid NOT NULL REFERENCES attendees (id) ON DELETE CASCADE,
    purpose     text NOT NULL,
    token_hash  bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendee_tokens_purpose_check
        CHECK (purpose IN ('verify_email', 'password_reset')),
    CONSTRAINT attendee_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX attendee_tokens_attendee_purpose_idx
    ON attendee_tokens (attendee_id, purpose);
CREATE INDEX attendee_tokens_expires_at_idx ON attendee_tokens (expires_at);

-- ---------------------------------------------------------------------------
-- Events and inventory
-- ---------------------------------------------------------------------------

CREATE TABLE events (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug               text NOT NULL,
    title              text NOT NULL,
    description        text NOT NULL DEFAULT '',
    venue              text NOT NULL DEFAULT '',
    address            text NOT NULL DEFAULT '',
    timezone           text NOT NULL,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    status             text NOT NULL DEFAULT 'draft',
    currency           char(3),
    hold_minutes       int NOT NULL DEFAULT 15,
    cancellation_hours int NOT NULL DEFAULT 0,
    created_by         uuid REFERENCES staff (id) ON DELETE SET NULL,
    published_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_slug_key UNIQUE (slug),
    CONSTRAINT events_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT events_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT events_timezone_check CHECK (btrim(timezone) <> ''),
    CONSTRAINT events_time_range_check CHECK (ends_at > starts_at),
    CONSTRAINT events_status_check
        CHECK (status IN ('draft', 'published', 'cancelled', 'archived')),
    CONSTRAINT events_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT events_hold_minutes_check CHECK (hold_minutes BETWEEN 1 AND 120),
    CONSTRAINT events_cancellation_hours_check CHECK (cancellation_hours >= 0)
);
CREATE INDEX events_status_starts_at_idx ON events (status, starts_at);
CREATE INDEX events_starts_at_idx ON events (starts_at);
CREATE INDEX events_created_by_idx ON events (created_by);
CREATE TRIGGER events_set_updated_at BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

CREATE TABLE ticket_types (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id         uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    price            bigint NOT NULL,
    capacity         int NOT NULL,
    held             int NOT NULL DEFAULT 0,
    sold             int NOT NULL DEFAULT 0,
    sales_start      timestamptz,
    sales_end        timestamptz,
    max_per_order    int NOT NULL DEFAULT 10,
    max_per_attendee int,
    hidden           boolean NOT NULL DEFAULT false,
    sort_order       int NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ticket_types_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT ticket_types_price_check CHECK (price >= 0),
    CONSTRAINT ticket_types_capacity_check CHECK (capacity >= 0),
    CONSTRAINT ticket_types_held_check CHECK (held >= 0),
    CONSTRAINT ticket_types_sold_check CHECK (sold >= 0),
    -- The core oversell guard: hold/sell with a plain conditional UPDATE and
    -- let this constraint refuse (SQLSTATE 23514, this name) → "sold_out".
    CONSTRAINT ticket_types_inventory CHECK (held + sold <= capacity),
    CONSTRAINT ticket_types_sales_window_check
        CHECK (sales_start IS NULL OR sales_end IS NULL OR sales_end > sales_start),
    CONSTRAINT ticket_types_max_per_order_check
        CHECK (max_per_order BETWEEN 1 AND 100),
    CONSTRAINT ticket_types_max_per_attendee_check
        CHECK (max_per_attendee IS NULL OR max_per_attendee >= 1)
);
CREATE INDEX ticket_types_event_sort_idx ON ticket_types (event_id, sort_order);
CREATE TRIGGER ticket_types_set_updated_at BEFORE UPDATE ON ticket_types
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

CREATE TABLE coupons (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id              uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    code                  text NOT NULL,
    kind                  text NOT NULL,
    percent               int,
    amount                bigint,
    valid_from            timestamptz,
    valid_until           timestamptz,
    max_uses              int,
    max_uses_per_attendee int,
    uses                  int NOT NULL DEFAULT 0,
    min_order             bigint NOT NULL DEFAULT 0,
    unlocks_hidden        boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT coupons_code_check
        CHECK (btrim(code) <> '' AND char_length(code) <= 64),
    CONSTRAINT coupons_kind_check CHECK (kind IN ('percent', 'fixed')),
    CONSTRAINT coupons_percent_check CHECK (percent BETWEEN 1 AND 100),
    CONSTRAINT coupons_amount_check CHECK (amount > 0),
    CONSTRAINT coupons_kind_value_check CHECK (
        (kind = 'percent' AND percent IS NOT NULL AND amount IS NULL) OR
        (kind = 'fixed'   AND amount IS NOT NULL AND percent IS NULL)),
    CONSTRAINT coupons_validity_check
        CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from),
    CONSTRAINT coupons_max_uses_check CHECK (max_uses IS NULL OR max_uses >= 0),
    CONSTRAINT coupons_max_uses_per_attendee_check
        CHECK (max_uses_per_attendee IS NULL OR max_uses_per_attendee >= 1),
    -- Redemption guard: UPDATE coupons SET uses = uses + 1 fails with this
    -- name once exhausted → "coupon_exhausted".
    CONSTRAINT coupons_uses_check
        CHECK (uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)),
    CONSTRAINT coupons_min_order_check CHECK (min_order >= 0)
);
CREATE UNIQUE INDEX coupons_event_code_key ON coupons (event_id, lower(code));
CREATE TRIGGER coupons_set_updated_at BEFORE UPDATE ON coupons
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

-- Restriction list; no rows for a coupon = valid for all ticket types.
CREATE TABLE coupon_ticket_types (
    coupon_id      uuid NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    ticket_type_id uuid NOT NULL REFERENCES ticket_types (id) ON DELETE CASCADE,
    CONSTRAINT coupon_ticket_types_pkey PRIMARY KEY (coupon_id, ticket_type_id)
);
CREATE INDEX coupon_ticket_types_ticket_type_idx
    ON coupon_ticket_types (ticket_type_id);

-- ---------------------------------------------------------------------------
-- Bookings and payments
-- ---------------------------------------------------------------------------

CREATE TABLE bookings (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id        uuid NOT NULL REFERENCES events (id) ON DELETE RESTRICT,
    attendee_id     uuid REFERENCES attendees (id) ON DELETE SET NULL,
    status          text NOT NULL DEFAULT 'held',
    coupon_id       uuid REFERENCES coupons (id) ON DELETE SET NULL,
    subtotal        bigint NOT NULL,
    discount        bigint NOT NULL DEFAULT 0,
    total           bigint NOT NULL,
    currency        char(3),
    expires_at      timestamptz,
    idempotency_key text,
    request_hash    bytea,
    buyer_email     text,
    buyer_name      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    confirmed_at    timestamptz,
    cancelled_at    timestamptz,
    CONSTRAINT bookings_status_check CHECK (status IN
        ('held', 'pending_payment', 'confirmed', 'expired', 'cancelled', 'refunded')),
    CONSTRAINT bookings_subtotal_check CHECK (subtotal >= 0),
    CONSTRAINT bookings_discount_check CHECK (discount >= 0 AND discount <= subtotal),
    CONSTRAINT bookings_total_check CHECK (total >= 0 AND total = subtotal - discount),
    CONSTRAINT bookings_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT bookings_currency_required_check
        CHECK (subtotal = 0 OR currency IS NOT NULL),
    CONSTRAINT bookings_expires_at_check
        CHECK (status NOT IN ('held', 'pending_payment') OR expires_at IS NOT NULL),
    CONSTRAINT bookings_idempotency_key_check
        CHECK (idempotency_key IS NULL OR char_length(idempotency_key) BETWEEN 1 AND 255),
    CONSTRAINT bookings_attendee_idempotency_key UNIQUE (attendee_id, idempotency_key)
);
CREATE INDEX bookings_expiry_idx ON bookings (expires_at)
    WHERE status IN ('held', 'pending_payment');
CREATE INDEX bookings_event_status_idx ON bookings (event_id, status);
CREATE INDEX bookings_attendee_created_idx ON bookings (attendee_id, created_at DESC);
CREATE INDEX bookings_coupon_attendee_idx ON bookings (coupon_id, attendee_id)
    WHERE coupon_id IS NOT NULL;
CREATE INDEX bookings_created_at_idx ON bookings (created_at);
CREATE TRIGGER bookings_set_updated_at BEFORE UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

CREATE TABLE booking_items (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    booking_id     uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    ticket_type_id uuid NOT NULL REFERENCES ticket_types (id) ON DELETE RESTRICT,
    quantity       int NOT NULL,
    unit_price     bigint NOT NULL,
    discount       bigint NOT NULL DEFAULT 0,
    line_total     bigint NOT NULL,
    CONSTRAINT booking_items_quantity_check CHECK (quantity > 0),
    CONSTRAINT booking_items_unit_price_check CHECK (unit_price >= 0),
    CONSTRAINT booking_items_discount_check
        CHECK (discount >= 0 AND discount <= quantity * unit_price),
    CONSTRAINT booking_items_line_total_check
        CHECK (line_total >= 0 AND line_total = quantity * unit_price - discount)
);
CREATE INDEX booking_items_booking_idx ON booking_items (booking_id);
CREATE INDEX booking_items_ticket_type_idx ON booking_items (ticket_type_id);

CREATE TABLE payments (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    booking_id      uuid NOT NULL REFERENCES bookings (id) ON DELETE RESTRICT,
    provider        text NOT NULL,
    provider_ref    text,
    status          text NOT NULL DEFAULT 'pending',
    amount          bigint NOT NULL,
    refunded_amount bigint NOT NULL DEFAULT 0,
    currency        char(3) NOT NULL,
    raw             jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_provider_ref_key UNIQUE (provider, provider_ref),
    CONSTRAINT payments_status_check CHECK (status IN
        ('pending', 'succeeded', 'failed', 'cancelled', 'refunded', 'partially_refunded')),
    CONSTRAINT payments_amount_check CHECK (amount >= 0),
    CONSTRAINT payments_refunded_amount_check
        CHECK (refunded_amount BETWEEN 0 AND amount),
    CONSTRAINT payments_currency_check CHECK (currency ~ '^[A-Z]{3}$')
);
CREATE INDEX payments_booking_idx ON payments (booking_id);
CREATE TRIGGER payments_set_updated_at BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

-- ---------------------------------------------------------------------------
-- Tickets and check-in
-- ---------------------------------------------------------------------------

-- Ed25519 ticket signing keys (libsodium: public 32 bytes, secret 64 bytes).
CREATE TABLE signing_keys (
    id         text PRIMARY KEY,
    public_key bytea NOT NULL,
    secret_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    CONSTRAINT signing_keys_id_check CHECK (btrim(id) <> ''),
    CONSTRAINT signing_keys_public_key_check CHECK (octet_length(public_key) = 32)
);

CREATE TABLE tickets (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    booking_id      uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    booking_item_id uuid NOT NULL REFERENCES booking_items (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL REFERENCES events (id),
    ticket_type_id  uuid NOT NULL REFERENCES ticket_types (id),
    holder_name     text NOT NULL DEFAULT '',
    code            text NOT NULL,
    key_id          text REFERENCES signing_keys (id),
    status          text NOT NULL DEFAULT 'valid',
    issued_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    CONSTRAINT tickets_code_key UNIQUE (code),
    CONSTRAINT tickets_status_check
        CHECK (status IN ('valid', 'cancelled', 'reissued'))
);
CREATE INDEX tickets_booking_idx ON tickets (booking_id);
CREATE INDEX tickets_booking_item_idx ON tickets (booking_item_id);
CREATE INDEX tickets_event_status_idx ON tickets (event_id, status);
CREATE INDEX tickets_ticket_type_idx ON tickets (ticket_type_id);
-- Revocation-list sync: "revoked for event E since T".
CREATE INDEX tickets_event_revoked_idx ON tickets (event_id, revoked_at)
    WHERE revoked_at IS NOT NULL;

CREATE TABLE checkin_lists (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id   uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checkin_lists_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT checkin_lists_event_name_key UNIQUE (event_id, name)
);

CREATE TABLE checkins (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id    uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    list_id      uuid NOT NULL REFERENCES checkin_lists (id) ON DELETE CASCADE,
    staff_id     uuid REFERENCES staff (id) ON DELETE SET NULL,
    device_id    text,
    client_nonce text NOT NULL,
    scanned_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checkins_client_nonce_key UNIQUE (client_nonce),
    CONSTRAINT checkins_ticket_list_key UNIQUE (ticket_id, list_id)
);
CREATE INDEX checkins_list_scanned_idx ON checkins (list_id, scanned_at);
CREATE INDEX checkins_staff_idx ON checkins (staff_id);

-- ---------------------------------------------------------------------------
-- Outbox and audit
-- ---------------------------------------------------------------------------

CREATE TABLE email_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address      text NOT NULL,
    to_name         text NOT NULL DEFAULT '',
    locale          text NOT NULL DEFAULT 'en',
    template        text NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'pending',
    attempts        int NOT NULL DEFAULT 0,
    max_attempts    int NOT NULL DEFAULT 8,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,
    message_id      text NOT NULL DEFAULT (gen_random_uuid()::text),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT email_outbox_status_check
        CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
    CONSTRAINT email_outbox_attempts_check CHECK (attempts >= 0),
    CONSTRAINT email_outbox_max_attempts_check CHECK (max_attempts >= 1),
    CONSTRAINT email_outbox_message_id_key UNIQUE (message_id)
);
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at)
    WHERE status IN ('pending', 'sending');

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_type  text NOT NULL,
    actor_id    uuid,
    action      text NOT NULL,
    target_type text,
    target_id   text,
    details     jsonb NOT NULL DEFAULT '{}',
    request_id  text,
    ip          text,
    CONSTRAINT audit_log_actor_type_check
        CHECK (actor_type IN ('staff', 'attendee', 'system'))
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_type, actor_id, at);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, at);

-- ---------------------------------------------------------------------------
-- JSON rendering (keys are an API contract).
--
-- Timestamps render as to_json(timestamptz), ISO 8601 / RFC 3339.  The
-- functions pin TimeZone to UTC so output never depends on the session:
-- e.g. "2025-06-01T18:00:00+00:00" (fractional seconds appear when nonzero).
-- ---------------------------------------------------------------------------

CREATE FUNCTION eva_event_json(e events) RETURNS jsonb
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

CREATE FUNCTION eva_ticket_type_json(t ticket_types) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',               t.id,
        'event_id',         t.event_id,
        'name',             t.name,
        'description',      t.description,
        'price',            t.price,
        'currency',         e.currency::text,
        'capacity',         t.capacity,
        'held',             t.held,
        'sold',             t.sold,
        'available',        t.capacity - t.held - t.sold,
        'sales_start',      t.sales_start,
        'sales_end',        t.sales_end,
        'max_per_order',    t.max_per_order,
        'max_per_attendee', t.max_per_attendee,
        'hidden',           t.hidden,
        'sort_order',       t.sort_order,
        'on_sale',          (t.sales_start IS NULL OR now() >= t.sales_start)
                            AND (t.sales_end IS NULL OR now() < t.sales_end)
                            AND (t.capacity - t.held - t.sold) > 0
                            AND coalesce(e.status = 'published', false),
        'created_at',       t.created_at,
        'updated_at',       t.updated_at)
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN events e ON e.id = t.event_id
$$;

CREATE FUNCTION eva_staff_json(s staff) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',            s.id,
        'email',         s.email,
        'name',          s.name,
        'role',          s.role,
        'disabled',      s.disabled_at IS NOT NULL,
        'disabled_at',   s.disabled_at,
        'last_login_at', s.last_login_at,
        'created_at',    s.created_at,
        'updated_at',    s.updated_at)
$$;
