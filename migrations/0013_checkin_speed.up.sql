-- Two costs of a scan at the door, less (docs/ARCHITECTURE.md, "Check-in"):
--
-- * A code found byte for byte among the tickets the server issued needs
--   no signature check: the server signed it when it issued the ticket.
--   eva_checkin_redeem_batch() takes, with each scan's ticket id read from
--   its code unchecked, the code itself (p_code[i]); a scan whose code is
--   not its ticket's is answered 'unverified' with nothing recorded, and
--   the caller checks the signature and sends it again with p_code[i]
--   NULL (checked: p_ticket[i] is the signed id, or NULL for invalid).
-- * The check-in webhook is decided once per statement, not once a row:
--   one look-up of the endpoints for a batch of scans.
--
-- The migration runner wraps this file in a transaction.

-- As in 0010, with p_code: scan i's code when p_ticket[i] was read from it
-- without checking its signature, NULL when it was checked. Outcome
-- 'unverified': the code is not the ticket's; check it and send it again.
-- 0010's function (nine arguments) stays: during a rolling upgrade the
-- processes not restarted yet still call it, and their doors keep working.
CREATE FUNCTION eva_checkin_redeem_batch(p_nonce text[], p_list uuid[], p_ticket uuid[],
                                         p_kind text[], p_scanned timestamptz[],
                                         p_force boolean[], p_staff uuid[], p_device uuid[],
                                         p_session uuid[], p_code text[])
