-- 0009_checkin: check-in lists with their rules, door devices, and every
-- scan kept with its verdict (docs/ARCHITECTURE.md, "Check-in").
--
-- A scan is a row of checkins, accepted (status ok) or not, keyed by the
-- client's nonce: the same nonce gets the same answer and counts once.
-- An accepted entry on a list without re-entry is unique per ticket and
-- list (checkins_single_entry_key), whichever process or device tries.
--
-- The migration runner wraps this file in a transaction.

ALTER TABLE checkin_lists
    ADD COLUMN all_types       boolean NOT NULL DEFAULT true,
    ADD COLUMN ticket_type_ids uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN allow_unpaid    boolean NOT NULL DEFAULT false,
    ADD COLUMN allow_reentry   boolean NOT NULL DEFAULT false,
    ADD COLUMN opens_at        timestamptz,
    ADD COLUMN closes_at       timestamptz,
    ADD COLUMN is_default      boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT checkin_lists_name_length CHECK (char_length(name) <= 100),
    ADD CONSTRAINT checkin_lists_window_check CHECK (closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at);
CREATE UNIQUE INDEX checkin_lists_default_key ON checkin_lists (event_id) WHERE is_default;
CREATE TRIGGER checkin_lists_set_updated_at BEFORE UPDATE ON checkin_lists
    FOR EACH ROW EXECUTE FUNCTION eva_set_updated_at();

-- Every event has its default list, made with it.
INSERT INTO checkin_lists (event_id, name, is_default)
SELECT e.id, 'Main entrance', true FROM events e
 WHERE NOT EXISTS (SELECT 1 FROM checkin_lists l WHERE l.event_id = e.id AND l.name = 'Main entrance');
UPDATE checkin_lists l SET is_default = true
 WHERE l.name = 'Main entrance'
   AND NOT EXISTS (SELECT 1 FROM checkin_lists d WHERE d.event_id = l.event_id AND d.is_default);

CREATE FUNCTION eva_default_checkin_list() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO checkin_lists (event_id, name, is_default) VALUES (NEW.id, 'Main entrance', true);
    RETURN NULL;
END
$$;
CREATE TRIGGER events_default_checkin_list AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION eva_default_checkin_list();

