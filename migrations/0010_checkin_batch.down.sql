DROP FUNCTION eva_checkin_redeem_batch(text[], uuid[], uuid[], text[], timestamptz[], boolean[], uuid[], uuid[], uuid[]);
DROP FUNCTION eva_checkin_ticket_json(tickets);
DROP FUNCTION eva_checkin_ticket_json(tickets, bookings, ticket_types);

-- As migration 0009 made them.
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