RETURNS TABLE (outcome text, verdict jsonb)
LANGUAGE plpgsql
SET TimeZone TO 'UTC'
SET enable_seqscan TO off
SET enable_bitmapscan TO off
SET enable_hashjoin TO off
SET enable_mergejoin TO off
SET plan_cache_mode TO force_generic_plan
AS $$
DECLARE
    v_fate   text[];   -- per scan: NULL (to decide), 'signed_out', 'copy', 'no_list', 'no_device'
    v_first  int[];    -- per scan: the scan whose answer it gets (itself, or its nonce's first)
    v_round  int[];    -- per scan: the round that decides it
    v_rounds int;
    v_outcome text[];
    v_verdict jsonb[];
BEGIN
    -- What each scan is: from a door signed out (refused, nothing
    -- recorded); a later copy of a nonce in this batch (it gets the first
    -- copy's answer, as a retry would); a nonce answered before (its
    -- stored answer); for a list or a device that does not exist; or to
    -- be decided, in the round of its ticket's how-manieth scan it is.
    SELECT array_agg(g.fate ORDER BY g.i), array_agg(g.first ORDER BY g.i),
           array_agg(g.rnd ORDER BY g.i), max(g.rnd)
      INTO v_fate, v_first, v_round, v_rounds
      FROM (SELECT f.i, f.fate, f.first,
                   row_number() OVER (PARTITION BY CASE WHEN f.fate IS NULL
                                                        THEN coalesce(f.ticket::text, 'scan ' || f.i)
                                                        ELSE 'apart ' || f.i END
                                      ORDER BY f.i)::int AS rnd
              FROM (SELECT c.i, c.ticket, c.first,
                           CASE
                             WHEN c.signed_out THEN 'signed_out'
                             WHEN c.first <> c.i THEN 'copy'
                             -- before a nonce seen already: its claimed
                             -- ticket is locked and may be decided again
                             WHEN c.code IS NOT NULL AND NOT EXISTS (
                                    SELECT 1 FROM tickets t
                                     WHERE t.id = c.ticket AND t.code = c.code)
                               THEN 'unverified'
                             WHEN seen.nonce IS NOT NULL THEN NULL
                             WHEN NOT EXISTS (SELECT 1 FROM checkin_lists l WHERE l.id = c.list)
                               THEN 'no_list'
                             WHEN c.device IS NOT NULL AND NOT EXISTS (
                                    SELECT 1 FROM checkin_devices d WHERE d.id = c.device)
                               THEN 'no_device'
                           END AS fate
                      FROM (SELECT o.*,
                                   CASE WHEN o.signed_out THEN o.i
                                        ELSE min(o.i) OVER (PARTITION BY o.signed_out, o.nonce) END
                                     AS first
                              FROM (SELECT u.*,
                                           u.session IS NOT NULL AND NOT EXISTS (
                                             SELECT 1 FROM staff st
                                               JOIN staff_sessions ss ON ss.staff_id = st.id
                                              WHERE st.id = u.staff AND st.disabled_at IS NULL
                                                AND ss.family_id = u.session
                                                AND ss.revoked_at IS NULL) AS signed_out
                                      FROM unnest(p_nonce, p_list, p_ticket, p_staff, p_device,
                                                  p_session, p_code)
                                           WITH ORDINALITY AS u(nonce, list, ticket, staff, device,
                                                                session, code, i)) o) c
                      LEFT JOIN LATERAL (SELECT x.client_nonce AS nonce FROM checkins x
                                          WHERE x.client_nonce = c.nonce LIMIT 1) seen ON true) f) g;

    PERFORM 1
       FROM (SELECT DISTINCT u.ticket FROM unnest(p_ticket, v_fate) AS u(ticket, fate)
              WHERE u.fate IS NULL) u
       JOIN tickets t ON t.id = u.ticket
      ORDER BY t.id FOR UPDATE OF t;

    FOR r IN 1 .. coalesce(v_rounds, 0) LOOP
        WITH s AS MATERIALIZED (
            SELECT u.*, coalesce(u.at, clock_timestamp()) AS scanned_at
              FROM unnest(p_nonce, p_list, p_ticket, p_kind, p_scanned, p_force, p_staff,
                          p_device, v_fate, v_round)
                   WITH ORDINALITY AS u(nonce, list_id, ticket_id, kind, at, force, staff_id,
                                        device_id, fate, rnd, i)
             WHERE u.rnd = r AND u.fate IS NULL
               AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.client_nonce = u.nonce)),
        d AS MATERIALIZED (
            SELECT s.*, l.event_id, l.allow_reentry, t.id AS tid, gen_random_uuid() AS new_id,
                   CASE WHEN t.id IS NOT NULL THEN eva_checkin_ticket_json(t, b, tt) END AS ticket,
                   fi.first, fi.first_device,
                   CASE
                     WHEN s.ticket_id IS NULL THEN 'invalid'
                     WHEN t.id IS NULL THEN 'unknown_ticket'
                     WHEN t.event_id <> l.event_id THEN 'wrong_event'
                     WHEN t.status = 'reissued' THEN 'revoked'
                     WHEN t.status <> 'valid' THEN 'cancelled'
                     WHEN NOT l.all_types AND NOT (t.ticket_type_id = ANY (l.ticket_type_ids))
                       THEN 'not_on_list'
                     WHEN (l.opens_at IS NOT NULL AND s.scanned_at < l.opens_at)
                          OR (l.closes_at IS NOT NULL AND s.scanned_at > l.closes_at)
                       THEN 'outside_time_window'
                     WHEN s.kind = 'entry' AND b.paid_at IS NULL AND b.total > 0
                          AND NOT l.allow_unpaid THEN 'unpaid'
                     WHEN s.kind = 'entry' AND la.kind = 'entry' THEN 'already_checked_in'
                     WHEN s.kind = 'entry' AND NOT l.allow_reentry AND fi.first IS NOT NULL
                       THEN 'already_checked_in'
                     WHEN s.kind = 'exit' AND (la.kind IS NULL OR la.kind <> 'entry')
                       THEN 'not_checked_in'
                   END AS reason,
                   s.kind = 'entry' AND (coalesce(la.kind = 'entry', false)
                                         OR (NOT l.allow_reentry AND fi.first IS NOT NULL))
                     AS already_in
              FROM s
              JOIN checkin_lists l ON l.id = s.list_id
              LEFT JOIN tickets t ON t.id = s.ticket_id
              LEFT JOIN bookings b ON b.id = t.booking_id
              LEFT JOIN ticket_types tt ON tt.id = t.ticket_type_id
              LEFT JOIN LATERAL (
                  SELECT jsonb_build_object('at', c.scanned_at, 'by', st.name,
                                            'device', dv.name) AS first,
                         c.device_id AS first_device
                    FROM checkins c
                    LEFT JOIN staff st ON st.id = c.staff_id
                    LEFT JOIN checkin_devices dv ON dv.id = c.device_id
                   WHERE c.ticket_id = t.id AND c.list_id = l.id AND c.status = 'ok'
                     AND c.kind = 'entry' AND c.undone_at IS NULL
                   ORDER BY c.scanned_at, c.changed_at LIMIT 1) fi ON true
              LEFT JOIN LATERAL (
                  SELECT c.kind FROM checkins c
                   WHERE c.ticket_id = t.id AND c.list_id = l.id AND c.status = 'ok'
                     AND c.undone_at IS NULL
                   ORDER BY c.scanned_at DESC, c.changed_at DESC LIMIT 1) la ON true),
        -- An offline scan uploaded later (force): the person is in; record
        -- it (marked forced) whatever the door could not know then, unless
        -- that would count them twice: a ticket already in is refused, and
        -- a conflict when another device let it in.
        e AS (
            SELECT d.*,
                   CASE WHEN d.force AND d.already_in THEN 'already_checked_in'
                        ELSE d.reason END AS why
              FROM d),
        f AS (
            SELECT e.*,
                   e.force AND coalesce(e.why IN ('revoked', 'cancelled', 'not_on_list',
                                                  'outside_time_window', 'unpaid'), false)
                     AS forced,
                   e.force AND coalesce(e.why = 'already_checked_in', false)
                     AND e.first_device IS DISTINCT FROM e.device_id AS conflict
              FROM e),
        v AS (
            SELECT f.*, f.why IS NULL OR f.forced AS accepted FROM f)
        INSERT INTO checkins (id, client_nonce, event_id, list_id, ticket_id, kind, status,
                              reason, forced, conflict, single, staff_id, device_id, scanned_at,
                              verdict)
        SELECT v.new_id, v.nonce, v.event_id, v.list_id, v.tid, v.kind,
               CASE WHEN v.accepted THEN 'ok' ELSE 'rejected' END, v.why, v.forced,
               v.conflict, NOT v.allow_reentry, v.staff_id, v.device_id, v.scanned_at,
               jsonb_build_object(
                   'status',        CASE WHEN v.accepted THEN 'ok' ELSE 'rejected' END,
                   'reason',        CASE WHEN v.accepted THEN NULL ELSE v.why END,
                   'forced_reason', CASE WHEN v.forced THEN v.why END,
                   'type',          v.kind,
                   'ticket',        v.ticket,
                   'first_checkin', CASE WHEN v.accepted AND v.kind = 'entry' THEN NULL
                                         ELSE v.first END,
                   'checkin_id',    CASE WHEN v.accepted THEN v.new_id END,
                   'forced',        v.forced,
                   'conflict',      v.conflict)
          FROM v ORDER BY v.i
        ON CONFLICT (client_nonce) DO NOTHING;
    END LOOP;

    -- When each door was last heard of: at most once a minute, never
    -- waiting for another batch that is writing the same row, and never
    -- blocking one that records a scan of that door (a no-key lock).
    UPDATE checkin_devices d SET last_seen_at = now()
     WHERE d.id IN (SELECT x.id FROM checkin_devices x
                     WHERE x.id = ANY (ARRAY (SELECT u.device FROM unnest(p_device, v_fate)
                                                     AS u(device, fate)
                                               WHERE u.fate IS NULL))
                       AND x.last_seen_at < now() - interval '1 minute'
                     FOR NO KEY UPDATE SKIP LOCKED);

    -- The answers: each first copy's, read back (also those stored
    -- before, or by a concurrent retry); a later copy gets its first's.
    SELECT array_agg(coalesce(u.fate, CASE WHEN c.verdict IS NULL THEN 'no_list'
                                           ELSE 'decided' END) ORDER BY u.i),
           array_agg(c.verdict ORDER BY u.i)
      INTO v_outcome, v_verdict
      FROM unnest(p_nonce, v_fate, v_first) WITH ORDINALITY AS u(nonce, fate, first, i)
      LEFT JOIN checkins c ON c.client_nonce = u.nonce AND u.fate IS NULL AND u.first = u.i;

    RETURN QUERY
        SELECT v_outcome[v_first[k]], v_verdict[v_first[k]]
          FROM generate_subscripts(p_nonce, 1) AS k ORDER BY k;