CREATE TABLE checkin_devices (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL,
    staff_id     uuid REFERENCES staff (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checkin_devices_name_check CHECK (btrim(name) <> '' AND char_length(name) <= 100)
);

-- The old table held accepted entries only; it had none in use.
DROP TABLE checkins;
CREATE TABLE checkins (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_nonce text NOT NULL,
    event_id     uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    list_id      uuid NOT NULL REFERENCES checkin_lists (id) ON DELETE CASCADE,
    ticket_id    uuid REFERENCES tickets (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    status       text NOT NULL,
    reason       text,
    forced       boolean NOT NULL DEFAULT false,
    conflict     boolean NOT NULL DEFAULT false,
    single       boolean NOT NULL,          -- the list allowed no re-entry then
    staff_id     uuid REFERENCES staff (id) ON DELETE SET NULL,
    device_id    uuid REFERENCES checkin_devices (id) ON DELETE SET NULL,
    scanned_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    undone_at    timestamptz,
    undone_by    uuid REFERENCES staff (id) ON DELETE SET NULL,
    changed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    verdict      jsonb NOT NULL,            -- the answer, for the nonce's replays
    CONSTRAINT checkins_client_nonce_key UNIQUE (client_nonce),
    CONSTRAINT checkins_kind_check CHECK (kind IN ('entry', 'exit')),
    CONSTRAINT checkins_status_check CHECK (status IN ('ok', 'rejected')),
    CONSTRAINT checkins_ok_ticket_check CHECK (status <> 'ok' OR ticket_id IS NOT NULL),
    CONSTRAINT checkins_nonce_check CHECK (char_length(client_nonce) BETWEEN 8 AND 100)
);
CREATE UNIQUE INDEX checkins_single_entry_key ON checkins (ticket_id, list_id)
    WHERE status = 'ok' AND kind = 'entry' AND single AND undone_at IS NULL;
CREATE INDEX checkins_ticket_list_idx ON checkins (ticket_id, list_id, scanned_at)
    WHERE status = 'ok' AND undone_at IS NULL;
CREATE INDEX checkins_event_changed_idx ON checkins (event_id, changed_at);
CREATE INDEX checkins_staff_idx ON checkins (staff_id);

-- Tickets: when they last changed (the offline bundle's increments), and
-- the manual search's prefixes.
ALTER TABLE tickets ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
CREATE FUNCTION eva_ticket_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_at := clock_timestamp();
    RETURN NEW;
END
$$;
CREATE TRIGGER tickets_set_changed_at BEFORE UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION eva_ticket_changed();
CREATE INDEX tickets_event_changed_idx ON tickets (event_id, changed_at);
CREATE INDEX tickets_event_holder_idx ON tickets (event_id, lower(holder_name) text_pattern_ops);
CREATE INDEX tickets_code_prefix_idx ON tickets (code text_pattern_ops);
CREATE INDEX bookings_event_reference_idx ON bookings (event_id, upper(left(id::text, 8)));
CREATE INDEX attendees_lower_name_idx ON attendees (lower(name) text_pattern_ops);
CREATE INDEX attendees_lower_email_prefix_idx ON attendees (lower(email) text_pattern_ops);

-- A ticket as door staff see it in a verdict.
CREATE FUNCTION eva_checkin_ticket_json(t tickets) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object(
        'id',                t.id,
        'holder_name',       t.holder_name,
        'ticket_type',       tt.name,
        'ticket_type_id',    t.ticket_type_id,
        'booking_id',        b.id,
        'booking_reference', upper(left(b.id::text, 8)),
        'unpaid',            b.paid_at IS NULL AND b.total > 0,
        'status',            t.status)
      FROM bookings b, ticket_types tt
     WHERE b.id = t.booking_id AND tt.id = t.ticket_type_id
$$;

-- Decides one scan and records it, in one statement (see services/checkin.c):
-- the ticket row is locked, so two scans of one ticket at once are decided
-- one after the other; the nonce makes a retry return the first answer.
-- p_ticket is NULL when the code did not verify (reason invalid). Returns
-- NULL when the list does not exist.
CREATE FUNCTION eva_checkin_redeem(p_nonce text, p_list uuid, p_ticket uuid, p_kind text,
                                   p_scanned timestamptz, p_force boolean, p_staff uuid,
                                   p_device uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET TimeZone TO 'UTC'
AS $$
DECLARE
    l        checkin_lists;
    t        tickets;
    b        bookings;
    reason   text;
    forced   boolean := false;
    conflict boolean := false;
    first    jsonb;
    last     checkins;
    ticket   jsonb;
    verdict  jsonb;
    new_id   uuid := gen_random_uuid();
    accepted boolean;
BEGIN
    SELECT c.verdict INTO verdict FROM checkins c WHERE c.client_nonce = p_nonce;
    IF FOUND THEN
        RETURN verdict;
    END IF;
    SELECT * INTO l FROM checkin_lists WHERE id = p_list;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    IF p_ticket IS NULL THEN
        reason := 'invalid';
    ELSE
        SELECT * INTO t FROM tickets WHERE id = p_ticket FOR UPDATE;
        IF NOT FOUND THEN
            reason := 'unknown_ticket';
        END IF;
    END IF;

    IF reason IS NULL THEN
        SELECT * INTO b FROM bookings WHERE id = t.booking_id;
        ticket := eva_checkin_ticket_json(t);
        SELECT jsonb_build_object('at', c.scanned_at, 'by', s.name, 'device', d.name,
                                  'checkin_id', c.id)
          INTO first
          FROM checkins c LEFT JOIN staff s ON s.id = c.staff_id
          LEFT JOIN checkin_devices d ON d.id = c.device_id
         WHERE c.ticket_id = t.id AND c.list_id = l.id AND c.status = 'ok'
           AND c.kind = 'entry' AND c.undone_at IS NULL
         ORDER BY c.scanned_at, c.created_at LIMIT 1;
        SELECT * INTO last FROM checkins c
         WHERE c.ticket_id = t.id AND c.list_id = l.id AND c.status = 'ok' AND c.undone_at IS NULL
         ORDER BY c.scanned_at DESC, c.created_at DESC LIMIT 1;

        IF t.event_id <> l.event_id THEN
            reason := 'wrong_event';
        ELSIF t.status = 'reissued' THEN
            reason := 'revoked';
        ELSIF t.status <> 'valid' THEN
            reason := 'cancelled';
        ELSIF NOT l.all_types AND NOT (t.ticket_type_id = ANY (l.ticket_type_ids)) THEN
            reason := 'not_on_list';
        ELSIF (l.opens_at IS NOT NULL AND p_scanned < l.opens_at)
              OR (l.closes_at IS NOT NULL AND p_scanned > l.closes_at) THEN
            reason := 'outside_time_window';
        ELSIF p_kind = 'entry' AND b.paid_at IS NULL AND b.total > 0 AND NOT l.allow_unpaid THEN
            reason := 'unpaid';
        ELSIF p_kind = 'entry' AND last.kind = 'entry' THEN
            reason := 'already_checked_in';
        ELSIF p_kind = 'entry' AND NOT l.allow_reentry AND first IS NOT NULL THEN
            reason := 'already_checked_in';
        ELSIF p_kind = 'exit' AND (last.kind IS NULL OR last.kind <> 'entry') THEN
            reason := 'not_checked_in';
        END IF;

        -- An offline scan uploaded later: the person is in; record it
        -- (marked forced) unless that would count them twice.
        IF p_force AND reason IN ('revoked', 'cancelled', 'not_on_list',
                                  'outside_time_window', 'unpaid') THEN
            forced := true;
        END IF;
        IF p_force AND reason = 'already_checked_in' THEN
            conflict := (SELECT c.device_id IS DISTINCT FROM p_device FROM checkins c
                          WHERE c.id = (first->>'checkin_id')::uuid);
            conflict := coalesce(conflict, true);
        END IF;
    END IF;

    accepted := reason IS NULL OR forced;
    verdict := jsonb_build_object(
        'status',        CASE WHEN accepted THEN 'ok' ELSE 'rejected' END,
        'reason',        CASE WHEN accepted THEN NULL ELSE reason END,
        'forced_reason', CASE WHEN forced THEN reason END,
        'type',          p_kind,
        'ticket',        ticket,
        'first_checkin', CASE WHEN accepted AND p_kind = 'entry' THEN NULL ELSE first - 'checkin_id' END,
        'checkin_id',    CASE WHEN accepted THEN new_id END,
        'forced',        forced,
        'conflict',      conflict);

    -- No subtransaction: a nonce taken by a retry at the same moment makes
    -- this insert do nothing, and that retry's answer is the answer.
    INSERT INTO checkins (id, client_nonce, event_id, list_id, ticket_id, kind, status, reason,
                          forced, conflict, single, staff_id, device_id, scanned_at, verdict)
    VALUES (new_id, p_nonce, l.event_id, l.id, t.id, p_kind,
            CASE WHEN accepted THEN 'ok' ELSE 'rejected' END, reason, forced, conflict,
            NOT l.allow_reentry, p_staff, p_device, p_scanned, verdict)
    ON CONFLICT (client_nonce) DO NOTHING;
    IF NOT FOUND THEN
        SELECT c.verdict INTO verdict FROM checkins c WHERE c.client_nonce = p_nonce;
        RETURN verdict;
    END IF;
    IF p_device IS NOT NULL THEN
        UPDATE checkin_devices SET last_seen_at = now() WHERE id = p_device;
    END IF;
    RETURN verdict;
END
$$;