END
$$;

-- A check-in, when an endpoint wants them, reported once per scan that
-- admitted or let out: one check for the statement's rows.
CREATE FUNCTION eva_webhook_checkins_trigger() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone TO 'UTC'
AS $$
BEGIN
    IF NOT eva_webhook_wanted('checkin.created') THEN
        RETURN NULL;
    END IF;
    PERFORM eva_webhook_emit('checkin.created', jsonb_build_object(
        'checkin', jsonb_build_object(
            'id', n.id, 'event_id', n.event_id, 'list_id', n.list_id,
            'ticket_id', n.ticket_id, 'type', n.kind, 'forced', n.forced,
            'scanned_at', n.scanned_at, 'device_id', n.device_id),
        'ticket', eva_webhook_ticket_json(n.ticket_id)))
       FROM (SELECT x.*, row_number() OVER () AS k FROM new_checkins x) n
      WHERE n.status = 'ok'
      ORDER BY n.k;
    RETURN NULL;
END
$$;

DROP TRIGGER checkins_webhook ON checkins;
DROP FUNCTION eva_webhook_checkin_trigger();
CREATE TRIGGER checkins_webhook AFTER INSERT ON checkins
    REFERENCING NEW TABLE AS new_checkins
    FOR EACH STATEMENT EXECUTE FUNCTION eva_webhook_checkins_trigger();
